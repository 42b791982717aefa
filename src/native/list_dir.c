/* listDir: a directory's entries, read on the libuv thread pool without changing the directory's atime.
 *
 * listDir(path: Buffer) -> Promise<{ names: Buffer, ends: Uint32Array, dirs: Uint8Array }>
 *   every entry but . and .., sorted by their bytes (as Buffer.compare orders them): entry i's name is
 *   names[ends[i-1] .. ends[i]) (from 0 for the first), one buffer for all rather than a buffer each; dirs[i]
 *   is 1 when entry i is a directory (d_type, or fstatat without following symlinks when the filesystem does
 *   not say). Rejects with an Error shaped like Node's fs errors (code, errno, syscall, path).
 * fs.readdir would do, but it updates the directory's atime, which the snapshot records: the next
 * backup would then see every directory it listed as changed. The directory is opened with
 * O_NOATIME where permitted (its owner, or root), else plainly. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <node_api.h>
#include "async_job.h"

typedef struct {
  size_t at; /* offset of the name in job->names */
  uint32_t len;
  uint8_t is_dir;
} entry;

typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  char *path;
  size_t path_len;
  int err;
  const char *syscall;
  char *names;     /* every name, each followed by its NUL */
  size_t used, cap;
  size_t count;
  entry *entries;  /* per entry, sorted by name once listed */
  size_t entries_cap;
} job_t;

static int grow(void **p, size_t *cap, size_t need, size_t item) {
  if (need <= *cap) return 0;
  size_t n = *cap > 0 ? *cap : 64;
  while (n < need) n *= 2;
  void *q = realloc(*p, n * item);
  if (q == NULL) return -1;
  *p = q;
  *cap = n;
  return 0;
}

/* Buffer.compare's order: bytes as unsigned, a prefix first. */
static int by_name(const void *a, const void *b, void *names) {
  const entry *x = a, *y = b;
  int c = memcmp((const char *)names + x->at, (const char *)names + y->at, x->len < y->len ? x->len : y->len);
  return c != 0 ? c : (x->len > y->len) - (x->len < y->len);
}

static void execute(napi_env env, void *data) {
  pool_thread_yields();
  job_t *job = data;
  int fd = open(job->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOATIME);
  if (fd < 0 && errno == EPERM) fd = open(job->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) { job->err = errno; job->syscall = "scandir"; return; }
  DIR *dir = fdopendir(fd);
  if (dir == NULL) { job->err = errno; job->syscall = "scandir"; close(fd); return; }
  for (;;) {
    errno = 0;
    struct dirent *d = readdir(dir);
    if (d == NULL) {
      if (errno != 0) { job->err = errno; job->syscall = "scandir"; }
      break;
    }
    const char *name = d->d_name;
    if (name[0] == '.' && (name[1] == 0 || (name[1] == '.' && name[2] == 0))) continue;
    size_t len = strlen(name);
    uint8_t is_dir = d->d_type == DT_DIR;
    if (d->d_type == DT_UNKNOWN) {
      struct stat st;
      is_dir = fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
    }
    if (grow((void **)&job->names, &job->cap, job->used + len + 1, 1) != 0
        || grow((void **)&job->entries, &job->entries_cap, job->count + 1, sizeof(entry)) != 0) {
      job->err = ENOMEM; job->syscall = "scandir";
      break;
    }
    memcpy(job->names + job->used, name, len + 1);
    job->entries[job->count++] = (entry){job->used, (uint32_t)len, is_dir};
    job->used += len + 1;
  }
  closedir(dir);
  if (job->err == 0 && job->count > 1) qsort_r(job->entries, job->count, sizeof(entry), by_name, job->names);
}

static void free_job(job_t *job) {
  free(job->path);
  free(job->names);
  free(job->entries);
  free(job);
}

static void complete(napi_env env, napi_status status, void *data) {
  job_t *job = data;
  napi_value out;
  if (status != napi_ok) {
    reject_cancelled(env, job->deferred, "listDir");
  } else if (job->err != 0) {
    napi_reject_deferred(env, job->deferred, fs_error(env, job->err, job->syscall, job->path, job->path_len));
  } else {
    napi_value names, ends, dirs, ends_ab, dirs_ab;
    void *bytes, *ends_data, *dirs_data;
    size_t total = job->used - job->count; /* without the NULs */
    napi_create_object(env, &out);
    napi_create_buffer(env, total > 0 ? total : 1, &bytes, &names);
    napi_create_arraybuffer(env, job->count * sizeof(uint32_t), &ends_data, &ends_ab);
    napi_create_arraybuffer(env, job->count, &dirs_data, &dirs_ab);
    size_t at = 0;
    for (size_t i = 0; i < job->count; i++) {
      const entry *e = &job->entries[i];
      memcpy((char *)bytes + at, job->names + e->at, e->len);
      at += e->len;
      ((uint32_t *)ends_data)[i] = (uint32_t)at;
      ((uint8_t *)dirs_data)[i] = e->is_dir;
    }
    napi_create_typedarray(env, napi_uint32_array, job->count, ends_ab, 0, &ends);
    napi_create_typedarray(env, napi_uint8_array, job->count, dirs_ab, 0, &dirs);
    napi_set_named_property(env, out, "names", names);
    napi_set_named_property(env, out, "ends", ends);
    napi_set_named_property(env, out, "dirs", dirs);
    napi_resolve_deferred(env, job->deferred, out);
  }
  napi_delete_async_work(env, job->work);
  free_job(job);
}

static napi_value js_list_dir(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  job_t *job = calloc(1, sizeof(job_t));
  int bad = job == NULL ? -2 : argc == 1 ? copy_path(env, argv[0], &job->path, &job->path_len) : -1;
  if (bad != 0) {
    if (job != NULL) free_job(job);
    if (bad == -1) napi_throw_type_error(env, NULL, "listDir: expected a non-empty Buffer path without NUL bytes");
    else napi_throw_error(env, NULL, "listDir: out of memory");
    return NULL;
  }
  return start_job(env, "rozen.listDir", execute, complete, job, &job->deferred, &job->work);
}

/* Adds listDir to the addon's exports (called from init in rozen_native.c). */
napi_value list_dir_register(napi_env env, napi_value exports) {
  return export_function(env, exports, "listDir", js_list_dir);
}
