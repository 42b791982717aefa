/* The FUSE kernel channel (/dev/fuse) for `rozen mount`: mounting, a reader thread, replies.
 *
 * The protocol itself (decoding requests, encoding replies) is TypeScript (src/fuse/kernel/). This file only
 * moves bytes: fuseMount opens /dev/fuse and mounts it (mount(2) as root, else through fusermount's
 * _FUSE_COMMFD handshake); fuseServe starts a thread that reads requests and hands them to JS in batches,
 * without ever waiting for an answer; fuseReply writes one reply (writev) from the JS thread; fuseNotify
 * queues an unsolicited message for a thread of its own. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>
#include "async_job.h"

/* Requests other than WRITE (never sent to a read-only mount) are small; the kernel demands at least 8 KiB
 * plus room for max_write, which INIT sets to 4 KiB. */
#define READ_BUFFER_BYTES (132 * 1024)
#define MAX_REPLY_PARTS 16
#define OPTIONS_BYTES 1024

/* ---- mounting ---- */

typedef struct {
  char *mountpoint;
  char options[OPTIONS_BYTES]; /* kernel options after fd/rootmode/user_id/group_id, e.g. "default_permissions" */
  int fd;
  int err;
  char detail[512];
  char *env_block; /* fusermount's environment: "NAME=value" entries, each ended by a NUL */
  size_t env_len;
  napi_deferred deferred;
  napi_async_work work;
} mount_job;

/* Receives the /dev/fuse descriptor that fusermount sends over `sock` (SCM_RIGHTS); -1 if none came. */
static int receive_fd(int sock) {
  char byte;
  struct iovec iov = {.iov_base = &byte, .iov_len = 1};
  char control[CMSG_SPACE(sizeof(int))];
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
  ssize_t n;
  do n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC); while (n < 0 && errno == EINTR);
  if (n <= 0) return -1;
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  if (c == NULL || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) return -1;
  int fd;
  memcpy(&fd, CMSG_DATA(c), sizeof fd);
  return fd;
}

/* Runs `tool` -o OPTIONS -- MOUNTPOINT with _FUSE_COMMFD set; its stderr is kept in job->detail. */
static int spawn_fusermount(mount_job *job, const char *tool, int child_sock, int err_pipe, pid_t *pid) {
  char commfd[32];
  snprintf(commfd, sizeof commfd, "_FUSE_COMMFD=%d", child_sock);
  size_t n = 0;
  for (size_t at = 0; at < job->env_len; at++) if (job->env_block[at] == 0) n++;
  char **env = calloc(n + 2, sizeof *env);
  if (env == NULL) return ENOMEM;
  size_t k = 0;
  /* Only what JS handed over (it leaves out Rozen's own variables and credentials), and the socket. */
  for (size_t at = 0; at < job->env_len; at += strlen(job->env_block + at) + 1) {
    if (strncmp(job->env_block + at, "_FUSE_COMMFD=", 13) != 0) env[k++] = job->env_block + at;
  }
  env[k++] = commfd;
  char opts[OPTIONS_BYTES + 64];
  snprintf(opts, sizeof opts, "ro,nosuid,nodev,fsname=rozen,subtype=rozen%s%s", job->options[0] ? "," : "", job->options);
  char *argv[] = {(char *)tool, (char *)"-o", opts, (char *)"--", job->mountpoint, NULL};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, err_pipe, 2);
  int rc = posix_spawnp(pid, tool, &actions, NULL, argv, env);
  posix_spawn_file_actions_destroy(&actions);
  free(env);
  return rc;
}

/* Mounts through the setuid helper, as libfuse does for users who may not call mount(2): fusermount3, else fusermount. */
static void mount_with_fusermount(mount_job *job) {
  const char *tools[] = {"fusermount3", "fusermount"};
  int spawn_error = 0;
  for (size_t t = 0; t < 2; t++) {
    int sv[2], ep[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) { job->err = errno; return; }
    if (pipe2(ep, O_CLOEXEC) != 0) { job->err = errno; close(sv[0]); close(sv[1]); return; }
    fcntl(sv[1], F_SETFD, 0); /* the child keeps its end */
    pid_t pid;
    int rc = spawn_fusermount(job, tools[t], sv[1], ep[1], &pid);
    close(sv[1]);
    close(ep[1]);
    if (rc != 0) {
      close(sv[0]);
      close(ep[0]);
      spawn_error = rc; /* not installed (ENOENT), or not in a PATH this user may search (EACCES): the next name */
      continue;
    }
    job->fd = receive_fd(sv[0]);
    close(sv[0]);
    ssize_t got = read(ep[0], job->detail, sizeof job->detail - 1);
    job->detail[got > 0 ? got : 0] = 0;
    char *nl = strchr(job->detail, '\n');
    if (nl) *nl = 0;
    close(ep[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    if (job->fd >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0) { job->err = 0; return; }
    if (job->fd >= 0) { close(job->fd); job->fd = -1; }
    job->err = EPERM;
    return;
  }
  job->err = spawn_error;
  snprintf(job->detail, sizeof job->detail, "fusermount could not be run: %s", strerror(spawn_error));
}

static void mount_execute(napi_env env, void *data) {
  mount_job *job = data;
  job->fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
  if (job->fd < 0) {
    job->err = errno;
    snprintf(job->detail, sizeof job->detail, "/dev/fuse: %s", strerror(errno));
    return;
  }
  char opts[OPTIONS_BYTES + 128];
  snprintf(opts, sizeof opts, "fd=%d,rootmode=40000,user_id=%u,group_id=%u%s%s", job->fd, getuid(), getgid(),
           job->options[0] ? "," : "", job->options);
  if (mount("rozen", job->mountpoint, "fuse.rozen", MS_RDONLY | MS_NOSUID | MS_NODEV, opts) == 0) {
    job->err = 0;
    return;
  }
  job->err = errno;
  snprintf(job->detail, sizeof job->detail, "mount: %s", strerror(errno));
  close(job->fd);
  job->fd = -1;
  if (job->err == EPERM) mount_with_fusermount(job);
}

static void mount_complete(napi_env env, napi_status status, void *data) {
  mount_job *job = data;
  napi_value v;
  if (status == napi_cancelled) {
    reject_cancelled(env, job->deferred, "fuseMount");
  } else if (job->err != 0) {
    napi_value error = fs_error(env, job->err, "mount", job->mountpoint, strlen(job->mountpoint));
    napi_create_string_utf8(env, job->detail, NAPI_AUTO_LENGTH, &v);
    napi_set_named_property(env, error, "detail", v);
    napi_reject_deferred(env, job->deferred, error);
  } else {
    napi_create_int32(env, job->fd, &v);
    napi_resolve_deferred(env, job->deferred, v);
  }
  napi_delete_async_work(env, job->work);
  free(job->mountpoint);
  free(job->env_block);
  free(job);
}

/* Copies the environment block (a Buffer whose last byte is NUL); 0, or -1 when it is not one. */
static int copy_env_block(napi_env env, napi_value value, mount_job *job) {
  void *data;
  size_t len;
  bool is_buffer = false;
  if (napi_is_buffer(env, value, &is_buffer) != napi_ok || !is_buffer) return -1;
  if (napi_get_buffer_info(env, value, &data, &len) != napi_ok || (len > 0 && ((char *)data)[len - 1] != 0)) return -1;
  job->env_block = malloc(len + 1);
  if (job->env_block == NULL) return -1;
  memcpy(job->env_block, data, len);
  job->env_len = len;
  return 0;
}

/* fuseMount(mountpoint: Buffer, options: string, env: Buffer): Promise<fd>; env holds NUL-ended "NAME=value" entries. */
static napi_value js_fuse_mount(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  mount_job *job = calloc(1, sizeof *job);
  if (job == NULL) return NULL;
  size_t len, olen;
  if (argc < 3 || copy_path(env, argv[0], &job->mountpoint, &len) != 0 ||
      napi_get_value_string_utf8(env, argv[1], job->options, sizeof job->options, &olen) != napi_ok ||
      olen >= sizeof job->options - 1 || copy_env_block(env, argv[2], job) != 0) {
    free(job->mountpoint);
    free(job->env_block);
    free(job);
    napi_throw_type_error(env, NULL, "fuseMount(mountpoint: Buffer, options: string, env: Buffer)");
    return NULL;
  }
  job->fd = -1;
  return start_job(env, "fuseMount", mount_execute, mount_complete, job, &job->deferred, &job->work);
}

/* ---- serving ---- */

typedef struct request {
  struct request *next;
  size_t len;
  char bytes[];
} request;

/* An unsolicited message for the kernel (NOTIFY_STORE), copied: the JS buffers may be gone when it is written. */
typedef struct notice {
  struct notice *next;
  size_t len;
  char bytes[];
} notice;

typedef struct {
  int fd;
  napi_threadsafe_function tsfn;
  pthread_mutex_t lock;
  request *head, *tail;
  bool signalled; /* a call to deliver() is queued and has not taken the list yet */
  bool ended;     /* the channel is closed: deliver() passes null after the last batch */
  bool end_delivered;
  int end_errno;
  /* Notices are written by a thread of their own: storing into a page the kernel holds locked for a READ
   * waits until that READ is answered, which the JS thread must stay free to do. */
  pthread_t notifier;
  pthread_cond_t wake;
  notice *nhead, *ntail;
  size_t nbytes;
  bool notifier_started;
} server;

/* Bytes of notices waiting at most; beyond, new ones are dropped (they only save round trips). */
#define MAX_NOTICE_BYTES (64u << 20)

static void free_request(napi_env env, void *data, void *hint) { free((char *)data - offsetof(request, bytes)); }

/* On the JS thread: hands every queued request to the callback as one array (null once the mount is gone). */
static void deliver(napi_env env, napi_value callback, void *context, void *data) {
  server *s = context;
  pthread_mutex_lock(&s->lock);
  request *list = s->head;
  s->head = s->tail = NULL;
  s->signalled = false;
  bool ended = s->ended && list == NULL && !s->end_delivered;
  if (ended) s->end_delivered = true;
  pthread_mutex_unlock(&s->lock);
  if (env == NULL || (list == NULL && !ended)) return;
  napi_value arg, undefined;
  napi_get_undefined(env, &undefined);
  if (ended) {
    napi_value code;
    napi_create_int32(env, s->end_errno, &code);
    napi_get_null(env, &arg);
    napi_value args[2] = {arg, code};
    napi_call_function(env, undefined, callback, 2, args, NULL);
    return;
  }
  napi_create_array(env, &arg);
  uint32_t i = 0;
  while (list != NULL) {
    request *next = list->next;
    napi_value buf;
    if (napi_create_external_buffer(env, list->len, list->bytes, free_request, NULL, &buf) != napi_ok) {
      free(list);
    } else {
      napi_set_element(env, arg, i++, buf);
    }
    list = next;
  }
  napi_call_function(env, undefined, callback, 1, &arg, NULL);
}

static void enqueue(server *s, request *r) {
  pthread_mutex_lock(&s->lock);
  if (r != NULL) {
    if (s->tail) s->tail->next = r;
    else s->head = r;
    s->tail = r;
  }
  bool signal = !s->signalled;
  s->signalled = true;
  pthread_mutex_unlock(&s->lock);
  if (signal) napi_call_threadsafe_function(s->tsfn, NULL, napi_tsfn_blocking);
}

static void *notify_loop(void *arg) {
  server *s = arg;
  pthread_mutex_lock(&s->lock);
  for (;;) {
    while (s->nhead == NULL && !s->ended) pthread_cond_wait(&s->wake, &s->lock);
    notice *n = s->nhead;
    if (n == NULL) break; /* ended and drained */
    s->nhead = n->next;
    if (s->nhead == NULL) s->ntail = NULL;
    s->nbytes -= n->len;
    bool write_it = !s->ended;
    pthread_mutex_unlock(&s->lock);
    if (write_it) {
      ssize_t w;
      do w = write(s->fd, n->bytes, n->len); while (w < 0 && errno == EINTR);
    }
    free(n);
    pthread_mutex_lock(&s->lock);
  }
  pthread_mutex_unlock(&s->lock);
  return NULL;
}

static void *serve_loop(void *arg) {
  server *s = arg;
  char *buf = malloc(READ_BUFFER_BYTES);
  int err = buf == NULL ? ENOMEM : 0;
  while (err == 0) {
    ssize_t n = read(s->fd, buf, READ_BUFFER_BYTES);
    if (n < 0) {
      /* ENOENT: the request was interrupted before we read it; EINTR, EAGAIN: try again. */
      if (errno == EINTR || errno == EAGAIN || errno == ENOENT) continue;
      err = errno; /* ENODEV: unmounted */
      break;
    }
    if (n == 0) { err = ENODEV; break; }
    request *r = malloc(sizeof *r + (size_t)n);
    if (r == NULL) { err = ENOMEM; break; }
    r->next = NULL;
    r->len = (size_t)n;
    memcpy(r->bytes, buf, (size_t)n);
    enqueue(s, r);
  }
  free(buf);
  pthread_mutex_lock(&s->lock);
  s->ended = true;
  s->end_errno = err;
  s->signalled = false; /* the final call must come after every batch */
  pthread_cond_signal(&s->wake);
  bool joined = s->notifier_started;
  pthread_mutex_unlock(&s->lock);
  /* JS closes the fd after the final call: no notice may be written after that. */
  if (joined) pthread_join(s->notifier, NULL);
  enqueue(s, NULL);
  napi_release_threadsafe_function(s->tsfn, napi_tsfn_release);
  return NULL;
}

static void server_finalize(napi_env env, void *data, void *hint) {
  server *s = data;
  pthread_mutex_destroy(&s->lock);
  pthread_cond_destroy(&s->wake);
  free(s);
}

/* fuseServe(fd: number, onRequests: (batch: Buffer[] | null, errno?: number) => void): the server, for fuseNotify.
 * It is freed after the final call of onRequests: nothing may use it then. */
static napi_value js_fuse_serve(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd;
  napi_valuetype t = napi_undefined;
  if (argc == 2) napi_typeof(env, argv[1], &t);
  if (argc < 2 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0 || t != napi_function) {
    napi_throw_type_error(env, NULL, "fuseServe(fd: number, onRequests: function)");
    return NULL;
  }
  /* A mount moves hundreds of MiB through buffers of a few MiB (pack windows, notices): let malloc reuse
   * freed ones rather than map and fault in fresh pages for each. */
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  server *s = calloc(1, sizeof *s);
  if (s == NULL) return NULL;
  s->fd = fd;
  pthread_mutex_init(&s->lock, NULL);
  pthread_cond_init(&s->wake, NULL);
  napi_value name;
  napi_create_string_utf8(env, "fuseServe", NAPI_AUTO_LENGTH, &name);
  if (napi_create_threadsafe_function(env, argv[1], NULL, name, 0, 1, s, server_finalize, s, deliver, &s->tsfn) != napi_ok) {
    pthread_mutex_destroy(&s->lock);
    free(s);
    napi_throw_error(env, NULL, "fuseServe: could not create the request queue");
    return NULL;
  }
  pthread_t thread;
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  int rc = pthread_create(&thread, &attr, serve_loop, s);
  pthread_attr_destroy(&attr);
  if (rc != 0) {
    napi_release_threadsafe_function(s->tsfn, napi_tsfn_abort);
    napi_throw_error(env, NULL, "fuseServe: could not start the reader thread");
    return NULL;
  }
  napi_value handle;
  napi_create_external(env, s, NULL, NULL, &handle);
  return handle;
}

/* Concatenates Uint8Array parts (1..MAX_REPLY_PARTS) into a new notice; NULL for other arguments or without memory. */
static notice *notice_of(napi_env env, napi_value parts) {
  uint32_t count = 0;
  bool is_array = false;
  napi_is_array(env, parts, &is_array);
  if (!is_array || napi_get_array_length(env, parts, &count) != napi_ok || count == 0 || count > MAX_REPLY_PARTS) return NULL;
  void *data[MAX_REPLY_PARTS];
  size_t lens[MAX_REPLY_PARTS], total = 0;
  for (uint32_t i = 0; i < count; i++) {
    napi_value part;
    napi_typedarray_type type;
    napi_get_element(env, parts, i, &part);
    if (napi_get_typedarray_info(env, part, &type, &lens[i], &data[i], NULL, NULL) != napi_ok || type != napi_uint8_array) return NULL;
    total += lens[i];
  }
  notice *n = malloc(sizeof *n + total);
  if (n == NULL) return NULL;
  n->next = NULL;
  n->len = total;
  for (uint32_t i = 0, at = 0; i < count; at += (uint32_t)lens[i], i++) memcpy(n->bytes + at, data[i], lens[i]);
  return n;
}

/* fuseNotify(server, parts: Uint8Array[]): queues one message for the notifier thread; false when dropped. */
static napi_value js_fuse_notify(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], result;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  server *s = NULL;
  if (argc < 2 || napi_get_value_external(env, argv[0], (void **)&s) != napi_ok || s == NULL) {
    napi_throw_type_error(env, NULL, "fuseNotify(server, parts: Uint8Array[1..16])");
    return NULL;
  }
  notice *n = notice_of(env, argv[1]);
  bool queued = false;
  if (n != NULL) {
    pthread_mutex_lock(&s->lock);
    if (!s->ended && s->nbytes + n->len <= MAX_NOTICE_BYTES) {
      if (!s->notifier_started) s->notifier_started = pthread_create(&s->notifier, NULL, notify_loop, s) == 0;
      if (s->notifier_started) {
        if (s->ntail) s->ntail->next = n;
        else s->nhead = n;
        s->ntail = n;
        s->nbytes += n->len;
        queued = true;
        pthread_cond_signal(&s->wake);
      }
    }
    pthread_mutex_unlock(&s->lock);
    if (!queued) free(n);
  }
  napi_get_boolean(env, queued, &result);
  return result;
}

/* fuseReply(fd: number, parts: Uint8Array[]): 0 or an errno (ENOENT: the request was interrupted meanwhile). */
static napi_value js_fuse_reply(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], result;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd;
  uint32_t count = 0;
  bool is_array = false;
  if (argc == 2) napi_is_array(env, argv[1], &is_array);
  if (!is_array || napi_get_value_int32(env, argv[0], &fd) != napi_ok || napi_get_array_length(env, argv[1], &count) != napi_ok ||
      count == 0 || count > MAX_REPLY_PARTS) {
    napi_throw_type_error(env, NULL, "fuseReply(fd: number, parts: Uint8Array[1..16])");
    return NULL;
  }
  struct iovec iov[MAX_REPLY_PARTS];
  for (uint32_t i = 0; i < count; i++) {
    napi_value part;
    napi_typedarray_type type;
    size_t length;
    void *data;
    napi_get_element(env, argv[1], i, &part);
    if (napi_get_typedarray_info(env, part, &type, &length, &data, NULL, NULL) != napi_ok || type != napi_uint8_array) {
      napi_throw_type_error(env, NULL, "fuseReply: every part must be a Uint8Array");
      return NULL;
    }
    iov[i].iov_base = data;
    iov[i].iov_len = length;
  }
  ssize_t n;
  do n = writev(fd, iov, (int)count); while (n < 0 && errno == EINTR);
  napi_create_int32(env, n < 0 ? errno : 0, &result);
  return result;
}

napi_value fuse_dev_register(napi_env env, napi_value exports) {
  export_function(env, exports, "fuseMount", js_fuse_mount);
  export_function(env, exports, "fuseServe", js_fuse_serve);
  export_function(env, exports, "fuseNotify", js_fuse_notify);
  return export_function(env, exports, "fuseReply", js_fuse_reply);
}
