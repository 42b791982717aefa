/* buildInfo(): what the addon was built with, for `rozen version`: the zstd it links (its version at run time), the
 * compiler, the N-API version it targets and the OpenSSL headers it was compiled against (the library is Node's). */
#include <openssl/opensslv.h>
#include <node_api.h>
#include <zstd.h>
#include "async_job.h"

#ifdef __clang__
#define COMPILER "clang " __clang_version__
#elif defined(__GNUC__)
#define COMPILER "gcc " __VERSION__
#else
#define COMPILER "unknown"
#endif

static void set_string(napi_env env, napi_value obj, const char *key, const char *value) {
  napi_value v;
  napi_create_string_utf8(env, value, NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, obj, key, v);
}

static napi_value js_build_info(napi_env env, napi_callback_info info) {
  napi_value result, napi;
  napi_create_object(env, &result);
  set_string(env, result, "zstd", ZSTD_versionString());
  set_string(env, result, "compiler", COMPILER);
  set_string(env, result, "openssl", OPENSSL_VERSION_TEXT);
  napi_create_uint32(env, NAPI_VERSION, &napi);
  napi_set_named_property(env, result, "napi", napi);
  return result;
}

napi_value build_info_register(napi_env env, napi_value exports) {
  return export_function(env, exports, "buildInfo", js_build_info);
}
