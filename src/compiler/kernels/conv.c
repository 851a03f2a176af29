/* Conv (NCHW, ONNX weight layout) with bias and fused RequantShift; MaxPool.
 *
 * im2col path (8-bit X and W, x_off = 0, scratch given): per task = two output pixels of one
 * (batch, group); the core gathers both pixels' receptive fields (C/group*KH*KW bytes each,
 * zeros for padding) into its scratch slice, then every output channel of the group is a dot
 * product of a weight row (contiguous in ONNX layout) with those columns: 2 channels x 2 pixels
 * per step, 4-lane SIMD dot products. Direct path (depthwise, other types, no scratch): tasks are
 * output rows (n, k, oh), loops specialised for int8/uint8 inputs with int8 weights. */
#include "dk_internal.h"

enum { MODE_SS = 0, MODE_US = 1, MODE_SU = 2, MODE_UU = 3 }; /* W lanes x X lanes */

DK_INLINE int32_t dot4(int mode, int32_t acc, uint32_t w, uint32_t x) {
  switch (mode) {
  case MODE_SS: return dk_sdotsp4(acc, w, x);
  case MODE_US: return dk_sdotusp4(acc, w, x);
  case MODE_SU: return dk_sdotusp4(acc, x, w);
  default: return dk_sdotup4(acc, w, x);
  }
}
DK_INLINE int32_t mul1(int mode, uint8_t w, uint8_t x) {
  int32_t a = (mode == MODE_SS || mode == MODE_SU) ? (int32_t)(int8_t)w : (int32_t)w;
  int32_t b = (mode == MODE_SS || mode == MODE_US) ? (int32_t)(int8_t)x : (int32_t)x;
  return a * b;
}

static uint32_t round4(uint32_t v) { return (v + 3u) & ~3u; }


/* Pointwise (1x1, stride 1, no padding, one group), 8-bit: a GEMM per image, Y[k, p] =
 * W[k, :] . X[:, p], run by dk_gemm with the scratch holding X transposed (pixels x channels). */
static int pointwise(const dk_conv_args_t *a) {
  const dk_rq_t *q = &a->rq;
  return a->KH == 1 && a->KW == 1 && a->stride_h == 1 && a->stride_w == 1 && a->pad_t == 0 && a->pad_l == 0 &&
         (a->group ? a->group : 1) == 1 && a->OH == a->H && a->OW == a->W_in && dk_is8(a->x_type) && dk_is8(a->w_type) &&
         a->x_off == 0 && (!q->mul || (q->mul_s[2] == q->mul_s[3] * (int32_t)a->OW && q->add_s[2] == q->add_s[3] * (int32_t)a->OW));
}

/* Scratch: 2 im2col columns per core, or for a pointwise conv the transposed input of all
 * images. The kernel computes on its operands where they are (the compiler's tiles bring them to
 * L1 by DMA); it never stages or streams on its own. */
uint32_t dk_conv_scratch_bytes(const dk_conv_args_t *a, unsigned ncores) {
  uint32_t L = (a->C / (a->group ? a->group : 1)) * a->KH * a->KW;
  uint32_t work = (ncores ? ncores : 1) * 2u * round4(L);
  if (pointwise(a)) {
    const uint32_t pw = round4(a->N * a->C * a->H * a->W_in);
    if (pw > work) work = pw;
  }
  return work;
}

static void conv_pointwise(const dk_conv_args_t *a) {
  const uint32_t P = a->H * a->W_in;
  dk_gemm_args_t g;
  uint8_t *gp = (uint8_t *)&g;
  for (uint32_t i = 0; i < sizeof g; i++) gp[i] = 0;
  g.A = a->W;
  g.B = a->X;
  g.C = a->bias;
  g.Y = a->Y;
  g.M = a->K;
  g.N = P;
  g.K = a->C;
  g.batch[0] = a->N;
  g.batch[1] = 1;
  g.b_bs[0] = (int32_t)(a->C * P);
  g.c_rs = 1; /* bias per output channel = per GEMM row */
  g.alpha = 1;
  g.beta = 1;
  g.a_type = a->w_type;
  g.b_type = a->x_type;
  g.y_type = a->y_type;
  g.rq = a->rq;
  /* conv rq dims (n, k, oh, ow) -> gemm dims (b0, b1, m = k, n = pixel) */
  g.rq.mul_s[0] = a->rq.mul_s[0];
  g.rq.mul_s[1] = 0;
  g.rq.mul_s[2] = a->rq.mul_s[1];
  g.rq.mul_s[3] = a->rq.mul_s[3];
  g.rq.add_s[0] = a->rq.add_s[0];
  g.rq.add_s[1] = 0;
  g.rq.add_s[2] = a->rq.add_s[1];
  g.rq.add_s[3] = a->rq.add_s[3];
  g.scratch = a->scratch;
  g.scratch_bytes = round4(a->N * a->C * P);
  dk_gemm(&g);
}

DK_INLINE void conv_store(const dk_conv_args_t *a, uint32_t n, uint32_t k, uint32_t oh, uint32_t ow, int32_t acc) {
  const uint32_t OH = a->OH, OW = a->OW;
  if (a->rq.mul) {
    const int32_t *ms = a->rq.mul_s, *as = a->rq.add_s;
    int32_t mi = (int32_t)n * ms[0] + (int32_t)k * ms[1] + (int32_t)oh * ms[2] + (int32_t)ow * ms[3];
    int32_t ai = (int32_t)n * as[0] + (int32_t)k * as[1] + (int32_t)oh * as[2] + (int32_t)ow * as[3];
    acc = dk_rq1(&a->rq, acc, mi, ai);
  }
  dk_st(a->Y, ((n * a->K + k) * OH + oh) * OW + ow, a->y_type, acc);
}

/* ---- im2col path ---- */
DK_INLINE void im2col_tasks(int mode, const dk_conv_args_t *a) {
  const uint32_t G = a->group ? a->group : 1, Cg = a->C / G, Kg = a->K / G;
  const uint32_t KH = a->KH, KW = a->KW, H = a->H, W = a->W_in, OW = a->OW;
  const uint32_t P = a->OH * a->OW, L = Cg * KH * KW, Lp = round4(L);
  const uint32_t pairs = (P + 1) / 2;
  uint8_t *col0 = (uint8_t *)a->scratch + DK_CORE_ID() * 2u * Lp, *col1 = col0 + Lp;
  const uint8_t *X = (const uint8_t *)a->X, *Wt = (const uint8_t *)a->W;
  uint32_t s, e;
  dk_split(a->N * G * pairs, &s, &e);
  for (uint32_t t = s; t < e; t++) {
    const uint32_t pp = t % pairs, ng = t / pairs, g = ng % G, n = ng / G;
    const uint32_t p0 = pp * 2, np = P - p0 >= 2 ? 2 : 1;
    for (uint32_t q = 0; q < np; q++) { /* gather the receptive field of pixel p0 + q */
      uint8_t *col = q ? col1 : col0;
      const uint32_t oh = (p0 + q) / OW, ow = (p0 + q) % OW;
      const int32_t ih0 = (int32_t)(oh * a->stride_h) - (int32_t)a->pad_t;
      const int32_t iw0 = (int32_t)(ow * a->stride_w) - (int32_t)a->pad_l;
      uint32_t j = 0;
      for (uint32_t c = 0; c < Cg; c++) {
        const uint8_t *xc = X + ((n * a->C) + g * Cg + c) * H * W;
        for (uint32_t kh = 0; kh < KH; kh++) {
          const int32_t ih = ih0 + (int32_t)(kh * a->dil_h);
          if (ih < 0 || ih >= (int32_t)H) {
            for (uint32_t kw = 0; kw < KW; kw++) col[j++] = 0;
            continue;
          }
          const uint8_t *xr = xc + (uint32_t)ih * W;
          if (a->dil_w == 1 && iw0 >= 0 && iw0 + (int32_t)KW <= (int32_t)W) {
            /* interior: KW contiguous input bytes */
            const uint8_t *src = xr + iw0;
#pragma GCC unroll 4
            for (uint32_t kw = 0; kw < KW; kw++) col[j + kw] = src[kw];
            j += KW;
            continue;
          }
          for (uint32_t kw = 0; kw < KW; kw++) {
            const int32_t iw = iw0 + (int32_t)(kw * a->dil_w);
            col[j++] = (iw < 0 || iw >= (int32_t)W) ? 0 : xr[iw];
          }
        }
      }
    }
    if (np == 1) col1 = col0; /* computed twice, stored once */
    const uint32_t L4 = L & ~3u;
    uint32_t k = 0;
    for (; k < Kg; k += 2) {
      const uint32_t kk = g * Kg + k, two = k + 1 < Kg;
      const uint8_t *w0 = Wt + kk * L, *w1 = two ? w0 + L : w0;
      int32_t c00 = 0, c01 = 0, c10 = 0, c11 = 0;
      uint32_t j = 0;
      for (; j < L4; j += 4) {
        uint32_t x0 = dk_lw(col0 + j), x1 = dk_lw(col1 + j);
        uint32_t v0 = dk_lw(w0 + j), v1 = dk_lw(w1 + j);
        c00 = dot4(mode, c00, v0, x0);
        c01 = dot4(mode, c01, v0, x1);
        c10 = dot4(mode, c10, v1, x0);
        c11 = dot4(mode, c11, v1, x1);
      }
      for (; j < L; j++) {
        c00 += mul1(mode, w0[j], col0[j]);
        c01 += mul1(mode, w0[j], col1[j]);
        c10 += mul1(mode, w1[j], col0[j]);
        c11 += mul1(mode, w1[j], col1[j]);
      }
      const int32_t b0 = a->bias ? a->bias[kk] : 0, b1 = a->bias && two ? a->bias[kk + 1] : 0;
      conv_store(a, n, kk, p0 / OW, p0 % OW, c00 + b0);
      if (np == 2) conv_store(a, n, kk, (p0 + 1) / OW, (p0 + 1) % OW, c01 + b0);
      if (two) {
        conv_store(a, n, kk + 1, p0 / OW, p0 % OW, c10 + b1);
        if (np == 2) conv_store(a, n, kk + 1, (p0 + 1) / OW, (p0 + 1) % OW, c11 + b1);
      }
    }
    col1 = col0 + Lp;
  }
}
static void im2col_ss(const dk_conv_args_t *a) { im2col_tasks(MODE_SS, a); }
static void im2col_us(const dk_conv_args_t *a) { im2col_tasks(MODE_US, a); }
static void im2col_su(const dk_conv_args_t *a) { im2col_tasks(MODE_SU, a); }
static void im2col_uu(const dk_conv_args_t *a) { im2col_tasks(MODE_UU, a); }

/* ---- direct path: one output row per task; XT/WT constant after inlining ---- */
DK_INLINE void direct_rows(uint32_t XT, uint32_t WT, const dk_conv_args_t *a) {
  const uint32_t G = a->group ? a->group : 1, Cg = a->C / G, Kg = a->K / G;
  const uint32_t KH = a->KH, KW = a->KW, H = a->H, W = a->W_in, OH = a->OH, OW = a->OW;
  const int32_t x_off = a->x_off;
  uint32_t s, e;
  dk_split(a->N * a->K * OH, &s, &e);
  for (uint32_t t = s; t < e; t++) {
    const uint32_t oh = t % OH, nk = t / OH, k = nk % a->K, n = nk / a->K, g = k / Kg;
    const int32_t ih0 = (int32_t)(oh * a->stride_h) - (int32_t)a->pad_t;
    const int32_t bias = a->bias ? a->bias[k] : 0;
    for (uint32_t ow = 0; ow < OW; ow++) {
      const int32_t iw0 = (int32_t)(ow * a->stride_w) - (int32_t)a->pad_l;
      int32_t acc = bias;
      for (uint32_t c = 0; c < Cg; c++) {
        const uint32_t xbase = ((n * a->C) + g * Cg + c) * H * W;
        const uint32_t wbase = (k * Cg + c) * KH * KW;
        for (uint32_t kh = 0; kh < KH; kh++) {
          const int32_t ih = ih0 + (int32_t)(kh * a->dil_h);
          if (ih < 0 || ih >= (int32_t)H) continue;
          for (uint32_t kw = 0; kw < KW; kw++) {
            const int32_t iw = iw0 + (int32_t)(kw * a->dil_w);
            if (iw < 0 || iw >= (int32_t)W) continue;
            acc += (dk_ld(a->X, xbase + (uint32_t)ih * W + (uint32_t)iw, XT) + x_off) *
                   dk_ld(a->W, wbase + kh * KW + kw, WT);
          }
        }
      }
      conv_store(a, n, k, oh, ow, acc);
    }
  }
}
static void direct_i8_i8(const dk_conv_args_t *a) { direct_rows(DK_I8, DK_I8, a); }
static void direct_u8_i8(const dk_conv_args_t *a) { direct_rows(DK_U8, DK_I8, a); }
static void direct_any(const dk_conv_args_t *a) { direct_rows(a->x_type, a->w_type, a); }

void dk_conv(void *args) {
  /* a private copy (L1 stack): the args may live in L2 and are read per output */
  dk_conv_args_t al = *(const dk_conv_args_t *)args;
  const dk_conv_args_t *a = &al;
  const uint32_t G = a->group ? a->group : 1, Cg = a->C / G, Kg = a->K / G;
  const uint32_t L = Cg * a->KH * a->KW;
  if (a->scratch && pointwise(a)) {
    conv_pointwise(a);
    return;
  }
  if (a->scratch && dk_is8(a->x_type) && dk_is8(a->w_type) && a->x_off == 0 && (Kg >= 2 || L >= 16)) {
    const int uw = a->w_type == DK_U8, ux = a->x_type == DK_U8;
    (uw ? (ux ? im2col_uu : im2col_us) : (ux ? im2col_su : im2col_ss))(a);
    return;
  }
  if (a->w_type == DK_I8 && a->x_type == DK_I8) direct_i8_i8(a);
  else if (a->w_type == DK_I8 && a->x_type == DK_U8) direct_u8_i8(a);
  else direct_any(a);
}

/* ---- MaxPool ---- */
void dk_maxpool(void *args) {
  const dk_maxpool_args_t *a = (const dk_maxpool_args_t *)args;
  const uint32_t H = a->H, W = a->W_in, OH = a->OH, OW = a->OW, T = a->type;
  uint32_t s, e;
  dk_split(a->N * a->C * OH, &s, &e);
  for (uint32_t t = s; t < e; t++) {
    const uint32_t oh = t % OH, nc = t / OH;
    const int32_t ih0 = (int32_t)(oh * a->stride_h) - (int32_t)a->pad_t;
    for (uint32_t ow = 0; ow < OW; ow++) {
      const int32_t iw0 = (int32_t)(ow * a->stride_w) - (int32_t)a->pad_l;
      int32_t m = INT32_MIN;
      for (uint32_t kh = 0; kh < a->KH; kh++) {
        const int32_t ih = ih0 + (int32_t)(kh * a->dil_h);
        if (ih < 0 || ih >= (int32_t)H) continue;
        for (uint32_t kw = 0; kw < a->KW; kw++) {
          const int32_t iw = iw0 + (int32_t)(kw * a->dil_w);
          if (iw < 0 || iw >= (int32_t)W) continue;
          m = dk_max(m, dk_ld(a->X, (nc * H + (uint32_t)ih) * W + (uint32_t)iw, T));
        }
      }
      dk_st(a->Y, (nc * OH + oh) * OW + ow, T, m);
    }
  }
}
