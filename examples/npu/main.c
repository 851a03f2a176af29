/* npu: one pointwise (1x1) convolution on the N-EUREKA NPU through dsim_npu.h, checked against
 * the same arithmetic on core 0. 6x6 pixels, 48 input channels (two Ki subtiles: 32 + 16), 32
 * output channels, 8-bit weights packed here in the pulp-nnx 1x1 layout (a compiler does this on
 * the host: npu-model/pack.ts), per-channel scale and bias, per-layer shift, ReLU, 8-bit output. */
#include <dsim.h>
#include <dsim_npu.h>

#define PIX 36
#define KI 48
#define KO 32
#define NKI 2
#define SHIFT 12

static DSIM_L1_BSS uint8_t x[PIX * KI];
static DSIM_L1_BSS int8_t w[KO * KI];
static DSIM_L1_BSS uint8_t packed[KO * NKI * 32] __attribute__((aligned(32)));
static DSIM_L1_BSS uint8_t y[PIX * KO];
static DSIM_L1_BSS uint8_t scale[KO];
static DSIM_L1_BSS int32_t bias[KO];

static uint32_t seed = 1;
static uint32_t rnd(void) {
  seed = seed * 1664525u + 1013904223u;
  return seed >> 8;
}

/* pulp-nnx 1x1 layout: per (ko, Ki subtile) a 32-byte word; bit plane b in bytes 4b..4b+3,
 * bit (channel % 32) of the plane = bit b of (w - offset), offset = -128 */
static void pack(void) {
  for (int ko = 0; ko < KO; ko++)
    for (int ki = 0; ki < KI; ki++) {
      uint32_t u = (uint32_t)(w[ko * KI + ki] + 128);
      uint8_t *word = packed + (ko * NKI + ki / 32) * 32;
      for (int b = 0; b < 8; b++)
        if ((u >> b) & 1u) word[4 * b + (ki % 32) / 8] |= (uint8_t)(1u << (ki % 8));
    }
}

int main(void) {
  for (int i = 0; i < PIX * KI; i++) x[i] = (uint8_t)rnd();
  for (int i = 0; i < KO * KI; i++) w[i] = (int8_t)rnd();
  for (int k = 0; k < KO; k++) {
    scale[k] = (uint8_t)(1 + rnd() % 64);
    bias[k] = (int32_t)(rnd() % 200000) - 100000;
  }
  pack();

  dsim_npu_job_t job = {{0}};
  job.w[DSIM_NPU_W_WEIGHTS] = (uint32_t)packed;
  job.w[DSIM_NPU_W_INFEAT] = (uint32_t)x;
  job.w[DSIM_NPU_W_OUTFEAT] = (uint32_t)y;
  job.w[DSIM_NPU_W_SCALE] = (uint32_t)scale;
  job.w[DSIM_NPU_W_SCALE_BIAS] = (uint32_t)bias;
  job.w[DSIM_NPU_W_IN_D0] = KI;      /* bytes from one pixel to the next */
  job.w[DSIM_NPU_W_IN_D1] = 6 * KI;  /* ... and from one row to the next */
  job.w[DSIM_NPU_W_OUT_D0] = 32;
  job.w[DSIM_NPU_W_OUT_D1] = KO;
  job.w[DSIM_NPU_W_OUT_D2] = 6 * KO;
  job.w[DSIM_NPU_W_W_D0] = 32;
  job.w[DSIM_NPU_W_W_D1] = 32 * NKI;
  job.w[DSIM_NPU_W_REM0] = (0u << 16) | (KI % 32); /* Ko remainder 0 (full), Ki remainder 16 */
  job.w[DSIM_NPU_W_NB0] = (1u << 16) | NKI;
  job.w[DSIM_NPU_W_NB1] = (1u << 16) | 1u;         /* one 6x6 spatial subtile */
  job.w[DSIM_NPU_W_WEIGHT_OFFSET] = (uint32_t)-128;
  job.w[DSIM_NPU_W_CONF0] = DSIM_NPU_CONF0_MODE_1X1 | DSIM_NPU_CONF0_NORMQUANT | DSIM_NPU_CONF0_BIAS |
                            DSIM_NPU_CONF0_SHIFT(SHIFT) | DSIM_NPU_CONF0_LAYER_WOFFS | DSIM_NPU_CONF0_WBITS(8);
  uint32_t t0 = dsim_cycles();
  dsim_npu_submit(&job);
  dsim_npu_wait();
  uint32_t t1 = dsim_cycles();

  /* the same on core 0: acc * scale + bias (saturated), >> shift, ReLU to [0, 255] */
  int bad = 0;
  for (int p = 0; p < PIX; p++)
    for (int k = 0; k < KO; k++) {
      int32_t acc = 0;
      for (int c = 0; c < KI; c++) acc += (int32_t)x[p * KI + c] * w[k * KI + c];
      int64_t v = (int64_t)acc * scale[k] + bias[k];
      if (v > INT32_MAX) v = INT32_MAX;
      if (v < INT32_MIN) v = INT32_MIN;
      int32_t r = (int32_t)v >> SHIFT;
      r = r < 0 ? 0 : r > 255 ? 255 : r;
      if (y[p * KO + k] != (uint8_t)r) bad++;
    }
  uint32_t t2 = dsim_cycles();
  printf("npu: %d pixels x %d channels, %d mismatches; NPU %u cycles (submit to wait), core 0 %u cycles\n", PIX, KO, bad,
         (unsigned)(t1 - t0), (unsigned)(t2 - t1));
  return bad != 0;
}
