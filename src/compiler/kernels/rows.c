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

/* 32-bit form of isoft_e, valid when coeffA*q^2 + coeffC fits int32 for every q = p + coeffB
 * (checked once per call): z by subtraction (z <= 31, and at most a few steps for the usual
 * log2 ~ 2^8 scales) instead of a division per element. */
DK_INLINE uint32_t isoft_e32(int32_t A, int32_t B, int32_t C, int32_t log2, int32_t xt) {
  int32_t r = -xt, z = 0;
  while (r >= log2 && z < 31) {
    r -= log2;
    z++;
  }
  const int32_t q = B - r; /* p + coeffB with p = xt + z*log2 = -r */
  return (uint32_t)(A * q * q + C) >> z;
}

DK_INLINE void isoftmax_t(uint32_t T, uint32_t YT, const dk_softmax_args_t *a) {
  const uint32_t L = a->len;
  const isoft_t k = {a->coeffA, a->coeffB, a->coeffC, a->log2};
  const uint32_t nm1 = (uint32_t)(a->n_levels - 1);
  const int32_t out_off = a->out_off;
  /* 32-bit path: log2 > 0, 0 <= A*q^2 + C < 2^31 over q in (B - log2, B], row sums < 2^32 and
   * e * (n-1) < 2^32 */
  int fast = 0;
  if (k.log2 > 0) {
    const int64_t q1 = k.B, q0 = k.B - k.log2 + 1;
    const int64_t qq = q1 * q1 > q0 * q0 ? q1 * q1 : q0 * q0;
    const int64_t qmin2 = (q0 <= 0 && q1 >= 0) ? 0 : (q0 > 0 ? q0 * q0 : q1 * q1);
    const int64_t hi = k.A >= 0 ? k.A * qq + k.C : k.A * qmin2 + k.C;
    const int64_t lo = k.A >= 0 ? k.A * qmin2 + k.C : k.A * qq + k.C;
    if (lo >= 0 && hi < (1ll << 31) && (uint64_t)hi * L < (1ull << 32) && (uint64_t)hi * nm1 < (1ull << 32)) {
      fast = 1;
    }
  }
  uint32_t s, e;
  dk_split(a->rows, &s, &e);
  for (uint32_t r = s; r < e; r++) {
    const uint32_t base = r * L;
    int32_t mx = INT32_MIN, mn = INT32_MAX;
#pragma GCC unroll 4
    for (uint32_t j = 0; j < L; j++) {
      const int32_t v = dk_ld(a->x, base + j, T);
      mx = dk_max(mx, v);
      mn = dk_min(mn, v);
    }
    /* the 32-bit bounds hold while z stays below its clamp: -x~ < 32*log2 for the whole row */
    if (fast && (int64_t)mx - mn < 32ll * a->log2) {
      const int32_t A = a->coeffA, B = a->coeffB, C = a->coeffC, lg = a->log2;
      uint32_t sum = 0;
#pragma GCC unroll 2
      for (uint32_t j = 0; j < L; j++) sum += isoft_e32(A, B, C, lg, dk_ld(a->x, base + j, T) - mx);
      if (sum == 0) sum = 1;
      const dk_udiv_t div = dk_udiv_prep(sum);
      for (uint32_t j = 0; j < L; j++) {
        const uint32_t ej = isoft_e32(A, B, C, lg, dk_ld(a->x, base + j, T) - mx);
        dk_st(a->y, base + j, YT, (int32_t)dk_udiv(&div, ej * nm1) + out_off);
      }
      continue;
    }
    uint64_t sum = 0;
    for (uint32_t j = 0; j < L; j++) sum += isoft_e(&k, dk_ld(a->x, base + j, T) - mx);
    if (sum == 0) sum = 1;
    for (uint32_t j = 0; j < L; j++) {
      const uint64_t ej = isoft_e(&k, dk_ld(a->x, base + j, T) - mx);
      dk_st(a->y, base + j, YT, (int32_t)muldiv_u(ej, nm1, sum) + out_off);
    }
  }
}

void dk_isoftmax(void *args) {
  const dk_softmax_args_t *a = (const dk_softmax_args_t *)args;
  /* the common instantiations get loops without per-element type switches */
  if (a->x_type == DK_I8 && dk_is8(a->y_type)) isoftmax_t(DK_I8, DK_U8, a);
  else if (a->x_type == DK_U8 && dk_is8(a->y_type)) isoftmax_t(DK_U8, DK_U8, a);
  else isoftmax_t(a->x_type, a->y_type, a);
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

/* Row r's divisor isqrt(sum v^2 / len + 1). */
DK_INLINE dk_udiv_t irms_std(uint32_t T, int sq32, const dk_rmsnorm_args_t *a, uint32_t base) {
  const uint32_t L = a->len;
  const int32_t in_off = a->in_off;
  uint64_t sq;
  if (sq32) {
    uint32_t s32 = 0;
#pragma GCC unroll 4
    for (uint32_t j = 0; j < L; j++) {
      const int32_t v = dk_ld(a->x, base + j, T) + in_off;
      s32 += (uint32_t)(v * v);
    }
    sq = s32;
  } else {
    /* wider inputs (the decoder's 13-bit activations in int32): a 32-bit sum and the value range
     * in one pass, exact when L * max|v|^2 < 2^32; otherwise the 64-bit sum (mulh per value) */
    uint32_t s32 = 0;
    int32_t mx = 0, mn = 0;
#pragma GCC unroll 4
    for (uint32_t j = 0; j < L; j++) {
      const int32_t v = dk_ld(a->x, base + j, T) + in_off;
      s32 += (uint32_t)v * (uint32_t)v;
      mx = dk_max(mx, v);
      mn = dk_min(mn, v);
    }
    const uint32_t am = (uint32_t)mx > 0u - (uint32_t)mn ? (uint32_t)mx : 0u - (uint32_t)mn;
    if (am < 46341u && (uint64_t)am * am * L < (1ull << 32)) {
      sq = s32;
    } else {
      sq = 0;
      for (uint32_t j = 0; j < L; j++) {
        const int32_t v = dk_ld(a->x, base + j, T) + in_off;
        sq += (uint64_t)((int64_t)v * v);
      }
    }
  }
  const uint64_t mean = (sq >> 32) == 0 ? (uint64_t)((uint32_t)sq / L) : sq / L;
  return dk_udiv_prep(dk_isqrt64(mean + 1));
}

/* Work items are (row, column chunk): with fewer rows than cores (the decoder's single 64-wide
 * row) each row is cut into chunks so that every core has outputs; each core then computes the
 * row's sum of squares itself (cheap against the per-output division, and no barrier). */
DK_INLINE void irmsnorm_t(uint32_t T, uint32_t WT, uint32_t YT, const dk_rmsnorm_args_t *a) {
  const uint32_t L = a->len;
  const int32_t in_off = a->in_off, sh = a->log2d, lo = a->lo, hi = a->hi;
  /* 8-bit inputs: |v| <= 255 + |in_off|, so the sum of squares fits 32 bits for short rows */
  const uint32_t vmax = 255u + (uint32_t)(in_off < 0 ? -in_off : in_off);
  const int sq32 = dk_is8(T) && vmax < 46341u && (uint64_t)vmax * vmax * L < (1ull << 32);
  const uint32_t nc = DK_NCORES() ? DK_NCORES() : 1;
  uint32_t chunks = a->rows >= nc || a->rows == 0 ? 1u : nc / a->rows;
  if (chunks > L) chunks = L ? L : 1;
  const uint32_t cq = L / chunks, cr = L % chunks;
  uint32_t s, e, last = 0xFFFFFFFFu;
  dk_split(a->rows * chunks, &s, &e);
  dk_udiv_t sd = {1, 0};
  for (uint32_t t = s; t < e; t++) {
    const uint32_t r = t / chunks, c = t - r * chunks;
    const uint32_t base = r * L;
    if (r != last) {
      sd = irms_std(T, sq32, a, base);
      last = r;
    }
    const uint32_t j0 = c * cq + (c < cr ? c : cr), j1 = j0 + cq + (c < cr ? 1 : 0);
    for (uint32_t j = j0; j < j1; j++) {
      const int32_t v = dk_ld(a->x, base + j, T) + in_off;
      int32_t o = dk_sdiv(&sd, v * dk_ld(a->w, j, WT)) >> sh;
      dk_st(a->y, base + j, YT, dk_min(dk_max(o, lo), hi));
    }
  }
}

void dk_irmsnorm(void *args) {
  dk_rmsnorm_args_t a_l1; /* args may live in L2: read them once */
  dk_args_load(&a_l1, args, sizeof a_l1);
  const dk_rmsnorm_args_t *a = &a_l1;
  if (a->x_type == DK_I8 && a->w_type == DK_I32 && dk_is8(a->y_type)) irmsnorm_t(DK_I8, DK_I32, DK_U8, a);
  else if (a->x_type == DK_I32 && a->w_type == DK_I32 && dk_is8(a->y_type)) irmsnorm_t(DK_I32, DK_I32, DK_U8, a); /* the LLM's 13-bit input */
  else irmsnorm_t(a->x_type, a->w_type, a->y_type, a);
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
