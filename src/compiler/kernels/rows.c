/* Per-row kernels over the last axis: iSoftmax, ITAMax, iRMSNorm, iLayerNorm.
 * Work split: whole rows per core (no barrier needed). Formulas: operators.md. */
#include "dk_internal.h"

/* (a * b) / c for unsigned 64-bit values, 32-bit division when everything fits. */
DK_INLINE uint32_t muldiv_u(uint64_t a, uint32_t b, uint64_t c) {
  const uint64_t p = a * b;
  if ((p >> 32) == 0 && (c >> 32) == 0) return (uint32_t)p / (uint32_t)c;
  return (uint32_t)(p / c);
}

typedef struct {
  int64_t A, B, C;
  int32_t log2;
} isoft_t;

/* e(x~) of one element: x~ <= 0 */
DK_INLINE uint64_t isoft_e(const isoft_t *k, int32_t xt) {
  int32_t z = k->log2 > 0 ? (-xt) / k->log2 : 0;
  if (z > 31) z = 31;
  if (z < 0) z = 0;
  const int64_t p = (int64_t)xt + (int64_t)z * k->log2;
  const int64_t q = p + k->B;
  const int64_t v = k->A * q * q + k->C;
  return (uint64_t)(v >> z);
}

void dk_isoftmax(void *args) {
  const dk_softmax_args_t *a = (const dk_softmax_args_t *)args;
  const uint32_t L = a->len, T = a->x_type;
  const isoft_t k = {a->coeffA, a->coeffB, a->coeffC, a->log2};
  const uint32_t nm1 = (uint32_t)(a->n_levels - 1);
  uint32_t s, e;
  dk_split(a->rows, &s, &e);
  for (uint32_t r = s; r < e; r++) {
    const uint32_t base = r * L;
    int32_t mx = INT32_MIN;
    for (uint32_t j = 0; j < L; j++) mx = dk_max(mx, dk_ld(a->x, base + j, T));
    uint64_t sum = 0;
    for (uint32_t j = 0; j < L; j++) sum += isoft_e(&k, dk_ld(a->x, base + j, T) - mx);
    if (sum == 0) sum = 1;
    for (uint32_t j = 0; j < L; j++) {
      const uint64_t ej = isoft_e(&k, dk_ld(a->x, base + j, T) - mx);
      dk_st(a->y, base + j, a->y_type, (int32_t)muldiv_u(ej, nm1, sum) + a->out_off);
    }
  }
}

void dk_itamax(void *args) {
  const dk_softmax_args_t *a = (const dk_softmax_args_t *)args;
  const uint32_t L = a->len, T = a->x_type;
  const int32_t n = a->n_levels;
  uint32_t s, e;
  dk_split(a->rows, &s, &e);
  for (uint32_t r = s; r < e; r++) {
    const uint32_t base = r * L;
    int32_t mx = INT32_MIN;
    for (uint32_t j = 0; j < L; j++) mx = dk_max(mx, dk_ld(a->x, base + j, T));
    uint32_t sum = 0;
    for (uint32_t j = 0; j < L; j++) {
      const uint32_t sh = (uint32_t)(mx - dk_ld(a->x, base + j, T) + 16) >> 5;
      sum += sh > 31 ? 0 : 256u >> sh;
    }
    const int32_t q = sum ? ((n - 1) * 256) / (int32_t)sum : 0;
    for (uint32_t j = 0; j < L; j++) {
      const uint32_t sh = (uint32_t)(mx - dk_ld(a->x, base + j, T) + 16) >> 5;
      const int32_t out = (sh > 31 ? 0 : q >> sh) - n / 2;
      dk_st(a->y, base + j, a->y_type, out + a->out_off);
    }
  }
}

void dk_irmsnorm(void *args) {
  const dk_rmsnorm_args_t *a = (const dk_rmsnorm_args_t *)args;
  const uint32_t L = a->len, T = a->x_type;
  uint32_t s, e;
  dk_split(a->rows, &s, &e);
  for (uint32_t r = s; r < e; r++) {
    const uint32_t base = r * L;
    uint64_t sq = 0;
    for (uint32_t j = 0; j < L; j++) {
      const int32_t v = dk_ld(a->x, base + j, T) + a->in_off;
      sq += (uint64_t)((int64_t)v * v);
    }
    const uint32_t sd = dk_isqrt64(sq / L + 1);
    for (uint32_t j = 0; j < L; j++) {
      const int32_t v = dk_ld(a->x, base + j, T) + a->in_off;
      int32_t o = ((v * dk_ld(a->w, j, a->w_type)) / (int32_t)sd) >> a->log2d;
      o = dk_min(dk_max(o, a->lo), a->hi);
      dk_st(a->y, base + j, a->y_type, o);
    }
  }
}

void dk_ilayernorm(void *args) {
  const dk_layernorm_args_t *a = (const dk_layernorm_args_t *)args;
  const uint32_t L = a->len, T = a->x_type;
  uint32_t s, e;
  dk_split(a->rows, &s, &e);
  for (uint32_t r = s; r < e; r++) {
    const uint32_t base = r * L;
    int32_t sum = 0;
    for (uint32_t j = 0; j < L; j++) sum += dk_ld(a->x, base + j, T) + a->in_off;
    const int32_t mean = sum / (int32_t)L;
    uint64_t var = 0;
    for (uint32_t j = 0; j < L; j++) {
      const int32_t d = dk_ld(a->x, base + j, T) + a->in_off - mean;
      var += (uint64_t)((int64_t)d * d);
    }
    const uint32_t sd = dk_isqrt64(var / L + 1);
    for (uint32_t j = 0; j < L; j++) {
      const int32_t d = dk_ld(a->x, base + j, T) + a->in_off - mean;
      const int32_t o = ((d * a->w[j]) / (int32_t)sd + a->b[j]) >> a->log2d;
      dk_st(a->y, base + j, a->y_type, o);
    }
  }
}
