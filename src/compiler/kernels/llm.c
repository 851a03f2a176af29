/* Kernels of the TinyStories decoder-step graph (docs/llm.md): runtime-index Gather, Lut, ArgMax.
 * Small and memory-bound: plain C, work split by dk_split like the rest of the library. */
#include "dk_internal.h"

void dk_gather_rt(void *args) {
  const dk_gather_rt_args_t *a = (const dk_gather_rt_args_t *)args;
  const uint32_t row = a->inner * a->elem_size;
  uint32_t s, e;
  dk_split(a->outer * a->n_idx, &s, &e);
  for (uint32_t t = s; t < e; t++) {
    const uint32_t o = t / a->n_idx, j = t % a->n_idx;
    int32_t ix = dk_ld(a->idx, j, a->idx_type);
    if (ix < 0) ix += (int32_t)a->axis_len;
    uint8_t *dst = (uint8_t *)a->y + t * row;
    if (ix < 0 || (uint32_t)ix >= a->axis_len) {
      for (uint32_t b = 0; b < row; b++) dst[b] = 0;
      continue;
    }
    const uint8_t *src = (const uint8_t *)a->x + (o * a->axis_len + (uint32_t)ix) * row;
    if ((((uint32_t)src | (uint32_t)dst | row) & 3) == 0) {
      for (uint32_t b = 0; b < row; b += 4) *(uint32_t *)(dst + b) = *(const uint32_t *)(src + b);
    } else {
      for (uint32_t b = 0; b < row; b++) dst[b] = src[b];
    }
  }
}

void dk_lut(void *args) {
  const dk_lut_args_t *a = (const dk_lut_args_t *)args;
  uint32_t s, e;
  dk_split(a->n, &s, &e);
  if (a->y_type == DK_I8 || a->y_type == DK_U8) {
    const uint8_t *tab = (const uint8_t *)a->table + 128;
    uint8_t *y = (uint8_t *)a->y;
    for (uint32_t i = s; i < e; i++) y[i] = tab[a->x[i]];
    return;
  }
  for (uint32_t i = s; i < e; i++) dk_st(a->y, i, a->y_type, dk_ld(a->table, (uint32_t)(a->x[i] + 128), a->y_type));
}

void dk_argmax(void *args) {
  const dk_argmax_args_t *a = (const dk_argmax_args_t *)args;
  uint32_t s, e;
  dk_split(a->outer * a->inner, &s, &e);
  for (uint32_t t = s; t < e; t++) {
    const uint32_t o = t / a->inner, i = t % a->inner;
    const uint32_t base = o * a->len * a->inner + i;
    int32_t best = dk_ld(a->x, base, a->x_type);
    uint32_t arg = 0;
    for (uint32_t j = 1; j < a->len; j++) {
      const int32_t v = dk_ld(a->x, base + j * a->inner, a->x_type);
      if (v > best) { /* strictly greater: the first maximum wins */
        best = v;
        arg = j;
      }
    }
    dk_st(a->y, t, a->y_type, (int32_t)arg);
  }
}
