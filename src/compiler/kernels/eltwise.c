/* Element-wise kernels: broadcasting binary ops (+ requant), standalone RequantShift, Clip,
 * Cast, Round, Copy, iHardswish, iGELU, TrueIntegerDiv, ReduceSum / ReduceMean.
 * Work split: contiguous ranges of output elements per core. Broadcasting walks an N-d counter
 * over the output and keeps each operand's offset up to date (one add per element and operand). */
#include "dk_internal.h"

typedef struct {
  uint32_t nd;
  uint32_t shape[DK_MAX_DIMS];
  uint32_t idx[DK_MAX_DIMS];
  int32_t st[4][DK_MAX_DIMS]; /* strides of up to 4 operands */
  int32_t off[4];
} nd_it;

/* The iterator of NOPS operands (a compile-time constant after inlining, so the operand loops
 * unroll: the set-up runs on every core for every layer, and the small decoder layers have only a
 * few elements per core). Output dims of extent 1 are dropped and neighbouring dims that every
 * operand walks contiguously (st[d] = st[d+1]*shape[d+1]) merged, so that dense and
 * scalar-broadcast cases become one long innermost run. st[o] must be non-null for o < NOPS. */
DK_INLINE void it_init(nd_it *it, uint32_t NOPS, uint32_t nd, const uint32_t *shape, const int32_t *const *st, uint32_t start) {
  uint32_t w = 0;
  for (uint32_t d = 0; d < nd; d++) {
    const uint32_t n = shape[d];
    if (n == 1) continue;
    int merge = w > 0;
    for (uint32_t o = 0; o < NOPS; o++) merge = merge && it->st[o][w - 1] == st[o][d] * (int32_t)n;
    if (merge) {
      it->shape[w - 1] *= n;
    } else {
      it->shape[w] = n;
      w++;
    }
    for (uint32_t o = 0; o < NOPS; o++) it->st[o][w - 1] = st[o][d];
  }
  if (w == 0) { /* a single element */
    it->shape[0] = 1;
    for (uint32_t o = 0; o < NOPS; o++) it->st[o][0] = 0;
    w = 1;
  }
  it->nd = w;
  uint32_t r = start;
  for (uint32_t d = w - 1; d > 0; d--) {
    it->idx[d] = r % it->shape[d];
    r /= it->shape[d];
  }
  it->idx[0] = r; /* start < numel */
  for (uint32_t o = 0; o < NOPS; o++) {
    int32_t off = 0;
    for (uint32_t d = 0; d < w; d++) off += (int32_t)it->idx[d] * it->st[o][d];
    it->off[o] = off;
  }
}

DK_INLINE void it_next(nd_it *it, uint32_t NOPS) {
  int d = (int)it->nd - 1;
  for (;;) {
    for (uint32_t o = 0; o < NOPS; o++) it->off[o] += it->st[o][d];
    if (++it->idx[d] < it->shape[d] || d == 0) return;
    for (uint32_t o = 0; o < NOPS; o++) it->off[o] -= (int32_t)it->shape[d] * it->st[o][d];
    it->idx[d] = 0;
    d--;
  }
}

static uint32_t numel(uint32_t nd, const uint32_t *shape) {
  uint32_t n = 1;
  for (uint32_t d = 0; d < nd; d++) n *= shape[d];
  return n;
}

/* ---- binary ---- */
enum { OP_ADD, OP_SUB, OP_MUL, OP_DIV };

DK_INLINE int32_t iop(int op, int32_t x, int32_t y) {
  switch (op) {
  case OP_ADD: return x + y;
  case OP_SUB: return x - y;
  case OP_MUL: return x * y;
  default:
    if (y == 0) return 0;
    if (y == -1) return (int32_t)(0u - (uint32_t)x); /* INT32_MIN / -1 wraps instead of trapping */
    return x / y;
  }
}
DK_INLINE float fop(int op, float x, float y) {
  switch (op) {
  case OP_ADD: return x + y;
  case OP_SUB: return x - y;
  case OP_MUL: return x * y;
  default: return x / y;
  }
}

/* Advance the iterator past the rest of the current innermost run (to the next row start). */
DK_INLINE void it_next_row(nd_it *it, uint32_t NOPS) {
  const int last = (int)it->nd - 1;
  for (uint32_t o = 0; o < NOPS; o++) it->off[o] -= (int32_t)it->idx[last] * it->st[o][last];
  it->idx[last] = 0;
  for (int d = last - 1; d >= 0; d--) {
    for (uint32_t o = 0; o < NOPS; o++) it->off[o] += it->st[o][d];
    if (++it->idx[d] < it->shape[d]) return;
    for (uint32_t o = 0; o < NOPS; o++) it->off[o] -= (int32_t)it->shape[d] * it->st[o][d];
    it->idx[d] = 0;
  }
}

/* Requant parameters in locals (stores through the output pointer may alias the args). */
typedef struct {
  const int32_t *mul, *add;
  int32_t sh, rnd, in_off, out_off, lo, hi;
} rqv_t;
DK_INLINE rqv_t rqv(const dk_rq_t *q) {
  rqv_t r = {q->mul, q->add, q->log2d, q->log2d > 0 ? 1 << (q->log2d - 1) : 0, q->in_off, q->out_off, q->lo, q->hi};
  return r;
}
DK_INLINE int32_t rqv1(const rqv_t *q, int32_t v, int32_t mi, int32_t ai) {
  v = (((v + q->in_off) * q->mul[mi] + (q->add ? q->add[ai] : 0) + q->rnd) >> q->sh) + q->out_off;
  return dk_min(dk_max(v, q->lo), q->hi);
}

/* One innermost run of n outputs starting at y index i; TA/TB/TY/RQ constant after inlining. */
DK_INLINE void bin_run(int op, uint32_t TA, uint32_t TB, uint32_t TY, int RQ, const dk_binary_args_t *a, const rqv_t *q,
                       uint32_t i, uint32_t n, const int32_t *off, int32_t sa, int32_t sb, int32_t sm, int32_t sd) {
  int32_t oa = off[0], ob = off[1], om = RQ ? off[2] : 0, oq = RQ ? off[3] : 0;
  const int32_t a_off = a->a_off, b_off = a->b_off;
  const void *pa = a->a, *pb = a->b;
  void *py = a->y;
  if (sa == 1 && sb == 1 && (!RQ || (sm == 0 && sd == 0))) {
    /* both operands contiguous along the run (the decoder's cases), requant parameters constant:
     * in_off, add and the rounding folded into one constant, indices that strength-reduce */
    const int32_t mv = RQ ? q->mul[om] : 0, addc = RQ ? q->in_off * mv + (q->add ? q->add[oq] : 0) + q->rnd : 0;
#pragma GCC unroll 4
    for (uint32_t k = 0; k < n; k++) {
      int32_t v = iop(op, dk_ld(pa, (uint32_t)oa + k, TA) + a_off, dk_ld(pb, (uint32_t)ob + k, TB) + b_off);
      if (RQ) v = dk_min(dk_max(((v * mv + addc) >> q->sh) + q->out_off, q->lo), q->hi);
      dk_st(py, i + k, TY, v);
    }
    return;
  }
#pragma GCC unroll 4
  for (uint32_t k = 0; k < n; k++, oa += sa, ob += sb, om += sm, oq += sd) {
    int32_t v = iop(op, dk_ld(pa, (uint32_t)oa, TA) + a_off, dk_ld(pb, (uint32_t)ob, TB) + b_off);
    if (RQ) v = rqv1(q, v, om, oq);
    dk_st(py, i + k, TY, v);
  }
}

/* Do both operands walk the output densely (no broadcasting) and the requant parameters stay
 * constant? Then [s, e) is one run and the N-d iterator (divisions per dim) is not needed:
 * the 64-element decoder vectors spend most of their time there otherwise. */
static int dense_flat(uint32_t nd, const uint32_t *shape, const int32_t *sa, const int32_t *sb, const int32_t *ms, const int32_t *as, int rq) {
  int32_t st = 1;
  for (int d = (int)nd - 1; d >= 0; d--) {
    if (shape[d] != 1 && (sa[d] != st || sb[d] != st)) return 0;
    if (rq && shape[d] != 1 && (ms[d] != 0 || as[d] != 0)) return 0;
    st *= (int32_t)shape[d];
  }
  return 1;
}

DK_INLINE void binary_t(int op, uint32_t TA, uint32_t TB, uint32_t TY, int RQ, const dk_binary_args_t *a, uint32_t s, uint32_t e) {
  const int32_t *st[4] = {a->sa, a->sb, a->rq.mul_s, a->rq.add_s};
  if (dense_flat(a->ndim, a->shape, a->sa, a->sb, a->rq.mul_s, a->rq.add_s, RQ)) {
    const rqv_t q = rqv(&a->rq);
    const int32_t off[4] = {(int32_t)s, (int32_t)s, 0, 0};
    bin_run(op, TA, TB, TY, RQ, a, &q, s, e - s, off, 1, 1, 0, 0);
    return;
  }
  nd_it it;
  const uint32_t nops = RQ ? 4 : 2; /* the requant strides only matter with requant */
  it_init(&it, nops, a->ndim, a->shape, st, s);
  const int last = (int)it.nd - 1;
  const uint32_t L = it.shape[last];
  const int32_t sa = it.st[0][last], sb = it.st[1][last], sm = RQ ? it.st[2][last] : 0, sd = RQ ? it.st[3][last] : 0;
  const rqv_t q = rqv(&a->rq);
  for (uint32_t i = s; i < e;) {
    uint32_t run = L - it.idx[last];
    if (run > e - i) run = e - i;
    bin_run(op, TA, TB, TY, RQ, a, &q, i, run, it.off, sa, sb, sm, sd);
    i += run;
    if (i < e) it_next_row(&it, nops);
  }
}

DK_INLINE void binary(int op, const dk_binary_args_t *a) {
  const uint32_t n = numel(a->ndim, a->shape);
  uint32_t s, e;
  dk_split(n, &s, &e);
  if (s >= e) return;
  if (a->a_type == DK_F32 && a->b_type == DK_F32 && a->y_type == DK_F32) {
    const int32_t *st[4] = {a->sa, a->sb, 0, 0};
    nd_it it;
    it_init(&it, 2, a->ndim, a->shape, st, s);
    const float *x = (const float *)a->a, *y = (const float *)a->b;
    float *o = (float *)a->y;
    for (uint32_t i = s; i < e; i++, it_next(&it, 2)) o[i] = fop(op, x[it.off[0]], y[it.off[1]]);
    return;
  }
  const uint32_t ta = a->a_type, tb = a->b_type, ty = a->y_type;
  const int rq = a->rq.mul != 0;
  /* specialised type combinations; everything else through the run-time-typed loop */
  if (ta == DK_I8 && tb == DK_I8 && rq && dk_is8(ty)) binary_t(op, DK_I8, DK_I8, DK_U8, 1, a, s, e);
  else if (ta == DK_I8 && tb == DK_I8 && !rq && ty == DK_I32) binary_t(op, DK_I8, DK_I8, DK_I32, 0, a, s, e);
  else if (ta == DK_I8 && tb == DK_I8 && !rq && ty == DK_I8) binary_t(op, DK_I8, DK_I8, DK_I8, 0, a, s, e);
  else if (ta == DK_I32 && tb == DK_I32 && !rq && ty == DK_I32) binary_t(op, DK_I32, DK_I32, DK_I32, 0, a, s, e);
  else if (ta == DK_I32 && tb == DK_I32 && rq && dk_is8(ty)) binary_t(op, DK_I32, DK_I32, DK_U8, 1, a, s, e);
  else if (ta == DK_I32 && tb == DK_I32 && rq && ty == DK_I32) binary_t(op, DK_I32, DK_I32, DK_I32, 1, a, s, e); /* residuals */
  else if (ta == DK_I8 && tb == DK_I32 && !rq && ty == DK_I32) binary_t(op, DK_I8, DK_I32, DK_I32, 0, a, s, e); /* RoPE products */
  else if (rq) binary_t(op, ta, tb, ty, 1, a, s, e);
  else binary_t(op, ta, tb, ty, 0, a, s, e);
}

/* Args in L2 (15 cycles a field load) are copied to the stack first (dk_args_load); args in L1
 * are read in place: the 44-word copy cost ~150 instructions per core and layer, and the loops
 * keep what they use in locals (stores through y force no reloads of the args). */
#define DK_BINARY_ENTRY(name, op)                          \
  void name(void *args) {                                  \
    dk_binary_args_t a;                                    \
    if (dk_in_l1(args, sizeof a)) {                        \
      binary(op, (const dk_binary_args_t *)args);          \
      return;                                              \
    }                                                      \
    dk_args_load(&a, args, sizeof a);                      \
    binary(op, &a);                                        \
  }
DK_BINARY_ENTRY(dk_add, OP_ADD)
DK_BINARY_ENTRY(dk_sub, OP_SUB)
DK_BINARY_ENTRY(dk_mul, OP_MUL)
DK_BINARY_ENTRY(dk_div, OP_DIV)

/* ---- RequantShift ---- */
DK_INLINE void requant_loop(uint32_t XT, uint32_t YT, const dk_requant_args_t *a, uint32_t s, uint32_t e) {
  const int32_t *st[4] = {a->rq.mul_s, a->rq.add_s, 0, 0};
  int flat = 1; /* per-tensor parameters: one run, no N-d iterator (see dense_flat) */
  for (uint32_t d = 0; d < a->ndim; d++) flat &= a->shape[d] == 1 || (a->rq.mul_s[d] == 0 && a->rq.add_s[d] == 0);
  if (flat) {
    const rqv_t q = rqv(&a->rq);
    const void *px = a->x;
    void *py = a->y;
    const int32_t mv = q.mul[0], addc = q.in_off * mv + (q.add ? q.add[0] : 0) + q.rnd;
#pragma GCC unroll 4
    for (uint32_t i = s; i < e; i++) {
      const int32_t v = ((dk_ld(px, i, XT) * mv + addc) >> q.sh) + q.out_off;
      dk_st(py, i, YT, dk_min(dk_max(v, q.lo), q.hi));
    }
    return;
  }
  nd_it it;
  it_init(&it, 2, a->ndim, a->shape, st, s);
  const int last = (int)it.nd - 1;
  const uint32_t L = it.shape[last];
  const int32_t sm = it.st[0][last], sd = it.st[1][last];
  const rqv_t q = rqv(&a->rq);
  const void *px = a->x;
  void *py = a->y;
  for (uint32_t i = s; i < e;) {
    uint32_t run = L - it.idx[last];
    if (run > e - i) run = e - i;
    int32_t om = it.off[0], oq = it.off[1];
    if (sm == 0 && sd == 0) { /* parameters constant along the run */
      const int32_t mv = q.mul[om], addc = q.in_off * mv + (q.add ? q.add[oq] : 0) + q.rnd;
#pragma GCC unroll 4
      for (uint32_t k = 0; k < run; k++) {
        const int32_t v = ((dk_ld(px, i + k, XT) * mv + addc) >> q.sh) + q.out_off;
        dk_st(py, i + k, YT, dk_min(dk_max(v, q.lo), q.hi));
      }
    } else {
      for (uint32_t k = 0; k < run; k++, om += sm, oq += sd) dk_st(py, i + k, YT, rqv1(&q, dk_ld(px, i + k, XT), om, oq));
    }
    i += run;
    if (i < e) it_next_row(&it, 2);
  }
}
void dk_requant(void *args) {
  dk_requant_args_t a_l1; /* args in L2: read them once; in L1 in place (see DK_BINARY_ENTRY) */
  const dk_requant_args_t *a = (const dk_requant_args_t *)args;
  if (!dk_in_l1(args, sizeof a_l1)) {
    dk_args_load(&a_l1, args, sizeof a_l1);
    a = &a_l1;
  }
  uint32_t s, e;
  dk_split(numel(a->ndim, a->shape), &s, &e);
  if (s >= e) return;
  /* constant type tags for the common combinations: the run-time-typed loop spends a type
   * switch on every load and store (~21 cycles per element on the KV-cache requant) */
  const uint32_t xt = a->x_type, yt = a->y_type;
  if (xt == DK_I32 && dk_is8(yt)) requant_loop(DK_I32, DK_U8, a, s, e);
  else if (xt == DK_I8 && dk_is8(yt)) requant_loop(DK_I8, DK_U8, a, s, e);
  else if (xt == DK_U8 && dk_is8(yt)) requant_loop(DK_U8, DK_U8, a, s, e);
  else if (xt == DK_I32 && yt == DK_I32) requant_loop(DK_I32, DK_I32, a, s, e);
  else requant_loop(xt, yt, a, s, e);
}

/* ---- RequantShift on pixel-major data, per-channel parameters ----
 * The NPU's HWC activations between its convs (src/compiler/npu/layout.ts): shape [.., pixels, C]
 * merged to pixels x C, the channel fastest; mul / add per channel (stride 1 along C) or one value
 * (stride 0). dk_requant walks that with its N-d iterator, a run of C elements at a time and the
 * parameters reloaded per element; here each core takes a range of pixels and goes channel by
 * channel, the channel's (mul, add + rounding) pair hoisted out of its pixel loop (stride C). */
DK_INLINE void requant_hwc_loop(uint32_t XT, uint32_t YT, const dk_requant_args_t *a, uint32_t C, uint32_t s, uint32_t e) {
  const rqv_t q = rqv(&a->rq);
  const uint32_t last = a->ndim - 1u;
  const int32_t sm = a->rq.mul_s[last], sd = a->rq.add_s[last];
  const void *px = a->x;
  void *py = a->y;
  for (uint32_t c = 0; c < C; c++) {
    const int32_t mv = q.mul[(int32_t)c * sm], addc = q.in_off * mv + (q.add ? q.add[(int32_t)c * sd] : 0) + q.rnd;
    uint32_t i = s * C + c;
#pragma GCC unroll 4
    for (uint32_t k = s; k < e; k++, i += C) { /* a counted loop: a hardware loop */
      const int32_t v = ((dk_ld(px, i, XT) * mv + addc) >> q.sh) + q.out_off;
      dk_st(py, i, YT, dk_min(dk_max(v, q.lo), q.hi));
    }
  }
}
void dk_requant_hwc(void *args) {
  dk_requant_args_t a_l1; /* args in L2: read them once (see dk_requant) */
  const dk_requant_args_t *a = (const dk_requant_args_t *)args;
  if (!dk_in_l1(args, sizeof a_l1)) {
    dk_args_load(&a_l1, args, sizeof a_l1);
    a = &a_l1;
  }
  const uint32_t C = a->shape[a->ndim - 1u];
  uint32_t s, e;
  dk_split(numel(a->ndim, a->shape) / C, &s, &e);
  if (s >= e) return;
  const uint32_t xt = a->x_type, yt = a->y_type;
  if (xt == DK_I8 && dk_is8(yt)) requant_hwc_loop(DK_I8, DK_U8, a, C, s, e);
  else if (xt == DK_I32 && dk_is8(yt)) requant_hwc_loop(DK_I32, DK_U8, a, C, s, e);
  else if (xt == DK_U8 && dk_is8(yt)) requant_hwc_loop(DK_U8, DK_U8, a, C, s, e);
  else requant_hwc_loop(xt, yt, a, C, s, e);
}

/* ---- unary ---- */
void dk_clip(void *args) {
  const dk_unary_args_t *a = (const dk_unary_args_t *)args;
  uint32_t s, e;
  dk_split(a->n, &s, &e);
  if (a->x_type == DK_F32) {
    const float *x = (const float *)a->x;
    float *y = (float *)a->y;
    for (uint32_t i = s; i < e; i++) {
      float v = x[i];
      y[i] = v < a->flo ? a->flo : v > a->fhi ? a->fhi : v;
    }
    return;
  }
  for (uint32_t i = s; i < e; i++) dk_st(a->y, i, a->y_type, dk_min(dk_max(dk_ld(a->x, i, a->x_type), a->lo), a->hi));
}

/* float -> int32 truncating toward zero, saturating outside the int32 range */
static int32_t f2i(float v) {
  if (v != v) return 0;
  if (v >= 2147483648.0f) return INT32_MAX;
  if (v <= -2147483648.0f) return INT32_MIN;
  return (int32_t)v;
}

void dk_cast(void *args) {
  const dk_unary_args_t *a = (const dk_unary_args_t *)args;
  uint32_t s, e;
  dk_split(a->n, &s, &e);
  const int fx = a->x_type == DK_F32, fy = a->y_type == DK_F32;
  for (uint32_t i = s; i < e; i++) {
    if (fx && fy) ((float *)a->y)[i] = ((const float *)a->x)[i];
    else if (fx) dk_st(a->y, i, a->y_type, f2i(((const float *)a->x)[i]));
    else if (fy) ((float *)a->y)[i] = (float)dk_ld(a->x, i, a->x_type);
    else dk_st(a->y, i, a->y_type, dk_ld(a->x, i, a->x_type));
  }
}

/* round half to even without libm: exact for |v| < 2^23; larger floats are integers already */
static float round_even(float v) {
  if (!(v < 8388608.0f && v > -8388608.0f)) return v;
  float t = (float)(int32_t)v; /* truncated */
  float d = v - t;             /* exact, |d| < 1 */
  if (d > 0.5f || (d == 0.5f && ((int32_t)t & 1))) t += 1.0f;
  else if (d < -0.5f || (d == -0.5f && ((int32_t)t & 1))) t -= 1.0f;
  if (t == 0.0f && v < 0.0f) t = -0.0f;
  return t;
}

void dk_round(void *args) {
  const dk_unary_args_t *a = (const dk_unary_args_t *)args;
  uint32_t s, e;
  dk_split(a->n, &s, &e);
  const float *x = (const float *)a->x;
  float *y = (float *)a->y;
  for (uint32_t i = s; i < e; i++) y[i] = round_even(x[i]);
}

void dk_copy(void *args) {
  const dk_copy_args_t *a = (const dk_copy_args_t *)args;
  const uint32_t bytes = a->n * a->elem_size;
  uint32_t s, e;
  /* split in 4-byte-aligned chunks of the byte range */
  dk_split((bytes + 3) / 4, &s, &e);
  s *= 4;
  e *= 4;
  if (e > bytes) e = bytes;
  const uint8_t *x = (const uint8_t *)a->x;
  uint8_t *y = (uint8_t *)a->y;
  if ((((uintptr_t)x | (uintptr_t)y) & 3u) == 0) {
    uint32_t i = s;
    for (; i + 4 <= e; i += 4) *(uint32_t *)(y + i) = *(const uint32_t *)(x + i);
    for (; i < e; i++) y[i] = x[i];
  } else {
    for (uint32_t i = s; i < e; i++) y[i] = x[i];
  }
}

/* ---- integer activations ---- */
DK_INLINE int32_t rq_scalar(const dk_rq_t *rq, int32_t v) { return rq->mul ? dk_rq1(rq, v, 0, 0) : v; }
/* The one multiplier and offset of a per-tensor requant (rq_scalar) copied into *mv / *av and the
 * local rq pointed at them: the constants may lie in L2 (15 cycles a load), read once per core
 * instead of twice per element (the stores through y would reload them) */
DK_INLINE void rq_scalar_local(dk_rq_t *rq, int32_t *mv, int32_t *av) {
  if (rq->mul) {
    *mv = rq->mul[0];
    rq->mul = mv;
  }
  if (rq->add) {
    *av = rq->add[0];
    rq->add = av;
  }
}

void dk_ihardswish(void *args) {
  /* fields in locals, read once: the stores through y would reload them every element (15
   * cycles a field when the args are in L2) */
  const dk_hardswish_args_t *a = (const dk_hardswish_args_t *)args;
  dk_rq_t rq = a->rq;
  int32_t rq_mv, rq_av;
  rq_scalar_local(&rq, &rq_mv, &rq_av);
  const void *px = a->x;
  void *py = a->y;
  const uint32_t xt = a->x_type, yt = a->y_type;
  const int32_t in_off = a->in_off, three = a->three, six = a->six, one_over_six = a->one_over_six;
  uint32_t s, e;
  dk_split(a->n, &s, &e);
  for (uint32_t i = s; i < e; i++) {
    const int32_t x = dk_ld(px, i, xt) + in_off;
    const int32_t t = dk_min(dk_max(x + three, 0), six) * one_over_six;
    dk_st(py, i, yt, rq_scalar(&rq, x * t));
  }
}

void dk_igelu(void *args) {
  const dk_gelu_args_t *a = (const dk_gelu_args_t *)args; /* fields read once (see dk_ihardswish) */
  dk_rq_t rq = a->rq;
  int32_t rq_mv, rq_av;
  rq_scalar_local(&rq, &rq_mv, &rq_av);
  const void *px = a->x;
  void *py = a->y;
  const uint32_t xt = a->x_type, yt = a->y_type;
  const int32_t in_off = a->in_off, b = a->b, one = a->one;
  uint32_t s, e;
  dk_split(a->n, &s, &e);
  for (uint32_t i = s; i < e; i++) {
    const int32_t x = dk_ld(px, i, xt) + in_off;
    const int32_t sg = (x > 0) - (x < 0);
    const int32_t q = dk_min(x * sg, -b);
    const int32_t d = q + b;
    const int32_t L = sg * (one - d * d);
    dk_st(py, i, yt, rq_scalar(&rq, x * ((one + L) >> 1)));
  }
}

void dk_trueintegerdiv(void *args) {
  const dk_trueintdiv_args_t *a = (const dk_trueintdiv_args_t *)args;
  uint32_t s, e;
  dk_split(a->n, &s, &e);
  const int64_t den = (int64_t)a->eta * a->yv + a->eps;
  const int32_t k = den ? (int32_t)dk_floordiv64((int64_t)a->Delta * a->eta, den) : 0;
  /* pointers and tags in locals: read once (see dk_ihardswish) */
  const void *x = a->x;
  void *y = a->y;
  const uint32_t xt = a->x_type, yt = a->y_type;
  for (uint32_t i = s; i < e; i++) dk_st(y, i, yt, dk_ld(x, i, xt) * k);
}

/* ---- reductions over the middle axis of (outer, red, inner) ---- */
DK_INLINE void reduce(int mean, const dk_reduce_args_t *a) {
  const uint32_t R = a->red, I = a->inner;
  uint32_t s, e;
  dk_split(a->outer * I, &s, &e);
  for (uint32_t t = s; t < e; t++) {
    const uint32_t o = t / I, i = t % I;
    int32_t sum = 0;
    uint32_t p = o * R * I + i;
    for (uint32_t r = 0; r < R; r++, p += I) sum += dk_ld(a->x, p, a->x_type);
    if (mean && R) sum = (int32_t)dk_floordiv64(2 * (int64_t)sum + R, 2 * (int64_t)R); /* floor(sum/R + 1/2) */
    dk_st(a->y, t, a->y_type, sum);
  }
}
void dk_reducesum(void *args) { reduce(0, (const dk_reduce_args_t *)args); }
void dk_reducemean(void *args) { reduce(1, (const dk_reduce_args_t *)args); }
