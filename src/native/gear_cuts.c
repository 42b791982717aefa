/* gearCuts: every FastCDC cut point of one read buffer, found on the libuv pool so the JS thread does not scan.
 *
 * gearCuts(buf: Uint8Array, state: Int32Array [h, len], params: Int32Array [min, avg, max, maskS, maskL],
 *          gear: Int32Array(256), cuts: Int32Array) -> Promise<number>
 * continues the chunk in `state` over the whole of `buf`, as repeated gearScan calls would, writes the index after
 * each boundary into `cuts` (room for buf.length / min + 1) and resolves with their count. The caller leaves `buf`
 * and `state` alone until then. */
#include <stdint.h>
#include "async_job.h"
#include "gear_scan.h"

typedef struct {
  const uint8_t *buf;
  size_t len;
  int32_t *state, *params, *gear, *cuts;
  size_t room, count;
  napi_ref refs[5];
  napi_deferred deferred;
  napi_async_work work;
} cuts_job;

static void execute(napi_env env, void *data) {
  pool_thread_yields();
  cuts_job *job = data;
  for (int64_t at = 0; at < (int64_t)job->len && job->count < job->room;) {
    int64_t cut = gear_scan(job->buf, at, (int64_t)job->len, job->state, job->params, job->gear);
    if (cut < 0) break;
    job->cuts[job->count++] = (int32_t)cut;
    at = cut;
  }
}

static void complete(napi_env env, napi_status status, void *data) {
  cuts_job *job = data;
  if (status == napi_cancelled) {
    reject_cancelled(env, job->deferred, "gearCuts");
  } else {
    napi_value n;
    napi_create_uint32(env, (uint32_t)job->count, &n);
    napi_resolve_deferred(env, job->deferred, n);
  }
  for (int i = 0; i < 5; i++) napi_delete_reference(env, job->refs[i]);
  napi_delete_async_work(env, job->work);
  free(job);
}

static napi_value js_gear_cuts(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  void *buf, *state, *params, *gear, *cuts;
  size_t len, state_len, params_len, gear_len, room;
  bool ok = argc == 5 && typed_array_of(env, argv[0], napi_uint8_array, &buf, &len) && len < INT32_MAX &&
            typed_array_of(env, argv[1], napi_int32_array, &state, &state_len) && state_len == 2 &&
            typed_array_of(env, argv[2], napi_int32_array, &params, &params_len) && params_len == 5 &&
            typed_array_of(env, argv[3], napi_int32_array, &gear, &gear_len) && gear_len == 256 &&
            typed_array_of(env, argv[4], napi_int32_array, &cuts, &room) && ((int32_t *)params)[0] > 0 &&
            room >= len / (size_t)((int32_t *)params)[0] + 1;
  if (!ok) {
    napi_throw_type_error(env, NULL, "gearCuts(buf, state: Int32Array(2), params: Int32Array(5), gear: Int32Array(256), cuts: Int32Array(buf.length / min + 1))");
    return NULL;
  }
  cuts_job *job = calloc(1, sizeof *job);
  if (job == NULL) {
    napi_throw_error(env, NULL, "gearCuts: out of memory");
    return NULL;
  }
  *job = (cuts_job){.buf = buf, .len = len, .state = state, .params = params, .gear = gear, .cuts = cuts, .room = room};
  for (int i = 0; i < 5; i++) napi_create_reference(env, argv[i], 1, &job->refs[i]);
  return start_job(env, "gearCuts", execute, complete, job, &job->deferred, &job->work);
}

napi_value gear_cuts_register(napi_env env, napi_value exports) { return export_function(env, exports, "gearCuts", js_gear_cuts); }
