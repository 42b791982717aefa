/* The FastCDC boundary search of FORMAT §8, bit for bit, shared by gearScan (rozen_native.c, one call per cut
 * on the JS thread) and gearCuts (gear_cuts.c, every cut of a buffer on the libuv pool). */
#ifndef ROZEN_GEAR_SCAN_H
#define ROZEN_GEAR_SCAN_H
#include <stdint.h>

/* Continues the chunk in state [h, length so far] over buf[start, end), params [min, avg, max, maskS, maskL].
 * Returns the index just after the boundary (state reset to [0, 0]) or -1 (state carried over). */
static inline int64_t gear_scan(const uint8_t *buf, int64_t start, int64_t end, int32_t *state, const int32_t *params,
                                const int32_t *gear) {
  const int64_t min = params[0], avg = params[1], max = params[2];
  const uint32_t mask_s = (uint32_t)params[3], mask_l = (uint32_t)params[4];
  uint32_t h = (uint32_t)state[0];
  const int64_t base = (int64_t)state[1] - start;
  int64_t i = start > min - 1 - base ? start : min - 1 - base;
  int64_t cut = -1;
  int64_t stop = end < avg - 1 - base ? end : avg - 1 - base;
  for (; i < stop; i++) {
    h = (h << 1) + (uint32_t)gear[buf[i]];
    if ((h & mask_s) == 0) { cut = i + 1; goto found; }
  }
  if (i < stop) i = stop;
  stop = end < max - base ? end : max - base;
  for (; i < stop; i++) {
    h = (h << 1) + (uint32_t)gear[buf[i]];
    if ((h & mask_l) == 0) { cut = i + 1; goto found; }
  }
  if (base + i == max) { cut = i; goto found; }
  state[0] = (int32_t)h;
  state[1] = (int32_t)(base + end);
  return -1;
found:
  state[0] = 0;
  state[1] = 0;
  return cut;
}
#endif
