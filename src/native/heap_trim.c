/* trimHeap(minFree: number): Promise<number>, on the libuv pool: when glibc's malloc arenas hold at least `minFree`
 * bytes of free memory, hands it back to the kernel (malloc_trim) and resolves with the bytes that were free; else
 * resolves with 0 without trimming. Elsewhere than glibc it does nothing and resolves with 0.
 *
 * Why: glibc returns freed memory to the kernel only from the top of an arena. A backup allocates and frees small
 * files and sealed batches by the thousand on sixteen threads; what it frees stays mapped, and at the peak of an
 * initial backup most of its arenas' memory was free (mallinfo2). Trimming in the middle of an arena is too slow for
 * the JavaScript thread, so it runs here and only past the threshold. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <node_api.h>
#include <uv.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include "async_job.h"

typedef struct {
  double min_free;
  double was_free;
  napi_deferred deferred;
  napi_async_work work;
} trim_job;

static void execute(napi_env env, void *data) {
  pool_thread_yields();
  trim_job *job = data;
#ifdef __GLIBC__
  struct mallinfo2 m = mallinfo2();
  if ((double)m.fordblks >= job->min_free) {
    job->was_free = (double)m.fordblks;
    malloc_trim(0);
  }
#endif
}

static void complete(napi_env env, napi_status status, void *data) {
  trim_job *job = data;
  if (status == napi_cancelled) {
    reject_cancelled(env, job->deferred, "trimHeap");
  } else {
    napi_value freed;
    napi_create_double(env, job->was_free, &freed);
    napi_resolve_deferred(env, job->deferred, freed);
  }
  napi_delete_async_work(env, job->work);
  free(job);
}

static napi_value js_trim_heap(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  double min_free = 0;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 1 || napi_get_value_double(env, argv[0], &min_free) != napi_ok || !(min_free >= 0)) {
    napi_throw_type_error(env, NULL, "trimHeap: minFree must be a number of bytes, at least 0");
    return NULL;
  }
  trim_job *job = calloc(1, sizeof *job);
  if (job == NULL) {
    napi_throw_error(env, NULL, "trimHeap: out of memory");
    return NULL;
  }
  job->min_free = min_free;
  return start_job(env, "trimHeap", execute, complete, job, &job->deferred, &job->work);
}

napi_value heap_trim_register(napi_env env, napi_value exports) {
  return export_function(env, exports, "trimHeap", js_trim_heap);
}
