/* Kernels of the rest of Deeploy's integer vocabulary and of the standard-ONNX quantization
 * lowering (src/compiler/ops/quant-ext.ts maps them; docs/reference.md gives every formula).
 * Same conventions as kernels.h: void dk_xxx(void *args), every core of the fork runs the
 * kernel on its dk_split share, values are exact integers, types are dk_type_t run-time tags. */
#ifndef DEEPLOY_SIM_KERNELS_EXT_H
#define DEEPLOY_SIM_KERNELS_EXT_H

#include <stdint.h>

/* A per-element parameter index: p[(i / inner) % count] (count = 1: one value). This covers a
 * scalar, a per-channel (C,1,..,1) tensor on NCHW and a last-axis vector (inner = 1). */
typedef struct {
  uint32_t inner, count;
} dk_bcast_t;

/* RequantShiftWide (the standard-ONNX lowering's requant, a 64-bit product):
 * y = clamp((((int64)x + in_off[c']) * mul[c] + 2^(log2d-1)) >> log2d) + out_off, lo, hi),
 * c by `param`, c' by `off_param`; x any integer type (usually the int32 accumulator), log2d 0..62. */
typedef struct {
  const void *x;
  void *y;
  uint32_t n;
  const int32_t *mul;
  const int32_t *in_off;
  dk_bcast_t param, off_param;
  int32_t out_off;
  int32_t log2d;
  int32_t lo, hi;
  uint8_t x_type, y_type;
} dk_requant_wide_args_t;
void dk_requant_wide(void *args); /* dk_requant_wide_args_t */

/* IntegerDiv / RQIntegerDiv (Deeploy Div_s32, RQDiv_s8): q = round half away from zero of
 * Delta*eta*a / (eta*b + eps) (64-bit); b indexed by `den` (NumPy broadcast of b onto a).
 * rq_shift >= 0: y = clamp((q*mul + add + 2^(shift-1)) >> shift, lo, hi) in int32, else y = q. */
typedef struct {
  const void *a;
  const void *b;
  void *y;
  uint32_t n;
  dk_bcast_t den;
  int32_t delta_eta, eta, eps;
  int32_t rq_shift, rq_mul, rq_add, lo, hi;
  uint8_t a_type, b_type, y_type;
} dk_intdiv_args_t;
void dk_intdiv(void *args); /* dk_intdiv_args_t */

/* RequantizediGELU (kind 0: I-BERT GELU with b, one) and RequantizediHardswish (kind 1:
 * x * clamp(x + three, 0, six) * one_over_six), then y = clamp((t*mul + add + 2^(s-1)) >> s, lo, hi). */
typedef struct {
  const void *x;
  void *y;
  uint32_t n;
  int32_t kind;
  int32_t b, one;                 /* GELU */
  int32_t one_over_six, three, six; /* Hardswish */
  int32_t mul, add, shift, lo, hi;
  uint8_t x_type, y_type;
} dk_rq_act_args_t;
void dk_rq_act(void *args); /* dk_rq_act_args_t */

/* ITAPartialMax (ITA's streaming softmax, Deeploy ITAPartialMax_s8): rows of `len` int8 values
 * read in groups of group_width (dividing len); output (inverse >> shift) - n/2 as int8. */
typedef struct {
  const int8_t *x;
  int8_t *y;
  uint32_t rows, len, group_width, n_levels;
} dk_itapartialmax_args_t;
void dk_itapartialmax(void *args); /* dk_itapartialmax_args_t */

/* iNoNorm: y = (type)(((x*w + b) * mul) >> log2d) (no clamp, C cast), w/b int32 by `wp`/`bp`. */
typedef struct {
  const void *x;
  void *y;
  uint32_t n;
  const int32_t *w;
  const int32_t *b;
  dk_bcast_t wp, bp;
  int32_t mul, log2d;
  uint8_t x_type, y_type;
} dk_inonorm_args_t;
void dk_inonorm(void *args); /* dk_inonorm_args_t */

/* Integer mean over the middle block of (outer, red, inner) (IntegerMean, GlobalAveragePool):
 * red a power of two: floor((s + red/2) / red); else round half away from zero. */
typedef struct {
  const void *x;
  void *y;
  uint32_t outer, red, inner;
  uint8_t x_type, y_type;
} dk_intmean_args_t;
void dk_intmean(void *args); /* dk_intmean_args_t */

/* Integer AveragePool (NCHW, 1D: H = KH = 1): window sums of the inside elements divided by the
 * window's count (count_include_pad: kh*kw) with dk_intmean's rounding. */
typedef struct {
  const void *x;
  void *y;
  uint32_t bc, H, W, OH, OW, KH, KW, SH, SW, PT, PL;
  uint32_t include_pad;
  uint8_t x_type, y_type;
} dk_avgpool_args_t;
void dk_avgpool(void *args); /* dk_avgpool_args_t */

/* mode 0, ONNX QuantizeLinear (per tensor, float32 in): y = saturate(round_half_even(x / scale)
 * + zp) into [lo, hi]; the division is IEEE float32 (soft-float), the rounding integer bit
 * arithmetic. mode 1, Deeploy's Quant: v = x*scale + fzp (float32), y = clamp((int)(v + 0.5*sgn v)). */
typedef struct {
  const float *x;
  void *y;
  uint32_t n;
  float scale, fzp;
  int32_t zp, lo, hi;
  uint8_t y_type, mode;
} dk_quantize_args_t;
void dk_quantize(void *args); /* dk_quantize_args_t */

/* DequantizeLinear (per tensor, float32 out) and Deeploy's Dequant: y = (float)(x - fzp) * scale. */
typedef struct {
  const void *x;
  float *y;
  uint32_t n;
  float scale, fzp;
  uint8_t x_type;
} dk_dequantize_args_t;
void dk_dequantize(void *args); /* dk_dequantize_args_t */

#endif /* DEEPLOY_SIM_KERNELS_EXT_H */
