/* Bytes the addon read and keeps for JavaScript without handing them over: a small file's content read by
 * readFiles (read_files.c) for sealBlobs (seal_blobs.c). JavaScript holds an object wrapping them (its `length`
 * and `mostlyZeros` are set on it) and passes that object back as a blob; sealing frees the bytes at once, on the
 * thread that sealed them, rather than when the garbage collector gets to a Buffer copy of them. An object that is
 * never sealed frees them when it is collected. */
#ifndef ROZEN_HELD_BYTES_H
#define ROZEN_HELD_BYTES_H
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <node_api.h>

typedef struct {
  uint8_t *data; /* NULL once sealed */
  size_t len;
  bool taken;    /* given to a sealBlobs call, which frees the data */
} held_bytes;

/* Marks the objects that wrap held bytes, so nothing else is taken for them. */
static const napi_type_tag HELD_TAG = {0x726f7a656e2d6865ULL, 0x6c642d6279746573ULL};

static inline void held_finalize(napi_env env, void *data, void *hint) {
  held_bytes *h = data;
  free(h->data);
  free(h);
}

/* The held bytes `v` wraps, or NULL when it is not such an object. */
static inline held_bytes *held_of(napi_env env, napi_value v) {
  bool tagged = false;
  void *h = NULL;
  napi_valuetype type;
  if (napi_typeof(env, v, &type) != napi_ok || type != napi_object) return NULL;
  if (napi_check_object_type_tag(env, v, &HELD_TAG, &tagged) != napi_ok || !tagged) return NULL;
  return napi_unwrap(env, v, &h) == napi_ok ? h : NULL;
}
#endif
