/* bench/npu-conv.ts: the same requantised convolution on the NPU (one job, HWC, weights packed in
 * the pulp-nnx layout: the bytes' values do not change the NPU's cycles) and on the 8-core cluster
 * (dk_conv, NCHW, im2col + SIMD). Everything in L1 (NPU weights optionally in weight memory).
 * Prints `<case> <engine> cycles <N> macs <M>`. */
#include <dsim.h>
#include <dsim_cluster.h>
#include <dsim_npu.h>
#include "kernels.h"

#define HW 16
#define CMAX 64
static int8_t x[HW * HW * CMAX] __attribute__((aligned(4))) DSIM_L1_BSS;
static int8_t y[HW * HW * CMAX] __attribute__((aligned(4))) DSIM_L1_BSS;
static int8_t w[CMAX * CMAX * 9] __attribute__((aligned(32))) DSIM_L1_BSS;
static int8_t w_wmem[CMAX * CMAX * 9] __attribute__((aligned(32))) DSIM_WMEM;
static int32_t mul[CMAX] DSIM_L1_BSS, add[CMAX] DSIM_L1_BSS, bias[CMAX] DSIM_L1_BSS;
static uint8_t scale[CMAX] DSIM_L1_BSS;
static uint8_t scratch[48 * 1024] __attribute__((aligned(4))) DSIM_L1_BSS;

static uint32_t seed = 7;
static uint32_t rnd(void) {
  seed = seed * 1664525u + 1013904223u;
  return seed >> 8;
}

enum { PW, CONV3, DW };
static const char *const names[] = {"1x1_16x16_64to64", "3x3_16x16_32to32", "dw3x3_16x16_64"};

static void cluster_conv(int kind, uint32_t c, uint32_t k) {
  static dk_conv_args_t a DSIM_L1_BSS;
  a.X = x;
  a.W = w;
  a.bias = bias;
  a.Y = y;
  a.N = 1;
  a.C = c;
  a.H = HW;
  a.W_in = HW;
  a.K = k;
  a.OH = HW;
  a.OW = HW;
  a.KH = a.KW = kind == PW ? 1 : 3;
  a.stride_h = a.stride_w = 1;
  a.dil_h = a.dil_w = 1;
  a.pad_t = a.pad_l = kind == PW ? 0 : 1;
  a.group = kind == DW ? c : 1;
  a.x_type = DK_I8;
  a.w_type = DK_I8;
  a.y_type = DK_I8;
  a.rq.mul = mul;
  a.rq.add = add;
  a.rq.mul_s[1] = 1;
  a.rq.add_s[1] = 1;
  a.rq.log2d = 10;
  a.rq.lo = -128;
  a.rq.hi = 127;
  a.scratch = dk_conv_scratch_bytes(&a, 8) <= sizeof scratch ? scratch : 0;
  dsim_fork(8, dk_conv, &a); /* warm-up */
  uint32_t t0 = dsim_cycles();
  dsim_fork(8, dk_conv, &a);
  uint32_t t1 = dsim_cycles();
  uint32_t taps = kind == PW ? 1 : 9;
  printf("%s cluster8 cycles %u macs %u\n", names[kind], (unsigned)(t1 - t0), (unsigned)(HW * HW * k * (kind == DW ? 1 : c) * taps));
}

static void npu_conv(int kind, uint32_t c, uint32_t k, int wmem, int prefetch) {
  dsim_npu_job_t j = {{0}};
  uint32_t fs = kind == PW ? 1 : 3, pad = kind == PW ? 0 : 1;
  uint32_t sub_ki = kind == PW ? 32 : 28, sub_ko = kind == DW ? 28 : 32;
  uint32_t nki = (c + sub_ki - 1) / sub_ki, nko = (k + sub_ko - 1) / sub_ko, nhw = (HW + 5) / 6;
  uint32_t qw = 8;
  j.w[DSIM_NPU_W_WEIGHTS] = wmem ? (uint32_t)w_wmem - 0x10400000u : (uint32_t)w;
  j.w[DSIM_NPU_W_INFEAT] = (uint32_t)x - pad * (HW * c) - pad * c;
  j.w[DSIM_NPU_W_OUTFEAT] = (uint32_t)y;
  j.w[DSIM_NPU_W_SCALE] = (uint32_t)scale;
  j.w[DSIM_NPU_W_SCALE_BIAS] = (uint32_t)bias;
  j.w[DSIM_NPU_W_IN_D0] = c;
  j.w[DSIM_NPU_W_IN_D1] = HW * c;
  j.w[DSIM_NPU_W_OUT_D0] = 32;
  j.w[DSIM_NPU_W_OUT_D1] = k;
  j.w[DSIM_NPU_W_OUT_D2] = HW * k;
  j.w[DSIM_NPU_W_W_D0] = 32;
  j.w[DSIM_NPU_W_W_D1] = kind == PW ? 32 * nki : kind == CONV3 ? 32 * qw * nki : 0;
  j.w[DSIM_NPU_W_REM0] = ((k % sub_ko) << 16) | (c % sub_ki);
  j.w[DSIM_NPU_W_REM1] = ((HW % 6) << 16) | (HW % 6);
  j.w[DSIM_NPU_W_NB0] = (nko << 16) | nki;
  j.w[DSIM_NPU_W_NB1] = (nhw << 16) | nhw;
  j.w[DSIM_NPU_W_PADDING] = (pad << 28) | (pad << 24) | (pad << 20) | (pad << 16);
  j.w[DSIM_NPU_W_WEIGHT_OFFSET] = (uint32_t)-128;
  j.w[DSIM_NPU_W_CONF0] = DSIM_NPU_CONF0_IN_SIGNED | DSIM_NPU_CONF0_BIAS | DSIM_NPU_CONF0_IDENTITY | DSIM_NPU_CONF0_SHIFT(10) |
                          DSIM_NPU_CONF0_LAYER_WOFFS | DSIM_NPU_CONF0_NORMQUANT | DSIM_NPU_CONF0_WBITS(qw) |
                          (kind == PW ? DSIM_NPU_CONF0_MODE_1X1 : kind == DW ? DSIM_NPU_CONF0_MODE_DW : DSIM_NPU_CONF0_MODE_3X3) |
                          (wmem ? DSIM_NPU_CONF0_WMEM : 0) | (prefetch ? DSIM_NPU_CONF0_PREFETCH : 0);
  (void)fs;
  uint32_t t0 = dsim_cycles();
  dsim_npu_submit(&j);
  dsim_npu_wait();
  uint32_t t1 = dsim_cycles();
  uint32_t taps = kind == PW ? 1 : 9;
  printf("%s npu%s%s cycles %u macs %u\n", names[kind], wmem ? "-wmem" : "-l1", prefetch ? "-prefetch" : "", (unsigned)(t1 - t0),
         (unsigned)(HW * HW * k * (kind == DW ? 1 : c) * taps));
}

int main(void) {
  for (unsigned i = 0; i < sizeof x; i++) x[i] = (int8_t)rnd();
  for (unsigned i = 0; i < sizeof w; i++) w[i] = w_wmem[i] = (int8_t)rnd();
  for (unsigned i = 0; i < CMAX; i++) {
    mul[i] = (int32_t)(rnd() & 0xff);
    add[i] = (int32_t)(rnd() & 0xffff) - 0x8000;
    bias[i] = add[i];
    scale[i] = (uint8_t)mul[i];
  }
  const uint32_t shapes[3][2] = {{64, 64}, {32, 32}, {64, 64}};
  for (int kind = PW; kind <= DW; kind++) {
    uint32_t c = shapes[kind][0], k = shapes[kind][1];
    cluster_conv(kind, c, k);
    npu_conv(kind, c, k, 0, 0);
    npu_conv(kind, c, k, 0, 1);
    npu_conv(kind, c, k, 1, 1);
  }
  return 0;
}
