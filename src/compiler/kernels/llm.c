/* Kernels of the TinyStories decoder-step graph (docs/llm.md): runtime-index Gather, Lut, ArgMax,
 * iSoftmax over long rows, byte-run copies (Concat, Slice), attention MatMuls. Plain C, work split
 * by dk_split like the rest of the library. Each kernel copies its args to the stack first: the
 * memory plan may leave the args structs in L2, and stores through the output pointer would
 * otherwise force a reload of every field inside the loops. */
#include "dk_internal.h"

void dk_gather_rt(void *args) {
  dk_gather_rt_args_t a_l1; /* args may live in L2: read them once */
  dk_args_load(&a_l1, args, sizeof a_l1);
  const dk_gather_rt_args_t *a = &a_l1;
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
  dk_lut_args_t a_l1; /* args may live in L2: read them once */
  dk_args_load(&a_l1, args, sizeof a_l1);
  const dk_lut_args_t *a = &a_l1;
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
  dk_argmax_args_t a_l1; /* args may live in L2: read them once */
  dk_args_load(&a_l1, args, sizeof a_l1);
  const dk_argmax_args_t *a = &a_l1;
  uint32_t s, e;
  dk_split(a->outer * a->inner, &s, &e);
  for (uint32_t t = s; t < e; t++) {
    const uint32_t o = t / a->inner, i = t % a->inner;
    const uint32_t base = o * a->len * a->inner + i;
    int32_t best = dk_ld(a->x, base, a->x_type);
    uint32_t arg = 0;
    if (a->x_type == DK_I32 && a->inner == 1) { /* the logits row */
      const int32_t *x = (const int32_t *)a->x + base;
      for (uint32_t j = 1; j < a->len; j++)
        if (x[j] > best) {
          best = x[j];
          arg = j;
        }
      dk_st(a->y, t, a->y_type, (int32_t)arg);
      continue;
    }
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

/* iSoftmax (operators.md, formula in kernels.h beside dk_softmax_args_t) for long rows: the same
 * integers as the reference, cheaper per element. z = floor(d / log2) with d = max - x is taken as
 * 31 when d >= 31 log2 (the clamp) and otherwise as mulhu(d, ceil(2^32 / log2)), exact for
 * d < 32 log2 when log2 <= 11585 (the error d * (m log2 - 2^32) stays below 2^32; the mapping
 * checks log2); the quotient e * (n - 1) / sum (< n since e <= sum) by restoring division over
 * the bits of n - 1 instead of libgcc's 64-bit division. */
typedef struct {
  int64_t A, B, C;
  uint32_t c, m, dz;
  int32_t qf; /* |q| <= qf: A q^2 + C < 2^31, the polynomial in 32 bits */
  /* d in [d0, d0 + dspan] (unsigned compare of d - d0): e = 0 exactly (dk_isoft_zero_range);
   * these are the masked slots: one compare instead of the z / q arithmetic. zr = 0: no range. */
  uint32_t d0, dspan, zr;
} dk_isoft_k_t;

/* The d range where dk_isoft_e is provably 0, for coeffA, coeffC >= 0 (then A q^2 + C >= 0):
 * (1) d in [z0 log2, 31 log2): z = floor(d / log2) <= 30 and q = coeffB - d mod log2 lies in
 *     (coeffB - log2, coeffB], so A q^2 + C <= ymax < 2^z0 <= 2^z and the shift leaves 0;
 * (2) d in [31 log2, 2^30) with |q| = |31 log2 - d + coeffB| <= qf: z = 31, the 32-bit polynomial
 *     is < 2^31, shifted by 31 it is 0 (the kernel's early exit).
 * Both paths of dk_isoft_e compute the same integer, so which one runs does not matter. */
DK_INLINE void dk_isoft_zero_range(dk_isoft_k_t *k) {
  k->zr = 0;
  k->d0 = 0;
  k->dspan = 0;
  if (k->A < 0 || k->C < 0) return;
  const int64_t c = k->c, dz = k->dz;
  int64_t lo2 = 31 * c + k->B - k->qf, hi2 = 31 * c + k->B + k->qf;
  if (lo2 < dz) lo2 = dz;
  if (hi2 > (int64_t)(1u << 30) - 1) hi2 = (int64_t)(1u << 30) - 1;
  const int64_t qa = k->B, qb = k->B - c + 1;
  const uint64_t ymax = (uint64_t)(k->A * (qa * qa > qb * qb ? qa * qa : qb * qb) + k->C);
  /* z0 = bit length of ymax, at most 63 */
  const uint32_t yh = (uint32_t)(ymax >> 32), yl = (uint32_t)ymax;
  uint32_t z0 = yh ? 64u - (uint32_t)__builtin_clz(yh) : yl ? 32u - (uint32_t)__builtin_clz(yl) : 0u;
  if (z0 > 63) z0 = 63;
  const int zr1 = c > 0 && z0 <= 30, zr2 = lo2 <= hi2;
  int64_t lo, hi;
  if (zr1 && zr2 && lo2 == dz) lo = (int64_t)z0 * c, hi = hi2;
  else if (zr2) lo = lo2, hi = hi2;
  else if (zr1) lo = (int64_t)z0 * c, hi = dz - 1;
  else return;
  k->zr = 1;
  k->d0 = (uint32_t)lo;
  k->dspan = (uint32_t)(hi - lo);
}

DK_INLINE uint64_t dk_isoft_e(const dk_isoft_k_t *k, uint32_t d) {
  const uint32_t z = d >= k->dz ? 31u : (uint32_t)(((uint64_t)d * k->m) >> 32);
  if (d < (1u << 30)) { /* q in int32 (|coeffB| < 2^24, 31 log2 < 2^19: checked by the mapping) */
    const int32_t q = (int32_t)(z * k->c) - (int32_t)d + (int32_t)k->B;
    if ((uint32_t)(q + k->qf) <= 2u * (uint32_t)k->qf) {
      if (z == 31u) return 0; /* A q^2 + C < 2^31: nothing left after >> 31 (the masked slots) */
      const uint32_t uq = (uint32_t)q;
      return ((uint32_t)k->A * uq * uq + (uint32_t)k->C) >> z;
    }
  }
  const int64_t q = (int64_t)z * k->c - (int64_t)d + k->B; /* p + coeffB, p = x~ + z log2 */
  return (uint64_t)((k->A * q * q + k->C) >> z);
}

DK_INLINE uint32_t dk_qdiv(uint64_t n, uint64_t d, uint32_t bits) {
  if ((n >> 32) == 0 && (d >> 32) == 0) return (uint32_t)n / (uint32_t)d;
  if ((d >> (63 - bits)) != 0) return (uint32_t)(n / d);
  uint32_t q = 0;
  for (int32_t b = (int32_t)bits - 1; b >= 0; b--) {
    const uint64_t t = d << b;
    if (n >= t) {
      n -= t;
      q |= 1u << b;
    }
  }
  return q;
}

DK_INLINE void dk_isoftmax_row(const dk_softmax_args_t *a, const dk_isoft_k_t *k, uint32_t base, uint32_t T, uint32_t bits) {
  const uint32_t L = a->len, nm1 = (uint32_t)(a->n_levels - 1);
  const int32_t *xi = (const int32_t *)a->x + base;
  int32_t mx = INT32_MIN;
  if (T == DK_I32)
    for (uint32_t j = 0; j < L; j++) mx = dk_max(mx, xi[j]);
  else
    for (uint32_t j = 0; j < L; j++) mx = dk_max(mx, dk_ld(a->x, base + j, T));
  const uint32_t d0 = k->d0, dspan = k->dspan, zr = k->zr;
  uint64_t sum = 0;
  for (uint32_t j = 0; j < L; j++) {
    const uint32_t d = (uint32_t)mx - (uint32_t)(T == DK_I32 ? xi[j] : dk_ld(a->x, base + j, T));
    if (zr && d - d0 <= dspan) continue; /* e = 0 (masked slot) */
    sum += dk_isoft_e(k, d);
  }
  if (sum == 0) sum = 1;
  const int32_t out_off = a->out_off;
  if (a->y_type == DK_U8) {
    uint8_t *y = (uint8_t *)a->y + base;
    const uint8_t o0 = (uint8_t)out_off;
    for (uint32_t j = 0; j < L; j++) {
      const uint32_t d = (uint32_t)mx - (uint32_t)(T == DK_I32 ? xi[j] : dk_ld(a->x, base + j, T));
      if (zr && d - d0 <= dspan) {
        y[j] = o0;
        continue;
      }
      const uint64_t e = dk_isoft_e(k, d);
      const int32_t o = e == 0 ? 0 : (int32_t)dk_qdiv(e * nm1, sum, bits);
      y[j] = (uint8_t)(o + out_off);
    }
    return;
  }
  for (uint32_t j = 0; j < L; j++) {
    const uint64_t e = dk_isoft_e(k, (uint32_t)mx - (uint32_t)(T == DK_I32 ? xi[j] : dk_ld(a->x, base + j, T)));
    const int32_t o = e == 0 ? 0 : (int32_t)dk_qdiv(e * nm1, sum, bits);
    dk_st(a->y, base + j, a->y_type, o + out_off);
  }
}

/* The decoder's rows (int32 scores, uint8 probabilities, len <= DK_ISOFT_LIST): the same
 * integers as dk_isoftmax_row, with the masked slots (d in the zero range) touched only by the
 * max pass, one compare in the sum pass and a word fill of out_off; the sum pass lists the other
 * slots, the output pass visits only those. The constants are copied to locals (the list and
 * output stores would otherwise force reloads of every field per element), and when
 * sum * (n_levels - 1) < 2^32 (then so is every e * (n_levels - 1), as e <= sum) the quotient is
 * one 32-bit division. Max loop unrolled by 4 (a taken branch costs 3 cycles). */
#define DK_ISOFT_LIST 512
/* Element j of the row as int32, T a constant tag (DK_I32, DK_I8 or DK_U8). */
DK_INLINE int32_t dk_isoft_x(uint32_t T, const void *x, uint32_t j) {
  return T == DK_I32 ? ((const int32_t *)x)[j] : T == DK_I8 ? (int32_t)((const int8_t *)x)[j] : (int32_t)((const uint8_t *)x)[j];
}
/* The row's maximum (unrolled by 4: a taken branch costs 3 cycles). */
DK_INLINE uint32_t dk_isoft_max(uint32_t T, const void *xi, uint32_t L) {
  int32_t m0 = INT32_MIN, m1 = INT32_MIN, m2 = INT32_MIN, m3 = INT32_MIN;
  uint32_t j = 0;
  for (; j + 4 <= L; j += 4) {
    m0 = dk_max(m0, dk_isoft_x(T, xi, j));
    m1 = dk_max(m1, dk_isoft_x(T, xi, j + 1));
    m2 = dk_max(m2, dk_isoft_x(T, xi, j + 2));
    m3 = dk_max(m3, dk_isoft_x(T, xi, j + 3));
  }
  for (; j < L; j++) m0 = dk_max(m0, dk_isoft_x(T, xi, j));
  return (uint32_t)dk_max(dk_max(m0, m1), dk_max(m2, m3));
}
DK_INLINE void dk_isoftmax_row_list_t(uint32_t T, const dk_softmax_args_t *a, const dk_isoft_k_t *kp, uint32_t base, uint32_t bits) {
  const dk_isoft_k_t k = *kp;
  const uint32_t L = a->len, nm1 = (uint32_t)(a->n_levels - 1);
  const uint32_t esz = T == DK_I32 ? 4u : 1u;
  const void *xi = (const uint8_t *)a->x + base * esz;
  uint8_t *y = (uint8_t *)a->y + base;
  const uint8_t o0 = (uint8_t)a->out_off;
  uint16_t list[DK_ISOFT_LIST];
  const uint32_t mx = dk_isoft_max(T, xi, L);
  uint32_t j;
  uint32_t nl = 0;
  uint64_t sum = 0;
  for (j = 0; j < L; j++) {
    const uint32_t d = mx - (uint32_t)dk_isoft_x(T, xi, j);
    if (k.zr && d - k.d0 <= k.dspan) continue; /* e = 0 */
    list[nl++] = (uint16_t)j;
    sum += dk_isoft_e(&k, d);
  }
  if (sum == 0) sum = 1;
  const uint32_t fill = o0 * 0x01010101u;
  j = 0;
  if (((uintptr_t)y & 3u) == 0)
    for (; j + 4 <= L; j += 4) *(uint32_t *)(y + j) = fill;
  for (; j < L; j++) y[j] = o0;
  if ((sum >> 32) == 0 && ((sum * nm1) >> 32) == 0) {
    /* the quotient by the reciprocal (dk_udiv): a 32-bit division costs up to 35 cycles */
    const dk_udiv_t div = dk_udiv_prep((uint32_t)sum);
    for (uint32_t i = 0; i < nl; i++) {
      const uint32_t jj = list[i];
      const uint32_t v = (uint32_t)dk_isoft_e(&k, mx - (uint32_t)dk_isoft_x(T, xi, jj)) * nm1;
      y[jj] = (uint8_t)(dk_udiv(&div, v) + o0);
    }
    return;
  }
  for (uint32_t i = 0; i < nl; i++) {
    const uint32_t jj = list[i];
    const uint64_t e = dk_isoft_e(&k, mx - (uint32_t)dk_isoft_x(T, xi, jj));
    const int32_t o = e == 0 ? 0 : (int32_t)dk_qdiv(e * nm1, sum, bits);
    y[jj] = (uint8_t)(o + a->out_off);
  }
}
/* Rows of at most DK_ISOFT_EV elements: e is computed once per element in the sum pass and kept
 * (32 bits; when some e needs more, so does the sum, and the 64-bit path below recomputes), so
 * the output pass is a multiply by the reciprocal per element (masked slots have e = 0 -> out_off). */
#define DK_ISOFT_EV 256
DK_INLINE void dk_isoftmax_row_ev_t(uint32_t T, const dk_softmax_args_t *a, const dk_isoft_k_t *kp, uint32_t base, uint32_t bits) {
  const dk_isoft_k_t k = *kp;
  const uint32_t L = a->len, nm1 = (uint32_t)(a->n_levels - 1);
  const uint32_t esz = T == DK_I32 ? 4u : 1u;
  const void *xi = (const uint8_t *)a->x + base * esz;
  uint8_t *y = (uint8_t *)a->y + base;
  const uint8_t o0 = (uint8_t)a->out_off;
  uint32_t ev[DK_ISOFT_EV];
  const uint32_t mx = dk_isoft_max(T, xi, L);
  uint32_t j;
  uint64_t sum = 0;
  for (j = 0; j < L; j++) {
    const uint32_t d = mx - (uint32_t)dk_isoft_x(T, xi, j);
    uint32_t e32 = 0;
    if (!(k.zr && d - k.d0 <= k.dspan)) { /* else e = 0 (masked slot) */
      const uint64_t e = dk_isoft_e(&k, d);
      sum += e;
      e32 = (uint32_t)e;
    }
    ev[j] = e32;
  }
  if (sum == 0) sum = 1;
  if ((sum >> 32) == 0 && ((sum * nm1) >> 32) == 0) {
    const dk_udiv_t div = dk_udiv_prep((uint32_t)sum);
    for (j = 0; j < L; j++) y[j] = (uint8_t)(dk_udiv(&div, ev[j] * nm1) + o0);
    return;
  }
  for (j = 0; j < L; j++) {
    const uint32_t d = mx - (uint32_t)dk_isoft_x(T, xi, j);
    const uint64_t e = k.zr && d - k.d0 <= k.dspan ? 0 : dk_isoft_e(&k, d);
    const int32_t o = e == 0 ? 0 : (int32_t)dk_qdiv(e * nm1, sum, bits);
    y[j] = (uint8_t)(o + a->out_off);
  }
}
__attribute__((noinline)) static void dk_isoftmax_row_ev_i8(const dk_softmax_args_t *a, const dk_isoft_k_t *kp, uint32_t base, uint32_t bits) {
  dk_isoftmax_row_ev_t(DK_I8, a, kp, base, bits);
}
__attribute__((noinline)) static void dk_isoftmax_row_ev_i32(const dk_softmax_args_t *a, const dk_isoft_k_t *kp, uint32_t base, uint32_t bits) {
  dk_isoftmax_row_ev_t(DK_I32, a, kp, base, bits);
}

/* The decoder's rows (8-bit output, len <= DK_ISOFT_LIST): the same integers as dk_isoftmax_row,
 * with the masked slots (d in the zero range) touched only by the max pass, one compare in the
 * sum pass and a word fill of out_off; the sum pass lists the other slots, the output pass
 * visits only those. The constants are copied to locals (the list and output stores would
 * otherwise force reloads of every field per element), and when sum * (n_levels - 1) < 2^32
 * (then so is every e * (n_levels - 1), as e <= sum) the quotient is a reciprocal multiply
 * (dk_udiv).
 * One instance per input type (a type switch per element cost ~150 cycles per element with the
 * 3 passes). Max loop unrolled by 4 (a taken branch costs 3 cycles). */
__attribute__((noinline)) static void dk_isoftmax_row_list(const dk_softmax_args_t *a, const dk_isoft_k_t *kp, uint32_t base, uint32_t bits) {
  dk_isoftmax_row_list_t(DK_I32, a, kp, base, bits);
}
__attribute__((noinline)) static void dk_isoftmax_row_list_i8(const dk_softmax_args_t *a, const dk_isoft_k_t *kp, uint32_t base, uint32_t bits) {
  dk_isoftmax_row_list_t(DK_I8, a, kp, base, bits);
}
__attribute__((noinline)) static void dk_isoftmax_row_list_u8(const dk_softmax_args_t *a, const dk_isoft_k_t *kp, uint32_t base, uint32_t bits) {
  dk_isoftmax_row_list_t(DK_U8, a, kp, base, bits);
}

void dk_isoftmax_rows(void *args) {
  dk_softmax_args_t a_l1; /* args may live in L2: read them once */
  dk_args_load(&a_l1, args, sizeof a_l1);
  const dk_softmax_args_t *a = &a_l1;
  const uint32_t c = (uint32_t)a->log2;
  /* the largest |q| with A q^2 + C <= 2^31 - 1 */
  const uint32_t room = 0x7FFFFFFFu - (uint32_t)a->coeffC;
  uint32_t qf = a->coeffA > 0 ? dk_isqrt64(room / (uint32_t)a->coeffA) : (1u << 30);
  if (qf > (1u << 30)) qf = 1u << 30;
  dk_isoft_k_t k = {a->coeffA, a->coeffB, a->coeffC, c, c > 1 ? 0xFFFFFFFFu / c + 1u : (uint32_t)(0x100000000ull / c), 31u * c, (int32_t)qf, 0, 0, 0};
  dk_isoft_zero_range(&k);
  const uint32_t bits = 32u - (uint32_t)__builtin_clz((uint32_t)(a->n_levels - 1) | 1u);
  uint32_t s, e;
  dk_split(a->rows, &s, &e);
  for (uint32_t r = s; r < e; r++) {
    const int list = dk_is8(a->y_type) && a->len <= DK_ISOFT_LIST, ev = dk_is8(a->y_type) && a->len <= DK_ISOFT_EV;
    if (ev && a->x_type == DK_I8) dk_isoftmax_row_ev_i8(a, &k, r * a->len, bits);
    else if (ev && a->x_type == DK_I32) dk_isoftmax_row_ev_i32(a, &k, r * a->len, bits);
    else if (list && a->x_type == DK_I32) dk_isoftmax_row_list(a, &k, r * a->len, bits);
    else if (list && a->x_type == DK_I8) dk_isoftmax_row_list_i8(a, &k, r * a->len, bits);
    else if (list && a->x_type == DK_U8) dk_isoftmax_row_list_u8(a, &k, r * a->len, bits);
    else if (a->x_type == DK_I32) dk_isoftmax_row(a, &k, r * a->len, DK_I32, bits);
    else dk_isoftmax_row(a, &k, r * a->len, a->x_type, bits);
  }
}


/* n bytes: byte steps until dst is word aligned, then words (source at any alignment), then the tail. */
DK_INLINE void dk_copy_bytes(uint8_t *dst, const uint8_t *src, uint32_t n) {
  while (n > 0 && ((uintptr_t)dst & 3u) != 0) {
    *dst++ = *src++;
    n--;
  }
  uint32_t *d = (uint32_t *)dst;
  uint32_t w = n >> 2;
  if (((uintptr_t)src & 3u) == 0) {
    dk_copy_words(d, (const uint32_t *)src, w);
    d += w;
    src += 4 * w;
  } else {
    for (; w >= 4; w -= 4, d += 4, src += 16) {
      const uint32_t a = dk_lw_any(src), b = dk_lw_any(src + 4), c = dk_lw_any(src + 8), e = dk_lw_any(src + 12);
      d[0] = a;
      d[1] = b;
      d[2] = c;
      d[3] = e;
    }
    for (; w > 0; w--, src += 4) *d++ = dk_lw_any(src);
  }
  dst = (uint8_t *)d;
  for (n &= 3u; n > 0; n--) *dst++ = *src++;
}

void dk_copy_runs(void *args) {
  /* args in L2: read them once; in L1 in place (fields are read once per run, not per byte) */
  dk_copy_runs_args_t a_l1;
  const dk_copy_runs_args_t *a = (const dk_copy_runs_args_t *)args;
  if (!dk_in_l1(args, sizeof a_l1)) {
    dk_args_load(&a_l1, args, sizeof a_l1);
    a = &a_l1;
  }
  const uint32_t ni = a->n_inputs;
  uint32_t pre[DK_MAX_CONCAT + 1];
  pre[0] = 0;
  for (uint32_t i = 0; i < ni; i++) pre[i + 1] = pre[i] + a->run[i];
  const uint32_t R = pre[ni];
  uint32_t v, e;
  dk_split(a->outer * R, &v, &e);
  if (v >= e) return;
  /* locate the first run once; then runs follow in order (a division per run would cost ~50
   * cycles with the K cache's 127-byte runs) */
  uint32_t o = v / R, i = 0;
  while (v - o * R >= pre[i + 1]) i++;
  uint32_t b = v - o * R - pre[i];
  while (v < e) {
    uint32_t n = a->run[i] - b;
    if (n > e - v) n = e - v;
    dk_copy_bytes((uint8_t *)a->y + v, (const uint8_t *)a->x[i] + o * a->x_stride[i] + b, n);
    v += n;
    b = 0;
    if (++i == ni) {
      i = 0;
      o++;
    }
  }
}

/* Batched MatMul with a runtime B and a small K or a small N (decoder attention: scores =
 * q [b, M, 8] x K [b, 8, 512], context = p [b, M, 512] x V [b, 512, 8]), requantised. */
DK_INLINE int32_t dk_mm_rq(const dk_rq_t *rq, int32_t acc, uint32_t b, uint32_t m, uint32_t n) {
  return dk_rq1(rq, acc, (int32_t)(b * rq->mul_s[1] + m * rq->mul_s[2] + n * rq->mul_s[3]), (int32_t)(b * rq->add_s[1] + m * rq->add_s[2] + n * rq->add_s[3]));
}

#define DK_MM_SMALLK_MAX 16
#define DK_MM_SMALLN_MAX 16

/* Requant with one mul and one add for the whole tensor (all strides 0). */
DK_INLINE int32_t dk_rq_scalar(int32_t acc, int32_t mul, int32_t add, int32_t log2d, int32_t lo, int32_t hi) {
  int32_t v = acc * mul + add;
  if (log2d > 0) v = (v + (1 << (log2d - 1))) >> log2d;
  return v < lo ? lo : v > hi ? hi : v;
}

/* Items (b, n): the K values of B's column n, times the M rows of A (kept widened on the stack).
 * M and K are compile-time constants in the instantiations below (loops unrolled). */
DK_INLINE void dk_mm_smallk(const dk_matmul_small_args_t *a, uint32_t TA, uint32_t TB, uint32_t M, uint32_t K) {
  const uint32_t N = a->N;
  const dk_rq_t *rq = &a->rq;
  int32_t flat = 1;
  for (uint32_t d = 0; d < DK_MAX_DIMS; d++) flat &= rq->mul_s[d] == 0 && rq->add_s[d] == 0;
  const int32_t mul0 = rq->mul ? rq->mul[0] : 1, add0 = rq->mul && rq->add ? rq->add[0] : 0;
  const int32_t lg = rq->log2d, lo = rq->lo - rq->out_off, hi = rq->hi - rq->out_off;
  uint32_t s, e;
  dk_split(a->batch * N, &s, &e);
  int32_t av[4 * DK_MM_SMALLK_MAX];
  uint32_t t = s;
  while (t < e) {
    const uint32_t b = t / N;
    uint32_t n = t - b * N;
    const uint32_t nend = (e - b * N) < N ? e - b * N : N;
    for (uint32_t i = 0; i < M * K; i++) av[i] = dk_ld(a->A, b * M * K + i, TA);
    for (; n < nend; n++, t++) {
      int32_t bv[DK_MM_SMALLK_MAX];
      const uint32_t bb = b * K * N + n;
#pragma GCC unroll 16
      for (uint32_t k = 0; k < K; k++) bv[k] = dk_ld(a->B, bb + k * N, TB);
#pragma GCC unroll 4
      for (uint32_t m = 0; m < M; m++) {
        int32_t acc = 0;
#pragma GCC unroll 16
        for (uint32_t k = 0; k < K; k++) acc += av[m * K + k] * bv[k];
        const uint32_t yi = (b * M + m) * N + n;
        int32_t y = acc;
        if (rq->mul) y = flat ? dk_rq_scalar(acc + rq->in_off, mul0, add0, lg, lo, hi) + rq->out_off : dk_mm_rq(rq, acc, b, m, n);
        dk_st(a->Y, yi, a->y_type, y);
      }
    }
  }
}

DK_INLINE void dk_mm_smalln(const dk_matmul_small_args_t *a, uint32_t TA, uint32_t TB) {
  const uint32_t M = a->M, K = a->K, N = a->N;
  uint32_t s, e;
  dk_split(a->batch * M, &s, &e); /* items (b, m) */
  for (uint32_t t = s; t < e; t++) {
    const uint32_t b = t / M, m = t - b * M;
    int32_t acc[DK_MM_SMALLN_MAX];
    for (uint32_t n = 0; n < N; n++) acc[n] = 0;
    const uint32_t ab = (b * M + m) * K, bb = b * K * N;
    if (TA == DK_U8 && TB == DK_I8 && N == 8 && (K & 3u) == 0 && (((uintptr_t)a->A + ab) & 3u) == 0) {
      /* the decoder's context: probabilities x V with head size 8; 4 probabilities per word
       * load, zero words (masked slots) skipped at once, the 8 sums in registers */
      const uint32_t *pw = (const uint32_t *)((const uint8_t *)a->A + ab);
      const int8_t *v = (const int8_t *)a->B + bb;
      int32_t c0 = 0, c1 = 0, c2 = 0, c3 = 0, c4 = 0, c5 = 0, c6 = 0, c7 = 0;
      for (uint32_t k4 = 0; k4 < K; k4 += 4, v += 32) {
        uint32_t w = pw[k4 >> 2];
        for (const int8_t *vr = v; w != 0; w >>= 8, vr += 8) {
          const int32_t x = (int32_t)(w & 0xFFu);
          if (x == 0) continue;
          c0 += x * vr[0];
          c1 += x * vr[1];
          c2 += x * vr[2];
          c3 += x * vr[3];
          c4 += x * vr[4];
          c5 += x * vr[5];
          c6 += x * vr[6];
          c7 += x * vr[7];
        }
      }
      acc[0] = c0, acc[1] = c1, acc[2] = c2, acc[3] = c3, acc[4] = c4, acc[5] = c5, acc[6] = c6, acc[7] = c7;
      for (uint32_t n = 0; n < N; n++) dk_st(a->Y, (b * M + m) * N + n, a->y_type, a->rq.mul ? dk_mm_rq(&a->rq, acc[n], b, m, n) : acc[n]);
      continue;
    }
    for (uint32_t k = 0; k < K; k++) {
      const int32_t x = dk_ld(a->A, ab + k, TA);
      if (x == 0) continue; /* masked attention slots */
      for (uint32_t n = 0; n < N; n++) acc[n] += x * dk_ld(a->B, bb + k * N + n, TB);
    }
    for (uint32_t n = 0; n < N; n++) dk_st(a->Y, (b * M + m) * N + n, a->y_type, a->rq.mul ? dk_mm_rq(&a->rq, acc[n], b, m, n) : acc[n]);
  }
}

typedef struct {
  int32_t mul0, add0, lg, lo, hi, off, in, yz;
  int is32, quads;
} dk_qk8_k_t;

/* Columns n0..nend-1 of batch b. 4 columns at a time where all 8 rows of them are zero words
 * (empty cache slots hold K = 0): their scores are the requant of acc = 0 (yz); other columns
 * pack their 8 strided bytes into two words. */
DK_INLINE void dk_qk8_span(const dk_matmul_small_args_t *a, const dk_qk8_k_t *k, uint32_t b, uint32_t n0, uint32_t nend) {
  const uint32_t N = a->N;
  const int32_t mul0 = k->mul0, add0 = k->add0, lg = k->lg, lo = k->lo, hi = k->hi, off = k->off, in = k->in, yz = k->yz;
  const int is32 = k->is32, quads = k->quads;
  const uint32_t *aw = (const uint32_t *)((const int8_t *)a->A + b * 16);
  const uint32_t a00 = aw[0], a01 = aw[1], a10 = aw[2], a11 = aw[3];
  const uint8_t *c = (const uint8_t *)a->B + b * 8 * N + n0;
  const uint8_t *const cend = c + (nend - n0);
  const uint8_t *c4 = c + 4 * N;
  uint32_t yi = b * 2 * N + n0;
  for (; c < cend; c++, c4++, yi++) {
    if (quads && ((uintptr_t)c & 3u) == 0 && c + 4 <= cend) {
      const uint32_t *q = (const uint32_t *)c;
      const uint32_t nw = N >> 2;
      if ((q[0] | q[nw] | q[2 * nw] | q[3 * nw] | q[4 * nw] | q[5 * nw] | q[6 * nw] | q[7 * nw]) == 0) {
        if (is32) {
          int32_t *y = (int32_t *)a->Y + yi;
          y[0] = y[1] = y[2] = y[3] = yz;
          y[N] = y[N + 1] = y[N + 2] = y[N + 3] = yz;
        } else {
          for (uint32_t j = 0; j < 4; j++) {
            dk_st(a->Y, yi + j, a->y_type, yz);
            dk_st(a->Y, yi + N + j, a->y_type, yz);
          }
        }
        c += 3;
        c4 += 3;
        yi += 3;
        continue;
      }
    }
    const uint32_t w0 = (uint32_t)c[0] | ((uint32_t)c[N] << 8) | ((uint32_t)c[2 * N] << 16) | ((uint32_t)c[3 * N] << 24);
    const uint32_t w1 = (uint32_t)c4[0] | ((uint32_t)c4[N] << 8) | ((uint32_t)c4[2 * N] << 16) | ((uint32_t)c4[3 * N] << 24);
    int32_t y0 = (dk_sdotsp4(dk_sdotsp4(0, a00, w0), a01, w1) + in) * mul0 + add0;
    int32_t y1 = (dk_sdotsp4(dk_sdotsp4(0, a10, w0), a11, w1) + in) * mul0 + add0;
    y0 >>= lg;
    y1 >>= lg;
    y0 = (y0 < lo ? lo : y0 > hi ? hi : y0) + off;
    y1 = (y1 < lo ? lo : y1 > hi ? hi : y1) + off;
    if (is32) {
      ((int32_t *)a->Y)[yi] = y0;
      ((int32_t *)a->Y)[yi + N] = y1;
    } else {
      dk_st(a->Y, yi, a->y_type, y0);
      dk_st(a->Y, yi + N, a->y_type, y1);
    }
  }
}

/* The decoder's scores: M = 2 query rows per KV head, K = 8 (head size), int8 x int8, per-tensor
 * requant. With N % 16 == 0 the work items are 16-column pieces dealt round-robin over the cores: the
 * filled cache slots sit together at the end of the window, a contiguous split would give them
 * all to one core per head. */
__attribute__((noinline)) static void dk_mm_qk8(const dk_matmul_small_args_t *a) {
  const uint32_t N = a->N;
  const dk_rq_t *rq = &a->rq;
  dk_qk8_k_t k;
  k.mul0 = rq->mul[0];
  k.add0 = (rq->add ? rq->add[0] : 0) + (rq->log2d > 0 ? 1 << (rq->log2d - 1) : 0);
  k.lg = rq->log2d;
  k.lo = rq->lo - rq->out_off;
  k.hi = rq->hi - rq->out_off;
  k.off = rq->out_off;
  k.in = rq->in_off;
  k.is32 = a->y_type == DK_I32;
  int32_t yz = (k.in * k.mul0 + k.add0) >> k.lg;
  k.yz = (yz < k.lo ? k.lo : yz > k.hi ? k.hi : yz) + k.off;
  k.quads = ((N & 3u) == 0) && (((uintptr_t)a->B & 3u) == 0);
  if (k.quads && (N & 15u) == 0) {
    const uint32_t nq = N >> 4, items = a->batch * nq; /* 16-column items */
    uint32_t nc = DK_NCORES();
    if (nc == 0) nc = 1;
    for (uint32_t t = DK_CORE_ID(); t < items; t += nc) {
      const uint32_t b = t / nq, n0 = (t - b * nq) * 16;
      dk_qk8_span(a, &k, b, n0, n0 + 16);
    }
    return;
  }
  uint32_t s, e;
  dk_split(a->batch * N, &s, &e);
  uint32_t t = s;
  while (t < e) {
    const uint32_t b = t / N;
    const uint32_t n0 = t - b * N;
    const uint32_t nend = (e - b * N) < N ? e - b * N : N;
    dk_qk8_span(a, &k, b, n0, nend);
    t += nend - n0;
  }
}

void dk_matmul_small(void *args) {
  dk_matmul_small_args_t a_l1; /* args may live in L2: read them once */
  dk_args_load(&a_l1, args, sizeof a_l1);
  const dk_matmul_small_args_t *a = &a_l1;
  const uint32_t ta = a->a_type, tb = a->b_type;
  if (a->K <= DK_MM_SMALLK_MAX && a->M <= 4 && a->N >= a->K) {
    int32_t flat = a->rq.mul != 0 && ((uintptr_t)a->A & 3u) == 0;
    for (uint32_t d = 0; d < DK_MAX_DIMS; d++) flat &= a->rq.mul_s[d] == 0 && a->rq.add_s[d] == 0;
    if (ta == DK_I8 && tb == DK_I8 && a->M == 2 && a->K == 8 && flat) dk_mm_qk8(a);
    else if (ta == DK_I8 && tb == DK_I8 && a->M == 2 && a->K == 8) dk_mm_smallk(a, DK_I8, DK_I8, 2, 8); /* GQA pairs, head size 8 */
    else if (ta == DK_I8 && tb == DK_I8) dk_mm_smallk(a, DK_I8, DK_I8, a->M, a->K);
    else dk_mm_smallk(a, ta, tb, a->M, a->K);
  } else {
    if (ta == DK_U8 && tb == DK_I8) dk_mm_smalln(a, DK_U8, DK_I8);
    else dk_mm_smalln(a, ta, tb);
  }
}
