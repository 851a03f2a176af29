/* The quantized vocabulary's kernels (kernels_ext.h): wide RequantShift of the standard-ONNX
 * lowering, IntegerDiv / RQIntegerDiv, RequantizediGELU / RequantizediHardswish, ITAPartialMax,
 * iNoNorm, IntegerMean and integer AveragePool. Formulas: docs/reference.md. Every kernel takes
 * its dk_split share of the output elements (rows for ITAPartialMax); no kernel synchronises. */
#include "dk_internal.h"

/* Walks p[(i / inner) % count] from element i on, without a division per element. */
typedef struct {
  uint32_t c, r, inner, count;
} dk_bcast_iter_t;

DK_INLINE dk_bcast_iter_t bcast_at(dk_bcast_t p, uint32_t i) {
  dk_bcast_iter_t it = {0, 0, p.inner ? p.inner : 1, p.count ? p.count : 1};
  if (it.count > 1) {
    uint32_t q = i / it.inner;
    it.r = i - q * it.inner;
    it.c = q % it.count;
  }
  return it;
}

DK_INLINE void bcast_next(dk_bcast_iter_t *it) {
  if (it->count == 1) return;
  if (++it->r == it->inner) {
    it->r = 0;
    if (++it->c == it->count) it->c = 0;
  }
}

DK_INLINE int32_t clamp32(int32_t v, int32_t lo, int32_t hi) {
  return dk_min(dk_max(v, lo), hi);
}

/* (t + 2^(s-1)) >> s in int32, s = 0: t (Deeploy's requant epilogue with a shift). */
DK_INLINE int32_t shift_round(int32_t t, int32_t s) {
  return s > 0 ? (t + (1 << (s - 1))) >> s : t;
}

void dk_requant_wide(void *args) {
  const dk_requant_wide_args_t *a = (const dk_requant_wide_args_t *)args;
  uint32_t s, e;
  dk_split(a->n, &s, &e);
  if (s >= e) return;
  const int64_t half = a->log2d > 0 ? (int64_t)1 << (a->log2d - 1) : 0;
  const int32_t sh = a->log2d, lo = a->lo, hi = a->hi, zo = a->out_off;
  dk_bcast_iter_t im = bcast_at(a->param, s), io = bcast_at(a->off_param, s);
  if (a->x_type == DK_I32 && dk_is8(a->y_type)) {
    const int32_t *x = (const int32_t *)a->x;
    uint8_t *y = (uint8_t *)a->y; /* int8 and uint8 store the same low byte */
    for (uint32_t i = s; i < e; i++) {
      const int64_t v = ((((int64_t)x[i] + a->in_off[io.c]) * a->mul[im.c] + half) >> sh) + zo;
      y[i] = (uint8_t)(v < lo ? lo : v > hi ? hi : (int32_t)v);
      bcast_next(&im);
      bcast_next(&io);
    }
    return;
  }
  for (uint32_t i = s; i < e; i++) {
    const int64_t v = ((((int64_t)dk_ld(a->x, i, a->x_type) + a->in_off[io.c]) * a->mul[im.c] + half) >> sh) + zo;
    dk_st(a->y, i, a->y_type, v < lo ? lo : v > hi ? hi : (int32_t)v);
    bcast_next(&im);
    bcast_next(&io);
  }
}

void dk_intdiv(void *args) {
  const dk_intdiv_args_t *a = (const dk_intdiv_args_t *)args;
  uint32_t s, e;
  dk_split(a->n, &s, &e);
  if (s >= e) return;
  dk_bcast_iter_t it = bcast_at(a->den, s);
  for (uint32_t i = s; i < e; i++) {
    const int64_t nom = (int64_t)a->delta_eta * dk_ld(a->a, i, a->a_type);
    const int64_t den = (int64_t)a->eta * dk_ld(a->b, it.c, a->b_type) + a->eps;
    const int64_t sgn = nom >= 0 ? 1 : -1;
    int32_t q = (int32_t)((nom + sgn * (den >> 1)) / den);
    if (a->rq_shift >= 0) q = clamp32(shift_round(q * a->rq_mul + a->rq_add, a->rq_shift), a->lo, a->hi);
    dk_st(a->y, i, a->y_type, q);
    bcast_next(&it);
  }
}

void dk_rq_act(void *args) {
  const dk_rq_act_args_t *a = (const dk_rq_act_args_t *)args;
  uint32_t s, e;
  dk_split(a->n, &s, &e);
  for (uint32_t i = s; i < e; i++) {
    const int32_t x = dk_ld(a->x, i, a->x_type);
    int32_t t;
    if (a->kind == 0) {
      const int32_t sign = (x > 0) - (x < 0);
      const int32_t q = dk_min(sign * x, -a->b);
      const int32_t d = q + a->b;
      const int32_t L = sign * (a->one - d * d);
      t = x * ((a->one + L) >> 1);
    } else {
      t = x * (clamp32(x + a->three, 0, a->six) * a->one_over_six);
    }
    dk_st(a->y, i, a->y_type, clamp32(shift_round(t * a->mul + a->add, a->shift), a->lo, a->hi));
  }
}

void dk_itapartialmax(void *args) {
  const dk_itapartialmax_args_t *a = (const dk_itapartialmax_args_t *)args;
  uint32_t s, e;
  dk_split(a->rows, &s, &e);
  const uint32_t L = a->len, G = a->group_width;
  const int32_t half = (int32_t)(a->n_levels / 2);
  for (uint32_t r = s; r < e; r++) {
    const int8_t *x = a->x + r * L;
    int8_t *y = a->y + r * L;
    uint32_t sum = 0;
    int32_t gmax = -128;
    for (uint32_t g = 0; g < L; g += G) {
      int32_t cmax = -128;
      for (uint32_t k = 0; k < G; k++) cmax = dk_max(cmax, x[g + k]);
      const int32_t shift_sum = cmax > gmax ? (cmax - gmax + 16) >> 5 : 0;
      gmax = dk_max(gmax, cmax);
      uint32_t part = 0;
      for (uint32_t k = 0; k < G; k++) part += 256u >> ((gmax - x[g + k] + 16) >> 5);
      sum = (sum >> shift_sum) + part;
    }
    const uint32_t inv = ((uint32_t)(half - 1) * 256u) / sum;
    for (uint32_t j = 0; j < L; j++) y[j] = (int8_t)((int32_t)(inv >> ((gmax - x[j] + 16) >> 5)) - half);
  }
}

void dk_inonorm(void *args) {
  const dk_inonorm_args_t *a = (const dk_inonorm_args_t *)args;
  uint32_t s, e;
  dk_split(a->n, &s, &e);
  if (s >= e) return;
  dk_bcast_iter_t wi = bcast_at(a->wp, s), bi = bcast_at(a->bp, s);
  for (uint32_t i = s; i < e; i++) {
    const int32_t v = ((dk_ld(a->x, i, a->x_type) * a->w[wi.c] + a->b[bi.c]) * a->mul) >> a->log2d;
    dk_st(a->y, i, a->y_type, v);
    bcast_next(&wi);
    bcast_next(&bi);
  }
}

/* IntegerMean's rounding of a sum over `count` elements. */
DK_INLINE int32_t int_mean(int32_t sum, uint32_t count) {
  if ((count & (count - 1)) == 0) {
    const int32_t sh = __builtin_ctz(count);
    return sh > 0 ? (sum + (1 << (sh - 1))) >> sh : sum;
  }
  const int32_t sgn = sum >= 0 ? 1 : -1;
  return (sum + sgn * (int32_t)(count >> 1)) / (int32_t)count;
}

void dk_intmean(void *args) {
  const dk_intmean_args_t *a = (const dk_intmean_args_t *)args;
  uint32_t s, e;
  dk_split(a->outer * a->inner, &s, &e);
  for (uint32_t o = s; o < e; o++) {
    const uint32_t outer = o / a->inner, inner = o - outer * a->inner;
    const uint32_t base = outer * a->red * a->inner + inner;
    int32_t sum = 0;
    for (uint32_t k = 0; k < a->red; k++) sum += dk_ld(a->x, base + k * a->inner, a->x_type);
    dk_st(a->y, o, a->y_type, int_mean(sum, a->red));
  }
}

void dk_avgpool(void *args) {
  const dk_avgpool_args_t *a = (const dk_avgpool_args_t *)args;
  uint32_t s, e;
  dk_split(a->bc * a->OH * a->OW, &s, &e);
  for (uint32_t o = s; o < e; o++) {
    const uint32_t plane = o / (a->OH * a->OW), pix = o - plane * a->OH * a->OW;
    const uint32_t oh = pix / a->OW, ow = pix - oh * a->OW;
    int32_t sum = 0;
    uint32_t inside = 0;
    for (uint32_t kh = 0; kh < a->KH; kh++) {
      const int32_t ih = (int32_t)(oh * a->SH + kh) - (int32_t)a->PT;
      if (ih < 0 || ih >= (int32_t)a->H) continue;
      for (uint32_t kw = 0; kw < a->KW; kw++) {
        const int32_t iw = (int32_t)(ow * a->SW + kw) - (int32_t)a->PL;
        if (iw < 0 || iw >= (int32_t)a->W) continue;
        sum += dk_ld(a->x, (plane * a->H + (uint32_t)ih) * a->W + (uint32_t)iw, a->x_type);
        inside++;
      }
    }
    dk_st(a->y, o, a->y_type, int_mean(sum, a->include_pad ? a->KH * a->KW : inside));
  }
}

/* round_half_even(v) of a float32 given by its bits, saturated to [lo, hi] after adding zp. */
DK_INLINE int32_t quantize1(uint32_t bits, int32_t zp, int32_t lo, int32_t hi) {
  const uint32_t exp = (bits >> 23) & 0xffu;
  const int neg = (int)(bits >> 31);
  int32_t q;
  if (exp == 0xffu) return (bits & 0x7fffffu) ? zp : neg ? lo : hi; /* NaN: 0, +-inf: saturate */
  if (exp < 126u) q = 0;                                             /* |v| < 0.5 */
  else if (exp >= 158u) return neg ? lo : hi;                        /* |v| >= 2^31 */
  else {
    const uint32_t mant = (bits & 0x7fffffu) | 0x800000u;
    if (exp >= 150u) q = (int32_t)(mant << (exp - 150u));
    else {
      const uint32_t sh = 150u - exp, half = 1u << (sh - 1u), rem = mant & ((1u << sh) - 1u);
      uint32_t ip = mant >> sh;
      if (rem > half || (rem == half && (ip & 1u))) ip++;
      q = (int32_t)ip;
    }
    if (neg) q = -q;
  }
  const int64_t v = (int64_t)q + zp;
  return v < lo ? lo : v > hi ? hi : (int32_t)v;
}

void dk_quantize(void *args) {
  const dk_quantize_args_t *a = (const dk_quantize_args_t *)args;
  uint32_t s, e;
  dk_split(a->n, &s, &e);
  const float sc = a->scale;
  if (a->mode == 1) {
    for (uint32_t i = s; i < e; i++) {
      float v = a->x[i] * sc;
      v = v + a->fzp;
      v = v + (v >= 0.0f ? 0.5f : -0.5f);
      const int32_t q = v >= 2147483520.0f ? INT32_MAX : v <= -2147483648.0f ? INT32_MIN : (int32_t)v;
      dk_st(a->y, i, a->y_type, clamp32(q, a->lo, a->hi));
    }
    return;
  }
  for (uint32_t i = s; i < e; i++) {
    union { float f; uint32_t u; } v = { a->x[i] / sc };
    dk_st(a->y, i, a->y_type, quantize1(v.u, a->zp, a->lo, a->hi));
  }
}

void dk_dequantize(void *args) {
  const dk_dequantize_args_t *a = (const dk_dequantize_args_t *)args;
  uint32_t s, e;
  dk_split(a->n, &s, &e);
  const float sc = a->scale, zp = a->fzp;
  const int32_t izp = (int32_t)zp;
  if ((float)izp == zp) { /* an integer zero point: subtract in integers (exact, one soft-float op less) */
    for (uint32_t i = s; i < e; i++) a->y[i] = (float)(dk_ld(a->x, i, a->x_type) - izp) * sc;
    return;
  }
  for (uint32_t i = s; i < e; i++) a->y[i] = ((float)dk_ld(a->x, i, a->x_type) - zp) * sc;
}
