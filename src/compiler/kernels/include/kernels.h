/*
 * deeploy-sim C kernel library for the Siracusa cluster: the API the generated code calls.
 *
 * Calling convention
 *   Every kernel has the signature of a dsim_task_fn: `void dk_xxx(void *args)`, where args points
 *   to the kernel's `dk_xxx_args_t` (named beside each prototype). Call it from EVERY core of a
 *   fork with the SAME args (`dsim_fork(8, dk_gemm, &args)`), or from one core outside a fork
 *   (then dsim_fork_cores() is 1). A kernel splits its work by dsim_core_id() / dsim_fork_cores()
 *   and does not barrier at its end: the fork's join (or an explicit dsim_barrier) orders layers.
 *   Args structs are read-only for the kernel; they may live on core 0's stack while forked.
 *
 * Type strategy
 *   Element types are run-time tags (dk_type_t) in the args, chosen by the pipeline's type
 *   inference; each kernel dispatches ONCE per call to a loop instantiated for that type
 *   combination (hot combinations are specialised, the rest go through a generic int32 path).
 *   Integer values are widened to int32 (operators.md: all arithmetic in int32 unless stated),
 *   results are stored with a C cast (two's complement wrap) unless the kernel clamps.
 *   Pure data movement (transpose, concat, slice, pad, gather, copy) takes only an element size.
 *
 * Layouts
 *   All tensors are dense row-major (C order) in the ONNX shapes: NCHW / NCL for Conv and
 *   MaxPool, ONNX weight layout (K, C/group, KH, KW). No layout transform is required.
 *   Fast paths: GEMM with B given TRANSPOSED (trans_b = 1: B stored N x K, K contiguous) and
 *   A not transposed; both 8-bit. The pipeline should transpose constant MatMul weights at
 *   compile time and set trans_b = 1, and fold a Transpose(perm swaps the last two axes) that
 *   feeds B into trans_b. Conv with 8-bit X and W uses im2col into `scratch` (see
 *   dk_conv_scratch_bytes) and SIMD dot products over the (C/group*KH*KW) reduction.
 *
 * Requantisation (RequantShift, fused or standalone), per output element at index i:
 *   acc  = the int32 result of the op (+ in_off)
 *   v    = (acc * mul[i.mul] + add[i.add] + (log2d > 0 ? 1 << (log2d - 1) : 0)) >> log2d  (arith.)
 *   y    = clamp(v + out_off, lo, hi)
 *   with lo/hi = signed ? [-n/2, n/2 - 1] : [0, n - 1] (n = n_levels), log2d = log2(div).
 *   mul/add are indexed through element strides over the OUTPUT tensor's dimensions as the
 *   kernel names them (mul_s/add_s; stride 0 = broadcast): per-tensor = all 0, per-channel of a
 *   Conv = stride 1 on the channel axis, per-row of a GEMM = stride 1 on the row axis, etc.
 *   mul == NULL means "no requant": the int32 result is stored with a cast.
 */
#ifndef DEEPLOY_SIM_KERNELS_H
#define DEEPLOY_SIM_KERNELS_H

#include <stdint.h>

#define DK_API_VERSION 1
#define DK_MAX_DIMS 6   /* max tensor rank any kernel accepts */
#define DK_MAX_CONCAT 8 /* max inputs of one dk_concat call */

/* Element type tags (uint8_t fields named *_type). */
typedef enum {
  DK_I8 = 0,
  DK_U8 = 1,
  DK_I16 = 2,
  DK_U16 = 3,
  DK_I32 = 4,
  DK_U32 = 5, /* read as int32 bit pattern; arithmetic is int32 */
  DK_F32 = 6  /* only where a kernel says so (float ops of Transformer_DeepQuant) */
} dk_type_t;

/* Requant parameters; strides index the kernel's output dims (see the header comment). */
typedef struct {
  const int32_t *mul;            /* NULL: no requant */
  const int32_t *add;            /* NULL: add = 0 */
  int32_t mul_s[DK_MAX_DIMS];    /* element strides of mul over the output dims */
  int32_t add_s[DK_MAX_DIMS];    /* element strides of add over the output dims */
  int32_t log2d;                 /* 0..31 */
  int32_t in_off, out_off;
  int32_t lo, hi;                /* clamp range after out_off */
} dk_rq_t;

/* ---------------------------------------------------------------- GEMM / MatMul */
/* Y[b0,b1,m,n] = rq( alpha * sum_k (A[b0,b1,m,k] + a_off) * (B[b0,b1,k,n] + b_off)
 *                    + beta * C[b0,b1,m,n] )
 *   A: M x K row-major (trans_a = 1: stored K x M); B: K x N (trans_b = 1: stored N x K).
 *   a_type/b_type: DK_I8, DK_U8 (SIMD fast path, any combination) or DK_I16/DK_I32 (generic).
 *   C (int32, optional, NULL = none) is indexed C[b0*c_bs[0] + b1*c_bs[1] + m*c_rs + n*c_cs];
 *   use strides 0 to broadcast (a length-N bias: c_rs = 0, c_cs = 1).
 *   Batches: batch[0] x batch[1] GEMMs (1 x 1 for a plain GEMM); *_bs are element strides per
 *   batch dim, 0 broadcasts (NumPy-style batch broadcasting). Y is dense (b0, b1, M, N).
 *   rq.mul_s/add_s index (b0, b1, m, n): per-row = {0,0,1,0}, per-column = {0,0,0,1}.
 *   y_type: DK_I8/DK_U8 (with rq) or DK_I32 (no rq), any integer type allowed.
 *   Work split: (batch, 4-row block, column chunk) tasks; fast path needs trans_a = 0,
 *   trans_b = 1, 8-bit A and B (a 4x4 XpulpV2 micro-kernel), and A, B, Y in L1 (see scratch). */
typedef struct {
  const void *A;
  const void *B;
  const int32_t *C;
  void *Y;
  uint32_t M, N, K;
  uint32_t batch[2];
  int32_t a_bs[2], b_bs[2], c_bs[2];
  int32_t c_rs, c_cs;
  int32_t alpha, beta;
  int32_t a_off, b_off;
  uint8_t a_type, b_type, y_type;
  uint8_t trans_a, trans_b;
  dk_rq_t rq;
  /* Optional L1 buffer (NULL = none), for 8-bit B NOT transposed: if all distinct B matrices
   * fit (K*N bytes at each batch offset), the cores transpose them into the scratch together
   * (one barrier) and run the transposed-B fast path; if not, each core uses scratch_bytes /
   * cores to transpose the B columns of its own tasks when they fit. The kernel reads its
   * operands where they are and never moves them by DMA: the compiler's tiles bring them to L1.
   * Added after v1: zero-initialised = off. */
  void *scratch;
  uint32_t scratch_bytes;
} dk_gemm_args_t;
void dk_gemm(void *args); /* dk_gemm_args_t */

/* ---------------------------------------------------------------- Conv (NCHW; 1D: H = KH = 1) */
/* Y[n,k,oh,ow] = rq( bias[k] + sum_{c in group(k), kh, kw} (X[n,c,ih,iw] + x_off) * W[k,c',kh,kw] )
 *   ih = oh*stride_h - pad_t + kh*dil_h (likewise iw); outside the input: the padded value is
 *   ZERO after the offset, i.e. the term is skipped. OH/OW given by the caller (ONNX formula).
 *   group: 1 = regular, C = K = group = depthwise, anything dividing C and K = grouped.
 *   x_type: DK_I8/DK_U8/DK_I16/DK_I32; w_type: DK_I8/DK_U8/DK_I32. bias int32 or NULL.
 *   rq.mul_s/add_s index (n, k, oh, ow): per-channel = {0,1,0,0}.
 *   scratch: im2col buffer of >= dk_conv_scratch_bytes(args, ncores) bytes (L1), or NULL to
 *   use the direct loop (slower, still parallel). Depthwise never needs scratch. */
typedef struct {
  const void *X;
  const void *W;
  const int32_t *bias;
  void *Y;
  void *scratch;
  uint32_t N, C, H, W_in;
  uint32_t K, OH, OW;
  uint32_t KH, KW;
  uint32_t stride_h, stride_w, dil_h, dil_w;
  uint32_t pad_t, pad_l;
  uint32_t group;
  int32_t x_off;
  uint8_t x_type, w_type, y_type;
  dk_rq_t rq;
} dk_conv_args_t;
void dk_conv(void *args); /* dk_conv_args_t */
uint32_t dk_conv_scratch_bytes(const dk_conv_args_t *args, unsigned ncores);

/* ---------------------------------------------------------------- MaxPool (NCHW; 1D: H = KH = 1) */
/* Y[n,c,oh,ow] = max over the window of X (padded positions ignored). Same geometry fields as
 * dk_conv_args_t. x_type = y_type; any integer type. */
typedef struct {
  const void *X;
  void *Y;
  uint32_t N, C, H, W_in;
  uint32_t OH, OW;
  uint32_t KH, KW;
  uint32_t stride_h, stride_w, dil_h, dil_w;
  uint32_t pad_t, pad_l;
  uint8_t type;
} dk_maxpool_args_t;
void dk_maxpool(void *args); /* dk_maxpool_args_t */

/* ---------------------------------------------------------------- element-wise, broadcasting */
/* Output shape shape[0..ndim), dense. Input element (i0..) = a[sum i_d * sa[d]] (stride 0 on a
 * broadcast dim), same for b. Result r = a op b in int32 (DK_F32: float32 when a, b, y are all
 * DK_F32), then rq (indexed over the output dims) if rq.mul, else cast to y_type.
 *   dk_add: a + b; dk_sub: a - b; dk_mul: a * b;
 *   dk_div: integers: C division truncating toward zero (ONNX Div on ints); divide by 0 -> 0.
 *   a_off/b_off are added to the inputs before the op (0 normally). */
typedef struct {
  const void *a;
  const void *b;
  void *y;
  uint32_t ndim;
  uint32_t shape[DK_MAX_DIMS];
  int32_t sa[DK_MAX_DIMS], sb[DK_MAX_DIMS];
  int32_t a_off, b_off;
  uint8_t a_type, b_type, y_type;
  dk_rq_t rq;
} dk_binary_args_t;
void dk_add(void *args); /* dk_binary_args_t */
void dk_sub(void *args); /* dk_binary_args_t */
void dk_mul(void *args); /* dk_binary_args_t */
void dk_div(void *args); /* dk_binary_args_t */

/* Standalone RequantShift: y = rq(x) element-wise over a dense tensor of shape[0..ndim);
 * x any integer type (usually DK_I32); rq.mul required. */
typedef struct {
  const void *x;
  void *y;
  uint32_t ndim;
  uint32_t shape[DK_MAX_DIMS];
  uint8_t x_type, y_type;
  dk_rq_t rq;
} dk_requant_args_t;
void dk_requant(void *args); /* dk_requant_args_t */
/* The same on pixel-major (HWC) data: shape [.., C] with mul / add per channel (rq.*_s of the last
 * dim 1) or one value (0), no variation along the other dims; cores split the pixels. */
void dk_requant_hwc(void *args); /* dk_requant_args_t */

/* ---------------------------------------------------------------- element-wise unary, n elements */
/* Clip: y = min(max(x, lo), hi) (flo/fhi for DK_F32).  Cast: value conversion x_type -> y_type
 * (int -> int: C cast; float -> int: truncation toward zero then C cast; int -> float exact to
 * 2^24). Round (DK_F32 only): round half to even. Copy: byte copy of n elements of elem_size
 * (Identity, Reshape, Flatten when not aliased). */
typedef struct {
  const void *x;
  void *y;
  uint32_t n;
  int32_t lo, hi;
  float flo, fhi;
  uint8_t x_type, y_type;
} dk_unary_args_t;
void dk_clip(void *args);  /* dk_unary_args_t */
void dk_cast(void *args);  /* dk_unary_args_t */
void dk_round(void *args); /* dk_unary_args_t (x_type = y_type = DK_F32) */

typedef struct {
  const void *x;
  void *y;
  uint32_t n;
  uint32_t elem_size;
} dk_copy_args_t;
void dk_copy(void *args); /* dk_copy_args_t */

/* iHardswish: t = clamp(x + in_off + three, 0, six) * one_over_six; y = (x + in_off) * t (int32),
 * then rq if rq.mul (per-tensor only: mul_s/add_s ignored, index 0). */
typedef struct {
  const void *x;
  void *y;
  uint32_t n;
  int32_t one_over_six, three, six;
  int32_t in_off;
  uint8_t x_type, y_type;
  dk_rq_t rq;
} dk_hardswish_args_t;
void dk_ihardswish(void *args); /* dk_hardswish_args_t */

/* iGELU (I-BERT): x' = x + in_off; q = min(|x'|, -b); L = sgn(x') * (one - (q + b)^2);
 * y = x' * ((one + L) >> 1), then rq if rq.mul (per-tensor). */
typedef struct {
  const void *x;
  void *y;
  uint32_t n;
  int32_t b, one;
  int32_t in_off;
  uint8_t x_type, y_type;
  dk_rq_t rq;
} dk_gelu_args_t;
void dk_igelu(void *args); /* dk_gelu_args_t */

/* TrueIntegerDiv: y = x * floor((Delta * eta) / (eta * yv + eps)) (coefficient in 64-bit, floor
 * division; product in int32). Coefficient first, as the intermediate tensors of the microLlama
 * activations.npz files hold (and src/reference does); operators.md's floor(Delta*eta*x / den)
 * differs before the following RequantShift but not after it on the conformance files. */
typedef struct {
  const void *x;
  void *y;
  uint32_t n;
  int32_t Delta, eta, eps, yv;
  uint8_t x_type, y_type;
} dk_trueintdiv_args_t;
void dk_trueintegerdiv(void *args); /* dk_trueintdiv_args_t */

/* ---------------------------------------------------------------- per-row ops (last axis) */
/* rows x len dense; work split over rows. */

/* iSoftmax (I-BERT): per row, x~ = x - max; z = clamp(-x~ / log2, 0, 31) (truncating);
 * p = x~ + z*log2; e = (coeffA*(p + coeffB)^2 + coeffC) >> z (64-bit);
 * out = (e * (n_levels - 1)) / sum(e) (unsigned, in [0, n_levels-1]); y = out + out_off
 * (out_off = 0 for DK_U8 output; -n_levels/2 gives Deeploy's int8 convention).
 * ITAMax: shift = (max - x + 16) >> 5; sum = sum(256 >> shift);
 * out = ((((n_levels-1)*256) / sum) >> shift) - n_levels/2 ; y = out + out_off.
 * x_type: DK_I8/DK_U8/DK_I32. */
typedef struct {
  const void *x;
  void *y;
  uint32_t rows, len;
  int32_t coeffA, coeffB, coeffC, log2;
  int32_t n_levels;
  int32_t out_off;
  uint8_t x_type, y_type;
} dk_softmax_args_t;
void dk_isoftmax(void *args); /* dk_softmax_args_t */
void dk_itamax(void *args);   /* dk_softmax_args_t (coeffs, log2 unused) */

/* iRMSNorm: per row, v_j = x_j + in_off; s = (sum v_j^2) / len + 1 (64-bit sum, truncating);
 * std = isqrt(s) (largest r with r*r <= s); y_j = clamp(((v_j * w[j]) / std) >> log2d, lo, hi)
 * (C division; arithmetic shift). w: int32 (w_type DK_I32) or DK_I8/DK_U8/DK_I16. */
typedef struct {
  const void *x;
  const void *w;
  void *y;
  uint32_t rows, len;
  int32_t log2d;
  int32_t in_off;
  int32_t lo, hi;
  uint8_t x_type, w_type, y_type;
} dk_rmsnorm_args_t;
void dk_irmsnorm(void *args); /* dk_rmsnorm_args_t */

/* iLayerNorm: per row, v_j = x_j + in_off; mean = sum(v)/len (truncating); var =
 * sum((v-mean)^2)/len + 1; std = isqrt(var); y_j = cast((((v_j-mean) * w[j]) / std + b[j]) >> log2d)
 * (no clamp, as in Deeploy's kernel). w, b int32. */
typedef struct {
  const void *x;
  const int32_t *w;
  const int32_t *b;
  void *y;
  uint32_t rows, len;
  int32_t log2d;
  int32_t in_off;
  uint8_t x_type, y_type;
} dk_layernorm_args_t;
void dk_ilayernorm(void *args); /* dk_layernorm_args_t */

/* ---------------------------------------------------------------- reductions */
/* Input viewed as (outer, red, inner) dense (any set of CONTIGUOUS axes reduced; the pipeline
 * transposes otherwise). ReduceSum: y[o,i] = sum_r x[o,r,i] (int32). ReduceMean: floor(sum/red +
 * 1/2) (round half up). Then cast to y_type. */
typedef struct {
  const void *x;
  void *y;
  uint32_t outer, red, inner;
  uint8_t x_type, y_type;
} dk_reduce_args_t;
void dk_reducesum(void *args);  /* dk_reduce_args_t */
void dk_reducemean(void *args); /* dk_reduce_args_t */

/* ---------------------------------------------------------------- data movement (element size) */
/* Transpose: y = x.transpose(perm); in_shape is x's shape; y dense in the permuted shape. */
typedef struct {
  const void *x;
  void *y;
  uint32_t ndim;
  uint32_t in_shape[DK_MAX_DIMS];
  uint32_t perm[DK_MAX_DIMS];
  uint32_t elem_size; /* 1, 2 or 4 */
} dk_transpose_args_t;
void dk_transpose(void *args); /* dk_transpose_args_t */

/* Concat: each input i is viewed as (outer, len[i] * inner) dense; y as (outer, sum len * inner). */
typedef struct {
  const void *x[DK_MAX_CONCAT];
  uint32_t len[DK_MAX_CONCAT];
  uint32_t n_inputs;
  void *y;
  uint32_t outer, inner;
  uint32_t elem_size;
} dk_concat_args_t;
void dk_concat(void *args); /* dk_concat_args_t */

/* Slice: y[j0..] = x[start_d + j_d * step_d ...] for j_d < out_shape[d]; starts already clamped
 * and normalised by the pipeline (ONNX rules); steps may be negative. */
typedef struct {
  const void *x;
  void *y;
  uint32_t ndim;
  uint32_t in_shape[DK_MAX_DIMS];
  uint32_t out_shape[DK_MAX_DIMS];
  int32_t start[DK_MAX_DIMS];
  int32_t step[DK_MAX_DIMS];
  uint32_t elem_size;
} dk_slice_args_t;
void dk_slice(void *args); /* dk_slice_args_t */

/* Pad (constant mode): y[j] = x[j - pad_begin] inside, else value (stored with elem_size bytes,
 * two's complement truncation). Negative pads (cropping) allowed. */
typedef struct {
  const void *x;
  void *y;
  uint32_t ndim;
  uint32_t in_shape[DK_MAX_DIMS];
  uint32_t out_shape[DK_MAX_DIMS];
  int32_t pad_begin[DK_MAX_DIMS];
  int32_t value;
  uint32_t elem_size;
} dk_pad_args_t;
void dk_pad(void *args); /* dk_pad_args_t */

/* Gather (axis form): x viewed as (outer, axis_len, inner); y[o, j, i] = x[o, idx[j], i] with
 * negative idx counting from the end; y is (outer, n_idx, inner). */
typedef struct {
  const void *x;
  const int32_t *idx;
  void *y;
  uint32_t outer, axis_len, inner, n_idx;
  uint32_t elem_size;
} dk_gather_args_t;
void dk_gather(void *args); /* dk_gather_args_t */

/* ---------------------------------------------------------------- LLM decoder step (llm.c) */
/* The extra operators of the TinyStories decoder-step graph (docs/llm.md); owned by src/llm's
 * sim engine, registered in src/compiler/ops/llm.ts. */

/* Gather by a RUNTIME index tensor (token / position lookups): x viewed as (outer, axis_len,
 * inner); y[o, j, i] = x[o, idx[j], i], idx of type idx_type (any integer tag), negative idx
 * counting from the end; an index still outside [0, axis_len) yields zeros (never reads outside x). */
typedef struct {
  const void *x;
  const void *idx;
  void *y;
  uint32_t outer, axis_len, inner, n_idx;
  uint32_t elem_size;
  uint8_t idx_type;
} dk_gather_rt_args_t;
void dk_gather_rt(void *args); /* dk_gather_rt_args_t */

/* Lut: y[i] = table[x[i] + 128] for int8 x (table of 256 entries of type y_type). */
typedef struct {
  const int8_t *x;
  const void *table;
  void *y;
  uint32_t n;
  uint8_t y_type;
} dk_lut_args_t;
void dk_lut(void *args); /* dk_lut_args_t */

/* ArgMax: x viewed as (outer, len, inner); y[o, i] = the first j with the largest x[o, j, i]. */
typedef struct {
  const void *x;
  void *y;
  uint32_t outer, len, inner;
  uint8_t x_type, y_type;
} dk_argmax_args_t;
void dk_argmax(void *args); /* dk_argmax_args_t */

/* iSoftmax as dk_isoftmax (same args, same integers: the formula beside dk_softmax_args_t),
 * cheaper per element for long rows (attention over a KV window); needs 0 < log2 <= 11585,
 * coeffA >= 0, coeffC >= 0, |coeffB| < 2^24. */
void dk_isoftmax_rows(void *args); /* dk_softmax_args_t */

/* Copy of byte runs into a dense y (Concat, and Slice along one axis): y is `outer` rows of
 * R = sum(run[i]) bytes; row o holds, in input order, run[i] bytes read from x[i] + o * x_stride[i].
 * The cores split the outer * R bytes evenly; word stores, word loads at any source alignment. */
typedef struct {
  const void *x[DK_MAX_CONCAT];
  uint32_t run[DK_MAX_CONCAT];
  uint32_t x_stride[DK_MAX_CONCAT];
  uint32_t n_inputs;
  void *y;
  uint32_t outer;
} dk_copy_runs_args_t;
void dk_copy_runs(void *args); /* dk_copy_runs_args_t */

/* Batched MatMul Y[b] = A[b] (M x K) x B[b] (K x N), all dense, B NOT transposed and at run time
 * (decoder attention): either K <= 16 and M <= 4 and N >= K (work items (b, n): the B column is
 * read once for all M rows) or N <= 16 (items (b, m): a row of A times B, zero A values skipped).
 * rq as dk_gemm's over the output dims (b0 = 1, b1 = batch, m, n); mul == NULL stores acc. */
typedef struct {
  const void *A;
  const void *B;
  void *Y;
  uint32_t batch, M, K, N;
  uint8_t a_type, b_type, y_type;
  dk_rq_t rq;
} dk_matmul_small_args_t;
void dk_matmul_small(void *args); /* dk_matmul_small_args_t */

#include "kernels_ext.h" /* the quantized vocabulary's kernels (quant_ext.c) */

#endif /* DEEPLOY_SIM_KERNELS_H */
