/* What the addon's thread-pool jobs (scan_dir.c, read_files.c) share: queueing one and exporting its function. */
#ifndef ROZEN_ASYNC_JOB_H
#define ROZEN_ASYNC_JOB_H
#include <node_api.h>

/* Queues `data` on the libuv pool (execute there, complete on the JS thread); returns the job's promise. */
static inline napi_value start_job(napi_env env, const char *name, napi_async_execute_callback execute,
                                   napi_async_complete_callback complete, void *data, napi_deferred *deferred,
                                   napi_async_work *work) {
  napi_value promise, resource;
  napi_create_promise(env, deferred, &promise);
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &resource);
  napi_create_async_work(env, NULL, resource, execute, complete, data, work);
  napi_queue_async_work(env, *work);
  return promise;
}

/* Sets exports[name] to a function calling `fn`. */
static inline napi_value export_function(napi_env env, napi_value exports, const char *name, napi_callback fn) {
  napi_value f;
  napi_create_function(env, name, NAPI_AUTO_LENGTH, fn, NULL, &f);
  napi_set_named_property(env, exports, name, f);
  return exports;
}
#endif
