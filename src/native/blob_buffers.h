/* Room for a blob's plaintext and its decrypted frame, for the jobs that open blobs (open_blobs.c, write_blobs.c).
 * A job takes a pair from a free list and gives it back when done, so there are as many pairs as jobs ever ran at
 * once, each grown to the largest blob it held, rather than a pair per thread of the (16-thread) libuv pool. Each
 * file including this header has its own list. */
#ifndef ROZEN_BLOB_BUFFERS_H
#define ROZEN_BLOB_BUFFERS_H
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

typedef struct blob_buffers {
  uint8_t *plain, *frame;
  size_t plain_len, frame_len;
  struct blob_buffers *next;
} blob_buffers;

static pthread_mutex_t buffers_lock = PTHREAD_MUTEX_INITIALIZER;
static blob_buffers *free_buffers;

/* A pair from the list, or a new empty one; NULL when out of memory. */
static inline blob_buffers *take_buffers(void) {
  pthread_mutex_lock(&buffers_lock);
  blob_buffers *b = free_buffers;
  if (b != NULL) free_buffers = b->next;
  pthread_mutex_unlock(&buffers_lock);
  return b != NULL ? b : calloc(1, sizeof *b);
}

static inline void give_buffers(blob_buffers *b) {
  pthread_mutex_lock(&buffers_lock);
  b->next = free_buffers;
  free_buffers = b;
  pthread_mutex_unlock(&buffers_lock);
}

/* Grows both to hold a blob of `plain` bytes sealed in `sealed` bytes (at least 1 each); false when out of memory. */
static inline bool fit_buffers(blob_buffers *b, size_t plain, size_t sealed) {
  size_t want[2] = {plain > 0 ? plain : 1, sealed > 0 ? sealed : 1};
  uint8_t **p[2] = {&b->plain, &b->frame};
  size_t *len[2] = {&b->plain_len, &b->frame_len};
  for (int i = 0; i < 2; i++) {
    if (*len[i] >= want[i]) continue;
    uint8_t *grown = realloc(*p[i], want[i]);
    if (grown == NULL) return false;
    *p[i] = grown;
    *len[i] = want[i];
  }
  return true;
}
#endif
