/* GEMM / MatMul: int32 accumulation, optional alpha/beta bias and fused RequantShift.
 *
 * Work: (batch, block of 4 rows, column chunk) tasks split over the cores; columns are cut into
 * chunks only when there are fewer row blocks than cores (decode-style M = 1 GEMMs).
 * Fast path (8-bit A and B, A not transposed, no input offsets): 4x2 output blocks, each step
 * loads one 32-bit word (4 k values) from 4 rows of A and 2 columns of B and issues 8 4-lane dot
 * products. With B transposed (K contiguous) the XpulpV2 build runs the K loop as a hardware
 * loop with post-increment loads (14 instructions per 32 MACs); otherwise B's 4 k values are
 * gathered and packed into a word once per step and reused for 4 rows.
 * Everything else (16/32-bit operands, transposed A, offsets) takes the generic loop. */
#include "dk_internal.h"

/* dot-product variant: A lane signedness x B lane signedness */
enum { MODE_SS = 0, MODE_US = 1, MODE_SU = 2, MODE_UU = 3 };

DK_INLINE int32_t dot4(int mode, int32_t acc, uint32_t a, uint32_t b) {
  switch (mode) {
  case MODE_SS: return dk_sdotsp4(acc, a, b);
  case MODE_US: return dk_sdotusp4(acc, a, b);
  case MODE_SU: return dk_sdotusp4(acc, b, a);
  default: return dk_sdotup4(acc, a, b);
  }
}

DK_INLINE int32_t mul1(int mode, const uint8_t *a, const uint8_t *b) {
  int32_t x = (mode == MODE_SS || mode == MODE_SU) ? (int32_t)(int8_t)*a : (int32_t)*a;
  int32_t y = (mode == MODE_SS || mode == MODE_US) ? (int32_t)(int8_t)*b : (int32_t)*b;
  return x * y;
}

/* Pack B[k..k+3][n] (row stride N) into one word, lane i = k + i. */
DK_INLINE uint32_t packb(const uint8_t *b, uint32_t N) {
  return (uint32_t)b[0] | ((uint32_t)b[N] << 8) | ((uint32_t)b[2 * N] << 16) | ((uint32_t)b[3 * N] << 24);
}

typedef struct {
  const dk_gemm_args_t *g;
  uint32_t b0, b1;            /* batch indices */
  const uint8_t *A, *B;       /* this batch's A and B */
  const int32_t *C;
  uint32_t ybase;             /* element offset of Y[b0, b1, 0, 0] */
  int32_t mbase, abase;       /* rq.mul / rq.add offsets of (b0, b1, 0, 0) */
} batch_t;

/* Final value of output (m, n) from its accumulator. */
DK_INLINE void finish(const batch_t *bt, uint32_t m, uint32_t n, int32_t acc) {
  const dk_gemm_args_t *g = bt->g;
  int32_t v = acc * g->alpha;
  if (bt->C) v += g->beta * bt->C[(int32_t)m * g->c_rs + (int32_t)n * g->c_cs];
  if (g->rq.mul) {
    const int32_t *ms = g->rq.mul_s, *as = g->rq.add_s;
    int32_t mi = (int32_t)bt->b0 * ms[0] + (int32_t)bt->b1 * ms[1] + (int32_t)m * ms[2] + (int32_t)n * ms[3];
    int32_t ai = (int32_t)bt->b0 * as[0] + (int32_t)bt->b1 * as[1] + (int32_t)m * as[2] + (int32_t)n * as[3];
    v = dk_rq1(&g->rq, v, mi, ai);
  }
  dk_st(g->Y, bt->ybase + m * g->N + n, g->y_type, v);
}

/* epilogue kinds: generic (alpha, beta*C, any rq, any type), requant to 8 bits (alpha = 1, no C),
 * raw int32 (alpha = 1, no C, no rq), requant stored as 32 bits (alpha = 1, no C) */
enum { EPI_GEN = 0, EPI_RQ8 = 1, EPI_I32 = 2, EPI_RQ32 = 3 };

/* The requant epilogues' store: a byte or a word */
DK_INLINE void st_rq(int epi, void *y, uint32_t i, int32_t v) {
  if (epi == EPI_RQ32) ((int32_t *)y)[i] = v;
  else ((uint8_t *)y)[i] = (uint8_t)v;
}

/* The block's outputs at rows m0..m0+nr-1, columns n..n+ncols-1 (ncols <= 4); the accumulator of
 * (row r, column cc) is c[cc*4 + r]. */
DK_INLINE void epilogue(int epi, const batch_t *bt, uint32_t m0, uint32_t nr, uint32_t n, uint32_t ncols, const int32_t *c) {
  const dk_gemm_args_t *g = bt->g;
  const uint32_t N = g->N;
  if (epi == EPI_I32) {
    int32_t *y = (int32_t *)g->Y + bt->ybase + m0 * N + n;
    for (uint32_t r = 0; r < nr; r++, y += N)
      for (uint32_t cc = 0; cc < ncols; cc++) y[cc] = c[cc * 4 + r];
    return;
  }
  if (epi == EPI_RQ8 || epi == EPI_RQ32) {
    /* parameters in locals: the stores below may alias any memory the compiler cannot
     * see through, so fields read through q would be reloaded after every store */
    const dk_rq_t *q = &g->rq;
    const int32_t sh = q->log2d, rnd = sh > 0 ? 1 << (sh - 1) : 0, in_off = q->in_off, out_off = q->out_off;
    const int32_t lo = q->lo, hi = q->hi;
    const int32_t ms2 = q->mul_s[2], ms3 = q->mul_s[3];
    const int32_t as2 = q->add ? q->add_s[2] : 0, as3 = q->add ? q->add_s[3] : 0;
    const int32_t *mul = q->mul, *add = q->add;
    const uint32_t ysz = epi == EPI_RQ32 ? 4 : 1;
    uint8_t *y = (uint8_t *)g->Y + (bt->ybase + m0 * N + n) * ysz;
    int32_t mi = bt->mbase + (int32_t)m0 * ms2 + (int32_t)n * ms3;
    int32_t ai = q->add ? bt->abase + (int32_t)m0 * as2 + (int32_t)n * as3 : 0;
    if ((ms2 | ms3 | as2 | as3) == 0) {
      /* one mul/add for the block: (acc + in_off) * mul + add + rnd = acc * mul + addc (mod 2^32) */
      const int32_t mv = mul[mi], addc = in_off * mv + (add ? add[ai] : 0) + rnd;
      for (uint32_t r = 0; r < nr; r++, y += N * ysz)
        for (uint32_t cc = 0; cc < ncols; cc++) {
          const int32_t v = ((c[cc * 4 + r] * mv + addc) >> sh) + out_off;
          st_rq(epi, y, cc, dk_min(dk_max(v, lo), hi));
        }
      return;
    }
    for (uint32_t r = 0; r < nr; r++, y += N * ysz, mi += ms2, ai += as2)
      for (uint32_t cc = 0; cc < ncols; cc++) {
        const int32_t v = (((c[cc * 4 + r] + in_off) * mul[mi + (int32_t)cc * ms3] + (add ? add[ai + (int32_t)cc * as3] : 0) + rnd) >> sh) + out_off;
        st_rq(epi, y, cc, dk_min(dk_max(v, lo), hi));
      }
    return;
  }
  for (uint32_t r = 0; r < nr; r++)
    for (uint32_t cc = 0; cc < ncols; cc++) finish(bt, m0 + r, n + cc, c[cc * 4 + r]);
}

#ifndef DSIM_NO_XPULP
/* 4x2 block over n4 words of K in a hardware loop (pulp.h's PULP_HWLOOP_* / PULP_ASM_* strings).
 * Body: 14 fixed 32-bit instructions, 6 post-increment loads (p.lw rd, 4(rs1!)) into t0-t5, then 8
 * dot products (32 MACs); each loaded word is first used >= 2 instructions later (no load-use
 * stall). ENC is the dot product's ".insn r" encoding; OP orders its operands (s x u swaps them so
 * that the unsigned operand is rs1). */
#define MK_R(...) PULP_ASM_R(__VA_ARGS__)
#define MK_DOT(ENC, OP, acc, a, b) MK_R(ENC, acc, OP(a, b))
#define MK4X2_BODY(ENC, OP)                                                                     \
  __asm__ volatile(PULP_HWLOOP_BEGIN(0, "%[n]", 14)                                             \
                   PULP_ASM_LW_POSTINC("t0", "%[pa0]", 4)                                       \
                   PULP_ASM_LW_POSTINC("t1", "%[pa1]", 4)                                       \
                   PULP_ASM_LW_POSTINC("t2", "%[pa2]", 4)                                       \
                   PULP_ASM_LW_POSTINC("t3", "%[pa3]", 4)                                       \
                   PULP_ASM_LW_POSTINC("t4", "%[pb0]", 4)                                       \
                   PULP_ASM_LW_POSTINC("t5", "%[pb1]", 4)                                       \
                   MK_DOT(ENC, OP, "%[c00]", "t0", "t4")                                        \
                   MK_DOT(ENC, OP, "%[c10]", "t1", "t4")                                        \
                   MK_DOT(ENC, OP, "%[c20]", "t2", "t4")                                        \
                   MK_DOT(ENC, OP, "%[c30]", "t3", "t4")                                        \
                   MK_DOT(ENC, OP, "%[c01]", "t0", "t5")                                        \
                   MK_DOT(ENC, OP, "%[c11]", "t1", "t5")                                        \
                   MK_DOT(ENC, OP, "%[c21]", "t2", "t5")                                        \
                   MK_DOT(ENC, OP, "%[c31]", "t3", "t5")                                        \
                   PULP_HWLOOP_END(0, 14)                                                        \
                   : [c00] "+r"(c[0]), [c10] "+r"(c[1]), [c20] "+r"(c[2]), [c30] "+r"(c[3]),    \
                     [c01] "+r"(c[4]), [c11] "+r"(c[5]), [c21] "+r"(c[6]), [c31] "+r"(c[7]),    \
                     [pa0] "+r"(pa0), [pa1] "+r"(pa1), [pa2] "+r"(pa2), [pa3] "+r"(pa3),        \
                     [pb0] "+r"(pb0), [pb1] "+r"(pb1)                                           \
                   : [n] "r"(n4)                                                                 \
                   : "memory", "t0", "t1", "t2", "t3", "t4", "t5")
#define OP_AB(a, b) a, b
#define OP_BA(a, b) b, a
#define ENC_SS "0x57, 1, 0x5C" /* pv.sdotsp.b */
#define ENC_US "0x57, 1, 0x54" /* pv.sdotusp.b */
#define ENC_UU "0x57, 1, 0x50" /* pv.sdotup.b */

DK_INLINE void mk4x2_hwloop(int mode, const uint8_t **pa, const uint8_t **pb, uint32_t n4, int32_t *c) {
  const uint8_t *pa0 = pa[0], *pa1 = pa[1], *pa2 = pa[2], *pa3 = pa[3], *pb0 = pb[0], *pb1 = pb[1];
  switch (mode) {
  case MODE_SS: MK4X2_BODY(ENC_SS, OP_AB); break;
  case MODE_US: MK4X2_BODY(ENC_US, OP_AB); break;
  case MODE_SU: MK4X2_BODY(ENC_US, OP_BA); break;
  default: MK4X2_BODY(ENC_UU, OP_AB); break;
  }
  pa[0] = pa0; pa[1] = pa1; pa[2] = pa2; pa[3] = pa3; pb[0] = pb0; pb[1] = pb1;
}
#endif

#ifndef DSIM_NO_XPULP
/* 4x4 block over n4 words of K: 16 accumulators, so every register is allocated by hand.
 * A rows and B^T rows are K bytes apart: one pointer each walks 4 rows with register
 * post-increments (p.lw rd, rs2(rs1!): +K three times, then +4-3K back to the next word of row 0).
 * Body: 8 loads + 16 dot products = 64 MACs in 24 instructions; every loaded word is first used
 * >= 2 instructions later. Registers: a0 = A, a1 = B^T, a2 = K, a3 = 4-3K, a4 = n4, a5 = out;
 * accumulators s0-s11, t3-t6; A words t0 t1 t2 a6; B words a7 ra. out[c*4 + r] = block (r, c). */
#define LWR(rd, p, inc) PULP_ASM_R("0x0B, 7, 0x10", rd, p, inc) /* p.lw rd, inc(p!) */
#define MK_R4(...) PULP_ASM_R(__VA_ARGS__)
#define D4(ENC, OP, acc, a, b) MK_R4(ENC, acc, OP(a, b))
/* one K step of the 4x4 block (also peeled, with the non-accumulating dot products, in mk4x4_rq) */
#define MK4X4_STEP(E, OP)                                                                            \
  LWR("a7", "a1", "a2") LWR("t0", "a0", "a2") LWR("t1", "a0", "a2")                                 \
  LWR("t2", "a0", "a2") LWR("a6", "a0", "a3") LWR("ra", "a1", "a2")                                 \
  D4(E, OP, "s0", "t0", "a7") D4(E, OP, "s1", "t1", "a7")                                           \
  D4(E, OP, "s2", "t2", "a7") D4(E, OP, "s3", "a6", "a7")                                           \
  LWR("a7", "a1", "a2")                                                                             \
  D4(E, OP, "s4", "t0", "ra") D4(E, OP, "s5", "t1", "ra")                                           \
  D4(E, OP, "s6", "t2", "ra") D4(E, OP, "s7", "a6", "ra")                                           \
  LWR("ra", "a1", "a3")                                                                             \
  D4(E, OP, "s8", "t0", "a7") D4(E, OP, "s9", "t1", "a7")                                           \
  D4(E, OP, "s10", "t2", "a7") D4(E, OP, "s11", "a6", "a7")                                         \
  D4(E, OP, "t3", "t0", "ra") D4(E, OP, "t4", "t1", "ra")                                           \
  D4(E, OP, "t5", "t2", "ra") D4(E, OP, "t6", "a6", "ra")
#define MK4X4_BODY(ENC, OP)                                                                          \
  __asm__ volatile("li s0, 0\n\tli s1, 0\n\tli s2, 0\n\tli s3, 0\n\tli s4, 0\n\tli s5, 0\n\t"             \
                   "li s6, 0\n\tli s7, 0\n\tli s8, 0\n\tli s9, 0\n\tli s10, 0\n\tli s11, 0\n\t"            \
                   "li t3, 0\n\tli t4, 0\n\tli t5, 0\n\tli t6, 0\n\t"                                  \
                   PULP_HWLOOP_BEGIN(0, "a4", 24) MK4X4_STEP(ENC, OP)                                 \
                   PULP_HWLOOP_END(0, 24)                                                              \
                   "sw s0, 0(a5)\n\tsw s1, 4(a5)\n\tsw s2, 8(a5)\n\tsw s3, 12(a5)\n\t"                  \
                   "sw s4, 16(a5)\n\tsw s5, 20(a5)\n\tsw s6, 24(a5)\n\tsw s7, 28(a5)\n\t"              \
                   "sw s8, 32(a5)\n\tsw s9, 36(a5)\n\tsw s10, 40(a5)\n\tsw s11, 44(a5)\n\t"            \
                   "sw t3, 48(a5)\n\tsw t4, 52(a5)\n\tsw t5, 56(a5)\n\tsw t6, 60(a5)\n\t"              \
                   : "+r"(ra0), "+r"(ra1)                                                              \
                   : "r"(ra2), "r"(ra3), "r"(ra4), "r"(ra5)                                            \
                   : "memory", "ra", "t0", "t1", "t2", "t3", "t4", "t5", "t6", "s0", "s1", "s2", "s3", \
                     "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "a6", "a7")

/* out[16] = the 4x4 block's sums over the first 4*n4 k; *pa / *pb advance by 4*n4. */
DK_INLINE void mk4x4_hwloop(int mode, const uint8_t **pa, const uint8_t **pb, uint32_t K, uint32_t n4, int32_t *out) {
  register const uint8_t *ra0 __asm__("a0") = *pa;
  register const uint8_t *ra1 __asm__("a1") = *pb;
  register int32_t ra2 __asm__("a2") = (int32_t)K;
  register int32_t ra3 __asm__("a3") = 4 - 3 * (int32_t)K;
  register uint32_t ra4 __asm__("a4") = n4;
  register int32_t *ra5 __asm__("a5") = out;
  switch (mode) {
  case MODE_SS: MK4X4_BODY(ENC_SS, OP_AB); break;
  case MODE_US: MK4X4_BODY(ENC_US, OP_AB); break;
  case MODE_SU: MK4X4_BODY(ENC_US, OP_BA); break;
  default: MK4X4_BODY(ENC_UU, OP_AB); break;
  }
  *pa = ra0;
  *pb = ra1;
}
#endif

#ifndef DSIM_NO_XPULP
/* 4x4 block with the requant to 8 bits fused (per-tensor parameters, out_off = 0, a symmetric or
 * [0, hi] clamp, rows of Y word aligned): the same K loop as MK4X4_BODY, but its first step is
 * peeled with the non-accumulating dot products (no zeroing of the 16 accumulators), and the
 * accumulators are requantised in registers: mul, p.addN ((acc + addc) >> sh, rounding folded
 * into addc), p.clip / p.clipu, then pv.packlo.b / pv.packhi.b and one word store per row
 * (3.5 instructions per output instead of ~11 through the stack and the C epilogue).
 * a4 = n4 - 1 >= 1 loop steps; a5 = the parameter block {mul, addc, sh, hi, y, N}. */
#define ENC_SS0 "0x57, 1, 0x4C" /* pv.dotsp.b */
#define ENC_US0 "0x57, 1, 0x44" /* pv.dotusp.b */
#define ENC_UU0 "0x57, 1, 0x40" /* pv.dotup.b */
#define ENC_CLIP "0x33, 5, 0x0A"  /* p.clip rd, rs1, rs2: [-rs2 - 1, rs2] */
#define ENC_CLIPU "0x33, 6, 0x0A" /* p.clipu rd, rs1, rs2: [0, rs2] */
/* BODY(accumulating dot, first-step dot, operand order, clamp) for the 4 signedness modes x the 2
 * clamps (variables mode, clipu) */
#define RQ_DISPATCH_CL(BODY, CL)                                  \
  switch (mode) {                                                 \
  case MODE_SS: BODY(ENC_SS, ENC_SS0, OP_AB, CL); break;          \
  case MODE_US: BODY(ENC_US, ENC_US0, OP_AB, CL); break;          \
  case MODE_SU: BODY(ENC_US, ENC_US0, OP_BA, CL); break;          \
  default: BODY(ENC_UU, ENC_UU0, OP_AB, CL); break;               \
  }
#define RQ_DISPATCH(BODY)                                         \
  do {                                                            \
    if (clipu) {                                                  \
      RQ_DISPATCH_CL(BODY, ENC_CLIPU)                             \
    } else {                                                      \
      RQ_DISPATCH_CL(BODY, ENC_CLIP)                              \
    }                                                             \
  } while (0)
/* p.sb / p.sw rs2, rs3(rs1!): store v at p, then p += inc */
#define P_SB_INC(v, p, inc) ".insn r 0x2B, 4, 0, " inc ", " p ", " v "\n\t"
#define P_SW_INC(v, p, inc) ".insn r 0x2B, 6, 0, " inc ", " p ", " v "\n\t"
/* requant of one accumulator: a0 = mul, a1 = addc, a2 = sh, a3 = hi */
#define RQ1(CL, x) "mul " x ", " x ", a0\n\t" PULP_ASM_R("0x5B, 2, 0x20", x, "a1", "a2") PULP_ASM_R(CL, x, x, "a3")
/* one output row: columns c0..c3 packed into t0, stored at a4, a4 += N (a6) */
#define RQROW(CL, c0, c1, c2, c3)                                                                     \
  RQ1(CL, c0) RQ1(CL, c1) RQ1(CL, c2) RQ1(CL, c3)                                                   \
  PULP_ASM_R("0x57, 1, 0x70", "t0", c1, c0) PULP_ASM_R("0x57, 1, 0x6C", "t0", c3, c2)               \
  P_SW_INC("t0", "a4", "a6")
#define MK4X4_RQ_BODY(E, E0, OP, CL)                                                                  \
  __asm__ volatile(MK4X4_STEP(E0, OP)                                                               \
                   PULP_HWLOOP_BEGIN(0, "a4", 24) MK4X4_STEP(E, OP) PULP_HWLOOP_END(0, 24)          \
                   "lw a0, 0(a5)\n\tlw a1, 4(a5)\n\tlw a2, 8(a5)\n\tlw a3, 12(a5)\n\t"               \
                   "lw a4, 16(a5)\n\tlw a6, 20(a5)\n\t"                                            \
                   RQROW(CL, "s0", "s4", "s8", "t3") RQROW(CL, "s1", "s5", "s9", "t4")              \
                   RQROW(CL, "s2", "s6", "s10", "t5") RQROW(CL, "s3", "s7", "s11", "t6")            \
                   : "+r"(ra0), "+r"(ra1), "+r"(ra2), "+r"(ra3), "+r"(ra4)                          \
                   : "r"(ra5)                                                                       \
                   : "memory", "ra", "t0", "t1", "t2", "t3", "t4", "t5", "t6", "s0", "s1", "s2", "s3", \
                     "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "a6", "a7")

/* A row of 4x5 blocks (4 A rows x 5 B^T rows each, consecutive columns) with the fused requant of
 * mk4x4_rq and byte stores, in one asm statement. The K step is 9 loads + 20 dot products = 80 MACs
 * in 29 instructions (4x4: 64 in 24). That needs 31 registers, so sp, gp and tp serve too: sp is
 * kept in the parameter block, whose address waits in mscratch (no trap handler uses it), gp is
 * reloaded from __global_pointer$ and tp (the core id, crt0) from mhartid at the end.
 * K loop registers: a0 = A, a1 = B^T, a2 = K, a3 = 4-3K (A back), gp = 4-4K (B back); A words t0
 * t1 t2 tp; B words alternate between ra and sp; accumulators column 0 s0-s3, 1 s4-s7, 2 s8-s11,
 * 3 t3-t6, 4 a4-a7.
 * Software pipelined: a step's last column runs while the next step's A words and first B word
 * load, so that the 9 loads of a step sit in its odd slots only (1 3 5 7 9 11 15 19 25 of 29).
 * Every row of A and B^T usually starts in the same TCDM bank (K a multiple of 64), so a step
 * touches a single bank and two cores in the same bank at time distance d collide only when d is
 * even: the loser of a conflict moves by one cycle, to an odd distance, and the pair does not
 * collide again (with all loads in a burst, as before, two cores kept colliding once a step).
 * B_j of a step goes to ra or sp by the parity of j + step, hence the two-step loop body.
 * The epilogue keeps a0, a1 and a2 (A and B^T advance to the next block): per block only the
 * requant parameters are reloaded. Parameter block (words): 0 A, 1 B^T (first block), 2 K, 3 mul, 4 addc,
 * 5 sh, 6 hi, 7 y (first block's output, advanced by 5 per block), 8 N, 9 saved sp,
 * 10 -, 11 y past the last block, 12 -, 13 -, 14 4-3K, 15 4-4K. The loop runs (n4 - 2) / 2
 * = K / 8 - 1 times (n4 - 2 odd: one more step after it, MK4X5_TAIL1). */
/* first step, columns 0-3 (B_j in ra for even j) */
#define MK4X5_FIRST(E, OP)                                                                           \
  LWR("ra", "a1", "a2") LWR("t0", "a0", "a2") LWR("t1", "a0", "a2") LWR("t2", "a0", "a2")           \
  LWR("tp", "a0", "a3") LWR("sp", "a1", "a2")                                                       \
  D4(E, OP, "s0", "t0", "ra") D4(E, OP, "s1", "t1", "ra") D4(E, OP, "s2", "t2", "ra") D4(E, OP, "s3", "tp", "ra") \
  LWR("ra", "a1", "a2")                                                                             \
  D4(E, OP, "s4", "t0", "sp") D4(E, OP, "s5", "t1", "sp") D4(E, OP, "s6", "t2", "sp") D4(E, OP, "s7", "tp", "sp") \
  LWR("sp", "a1", "a2")                                                                             \
  D4(E, OP, "s8", "t0", "ra") D4(E, OP, "s9", "t1", "ra") D4(E, OP, "s10", "t2", "ra") D4(E, OP, "s11", "tp", "ra") \
  LWR("ra", "a1", "gp")                                                                             \
  D4(E, OP, "t3", "t0", "sp") D4(E, OP, "t4", "t1", "sp") D4(E, OP, "t5", "t2", "sp") D4(E, OP, "t6", "tp", "sp")
/* column 4 of a step (its B_4 in Y, dot E4) with the next step's loads and columns 0-3 (its even
 * B_j in X, odd in Y): 29 instructions, loads in the odd slots */
#define MK4X5_NEXT(E4, E, OP, X, Y)                                                                  \
  D4(E4, OP, "a4", "t0", Y) LWR(X, "a1", "a2") D4(E4, OP, "a5", "t1", Y) LWR("t0", "a0", "a2")     \
  D4(E4, OP, "a6", "t2", Y) LWR("t1", "a0", "a2") D4(E4, OP, "a7", "tp", Y) LWR("t2", "a0", "a2")   \
  D4(E, OP, "s0", "t0", X) LWR("tp", "a0", "a3") D4(E, OP, "s1", "t1", X) LWR(Y, "a1", "a2")        \
  D4(E, OP, "s2", "t2", X) D4(E, OP, "s3", "tp", X)                                                 \
  D4(E, OP, "s4", "t0", Y) LWR(X, "a1", "a2") D4(E, OP, "s5", "t1", Y) D4(E, OP, "s6", "t2", Y)     \
  D4(E, OP, "s7", "tp", Y) LWR(Y, "a1", "a2")                                                       \
  D4(E, OP, "s8", "t0", X) D4(E, OP, "s9", "t1", X) D4(E, OP, "s10", "t2", X) D4(E, OP, "s11", "tp", X) \
  D4(E, OP, "t3", "t0", Y) LWR(X, "a1", "gp") D4(E, OP, "t4", "t1", Y) D4(E, OP, "t5", "t2", Y)     \
  D4(E, OP, "t6", "tp", Y)
/* column 4 of the last step, its B_4 in Y */
#define MK4X5_LAST(E, OP, Y)                                                                         \
  D4(E, OP, "a4", "t0", Y) D4(E, OP, "a5", "t1", Y) D4(E, OP, "a6", "t2", Y) D4(E, OP, "a7", "tp", Y)
/* requant of one accumulator: t1 = mul, t2 = addc, tp = sh, ra = hi */
#define RQ1T(CL, x) "mul " x ", " x ", t1\n\t" PULP_ASM_R("0x5B, 2, 0x20", x, "t2", "tp") PULP_ASM_R(CL, x, x, "ra")
/* one output row of the 4x5 block at a3, then a3 += N (gp) */
#define RQROW5(CL, c0, c1, c2, c3, c4)                                                                \
  RQ1T(CL, c0) RQ1T(CL, c1) RQ1T(CL, c2) RQ1T(CL, c3) RQ1T(CL, c4)                                  \
  "sb " c1 ", 1(a3)\n\tsb " c2 ", 2(a3)\n\tsb " c3 ", 3(a3)\n\tsb " c4 ", 4(a3)\n\t"                      \
  P_SB_INC(c0, "a3", "gp")
/* after the loop (state: a step of even parity with columns 0-3 done), (n4 - 2) even: column 4;
 * odd: one more step, then column 4 */
#define MK4X5_TAIL0(E, OP) MK4X5_LAST(E, OP, "sp")
#define MK4X5_TAIL1(E, OP) MK4X5_NEXT(E, E, OP, "ra", "sp") MK4X5_LAST(E, OP, "ra")
#define MK4X5_RQ_BODY(E, E0, OP, CL, TAIL)                                                            \
  __asm__ volatile("sw sp, 36(a0)\n\tcsrw mscratch, a0\n\t"                                         \
                   "lw a1, 4(a0)\n\tlw a2, 8(a0)\n\tlw a3, 56(a0)\n\tlw gp, 60(a0)\n\tlw a0, 0(a0)\n" \
                   ".Lg5_top%=:\n\t"                                                                \
                   MK4X5_FIRST(E0, OP) MK4X5_NEXT(E0, E, OP, "sp", "ra")                            \
                   "srli ra, a2, 3\n\taddi ra, ra, -1\n\t"                                          \
                   PULP_HWLOOP_BEGIN(0, "ra", 58)                                                   \
                   MK4X5_NEXT(E, E, OP, "ra", "sp") MK4X5_NEXT(E, E, OP, "sp", "ra")                \
                   PULP_HWLOOP_END(0, 58)                                                           \
                   TAIL(E, OP)                                                                      \
                   "csrr t0, mscratch\n\t"                                                          \
                   "lw a3, 28(t0)\n\tlw t1, 12(t0)\n\tlw t2, 16(t0)\n\tlw tp, 20(t0)\n\t"            \
                   "lw ra, 24(t0)\n\tlw gp, 32(t0)\n\taddi sp, a3, 5\n\tsw sp, 28(t0)\n\t"          \
                   RQROW5(CL, "s0", "s4", "s8", "t3", "a4") RQROW5(CL, "s1", "s5", "s9", "t4", "a5") \
                   RQROW5(CL, "s2", "s6", "s10", "t5", "a6") RQROW5(CL, "s3", "s7", "s11", "t6", "a7") \
                   "lw t1, 44(t0)\n\tlw a3, 56(t0)\n\tlw gp, 60(t0)\n\tslli t2, a2, 2\n\t"           \
                   "add a1, a1, t2\n\tsub a0, a0, a2\n\tbne sp, t1, .Lg5_top%=\n\t"                 \
                   "lw sp, 36(t0)\n\t"                                                              \
                   ".option push\n\t.option norelax\n\tla gp, __global_pointer$\n\t.option pop\n\t" \
                   "csrr tp, mhartid\n\tandi tp, tp, 0x1f\n\t"                                      \
                   : "+r"(ra0)                                                                      \
                   :                                                                                \
                   : "memory", "ra", "t0", "t1", "t2", "t3", "t4", "t5", "t6", "s0", "s1", "s2", "s3", \
                     "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "a1", "a2", "a3", "a4", "a5", "a6", "a7")
#define MK4X5_RQ_EVEN(E, E0, OP, CL) MK4X5_RQ_BODY(E, E0, OP, CL, MK4X5_TAIL0)
#define MK4X5_RQ_ODD(E, E0, OP, CL) MK4X5_RQ_BODY(E, E0, OP, CL, MK4X5_TAIL1)

/* prm: the parameter block of MK4X5_RQ_BODY; K % 4 == 0, K >= 16 (n4 >= 4: at least one loop
 * iteration); odd: n4 is odd */
DK_INLINE void mk4x5_rq_row(int mode, int clipu, int odd, int32_t *prm) {
  register int32_t *ra0 __asm__("a0") = prm;
  if (odd) RQ_DISPATCH(MK4X5_RQ_ODD);
  else RQ_DISPATCH(MK4X5_RQ_EVEN);
}

/* The requantised 4x4 block at A rows pa (K apart) x B^T rows pb (K apart); K % 4 == 0, K >= 8;
 * prm = {mul, addc, sh, hi, y, N} with y the block's first output. clipu: [0, hi], else
 * [-hi - 1, hi]. */
DK_INLINE void mk4x4_rq(int mode, int clipu, const uint8_t *pa, const uint8_t *pb, uint32_t K, const int32_t *prm) {
  register const uint8_t *ra0 __asm__("a0") = pa;
  register const uint8_t *ra1 __asm__("a1") = pb;
  register int32_t ra2 __asm__("a2") = (int32_t)K;
  register int32_t ra3 __asm__("a3") = 4 - 3 * (int32_t)K;
  register uint32_t ra4 __asm__("a4") = (K >> 2) - 1;
  register const int32_t *ra5 __asm__("a5") = prm;
  RQ_DISPATCH(MK4X4_RQ_BODY);
}
#endif

#ifndef DSIM_NO_XPULP
/* One row against 4 B^T rows (K bytes apart) over n4 words of K: the B pointer walks the 4 rows
 * with register post-increments (+K three times, then +4-3K back to the next word of row 0).
 * Body: 5 loads + 4 dot products = 16 MACs in 9 instructions; each loaded word is first used
 * >= 2 instructions later except the last B word (3 later). */
#define MK1X4_BODY(ENC, OP)                                                                      \
  __asm__ volatile(PULP_HWLOOP_BEGIN(0, "%[n]", 9)                                               \
                   PULP_ASM_LW_POSTINC("t0", "%[pa]", 4)                                         \
                   LWR("t1", "%[pb]", "%[k]") LWR("t2", "%[pb]", "%[k]")                         \
                   LWR("t3", "%[pb]", "%[k]") LWR("t4", "%[pb]", "%[back]")                      \
                   D4(ENC, OP, "%[c0]", "t0", "t1") D4(ENC, OP, "%[c1]", "t0", "t2")             \
                   D4(ENC, OP, "%[c2]", "t0", "t3") D4(ENC, OP, "%[c3]", "t0", "t4")             \
                   PULP_HWLOOP_END(0, 9)                                                         \
                   : [c0] "+r"(c[0]), [c1] "+r"(c[1]), [c2] "+r"(c[2]), [c3] "+r"(c[3]),        \
                     [pa] "+r"(pa), [pb] "+r"(pb)                                                \
                   : [n] "r"(n4), [k] "r"(K), [back] "r"(back)                                   \
                   : "memory", "t0", "t1", "t2", "t3", "t4")

/* c[j] += row pa . B^T row j (pb + j*K) over n4 >= 1 words */
DK_INLINE void mk1x4_hwloop(int mode, const uint8_t *pa, const uint8_t *pb, uint32_t K, uint32_t n4, int32_t *c) {
  const int32_t back = 4 - 3 * (int32_t)K;
  switch (mode) {
  case MODE_SS: MK1X4_BODY(ENC_SS, OP_AB); break;
  case MODE_US: MK1X4_BODY(ENC_US, OP_AB); break;
  case MODE_SU: MK1X4_BODY(ENC_US, OP_BA); break;
  default: MK1X4_BODY(ENC_UU, OP_AB); break;
  }
}
#endif

/* c[j] = row a . B^T row j (p0 + j*K) over all of K, j < 4 */
DK_INLINE void dot1x4(int mode, const uint8_t *a, const uint8_t *p0, uint32_t K, int32_t *c) {
  const uint8_t *p1 = p0 + K, *p2 = p1 + K, *p3 = p2 + K;
  c[0] = c[1] = c[2] = c[3] = 0;
  uint32_t k = 0;
#ifndef DSIM_NO_XPULP
  if (K >= 4) {
    mk1x4_hwloop(mode, a, p0, K, K >> 2, c);
    k = K & ~3u;
  }
#endif
  for (; k + 4 <= K; k += 4) {
    const uint32_t x = dk_lw(a + k);
    c[0] = dot4(mode, c[0], x, dk_lw(p0 + k));
    c[1] = dot4(mode, c[1], x, dk_lw(p1 + k));
    c[2] = dot4(mode, c[2], x, dk_lw(p2 + k));
    c[3] = dot4(mode, c[3], x, dk_lw(p3 + k));
  }
  for (; k < K; k++) {
    c[0] += mul1(mode, a + k, p0 + k);
    c[1] += mul1(mode, a + k, p1 + k);
    c[2] += mul1(mode, a + k, p2 + k);
    c[3] += mul1(mode, a + k, p3 + k);
  }
}

/* Row a (output row m) times B^T rows n..n+3; the epilogue takes the last ncols of the 4 columns. */
DK_INLINE void row4(int mode, int epi, const batch_t *bt, const uint8_t *a, uint32_t m, uint32_t n, uint32_t ncols) {
  int32_t c[4], out[16];
  dot1x4(mode, a, bt->B + n * bt->g->K, bt->g->K, c);
  for (uint32_t j = 0; j < 4; j++) out[j * 4] = c[j];
  epilogue(epi, bt, m, 1, n + 4 - ncols, ncols, out + (4 - ncols) * 4);
}

/* core * n / nc (< n): this core's start point among n, evenly spread over the nc cores of the
 * fork (a shift for a power-of-two fork) */
DK_INLINE uint32_t spread(uint32_t n, uint32_t nc) {
  const uint32_t c = DK_CORE_ID();
  return c < nc ? dk_div_p2(c * n, nc) : 0;
}

#ifndef DSIM_NO_XPULP
/* The fused-requant blocks (mk4x5_rq_row, mk4x4_rq) of nrb row blocks of 4 from row m0 over
 * columns n0..n1-1, when the parameters allow them (B transposed, K % 4 == 0, K >= 8, per-tensor
 * requant to 8 bits with out_off = 0 and a symmetric or [0, hi] clamp, Y rows word aligned).
 * Returns the first column not done (n0 when nothing was done); whole: all columns or nothing. */
DK_INLINE uint32_t fused_rq8(int mode, const batch_t *bt, uint32_t m0, uint32_t nrb, uint32_t n0, uint32_t n1, int whole) {
  const dk_gemm_args_t *g = bt->g;
  const uint32_t K = g->K, N = g->N, n4 = K >> 2;
  const dk_rq_t *q = &g->rq;
  const int32_t ms2 = q->mul_s[2], ms3 = q->mul_s[3], as2 = q->add ? q->add_s[2] : 0, as3 = q->add ? q->add_s[3] : 0;
  const int32_t lo = q->lo, hi = q->hi, sh = q->log2d;
  uint8_t *y = (uint8_t *)g->Y + bt->ybase + m0 * N;
  const int clipu = lo == 0;
  if (!g->trans_b || (K & 3u) != 0 || K < 8 || n1 - n0 < 4 || (ms2 | ms3 | as2 | as3) != 0 || q->out_off != 0 ||
      !(lo == 0 || lo == -hi - 1) || hi < 0 || sh < 0 || sh >= 32 || (((uintptr_t)y | N | n0) & 3u) != 0)
    return n0;
  /* 4x5 blocks first, as many as leave a multiple of 4 columns for the 4x4 blocks (K >= 16: the
   * 4x5 loop runs at least once) */
  const uint32_t w = n1 - n0;
  uint32_t f5 = w < 65536u ? (w * 52429u) >> 18 : w / 5; /* w / 5 (exact below 81920) */
  while (f5 > 0 && ((w - 5 * f5) & 3u) != 0) f5--;
  if (n4 < 4) f5 = 0;
  const uint32_t nq4 = (w - 5 * f5) >> 2;
  if (whole && 5 * f5 + 4 * nq4 != w) return n0;
  const int32_t mv = q->mul[bt->mbase], rnd = sh > 0 ? 1 << (sh - 1) : 0;
  const int32_t addc = q->in_off * mv + (q->add ? q->add[bt->abase] : 0) + rnd;
  /* blocks f..f5-1, then 0..f-1 (and quads from first4 on): the cores start evenly spread over the
   * row, so that they neither read the same B^T rows nor write their output rows (all in the same
   * banks when N is a multiple of 64) in the same banks at the same time */
  uint32_t nc = DK_NCORES();
  if (nc == 0) nc = 1;
  const uint32_t f = spread(f5, nc), first4 = spread(nq4, nc);
  const uint8_t *bn = bt->B + n0 * K, *bq = bn + 5 * f5 * K;
  const int odd = n4 & 1u;
  int32_t p5[16], prm[6] = {mv, addc, sh, hi, 0, (int32_t)N};
  if (f5) {
    p5[2] = (int32_t)K;
    p5[3] = mv;
    p5[4] = addc;
    p5[5] = sh;
    p5[6] = hi;
    p5[8] = (int32_t)N;
    p5[14] = 4 - 3 * (int32_t)K;
    p5[15] = 4 - 4 * (int32_t)K;
  }
  const uint8_t *a = bt->A + m0 * K;
  for (uint32_t rb = 0; rb < nrb; rb++, a += 4 * K, y += 4 * N) {
    uint8_t *yn = y + n0;
    if (f5) {
      p5[0] = (int32_t)(uintptr_t)a;
      p5[1] = (int32_t)(uintptr_t)(bn + 5 * f * K);
      p5[7] = (int32_t)(uintptr_t)(yn + 5 * f);
      p5[11] = (int32_t)(uintptr_t)(yn + 5 * f5);
      mk4x5_rq_row(mode, clipu, odd, p5);
      if (f) {
        p5[1] = (int32_t)(uintptr_t)bn;
        p5[7] = (int32_t)(uintptr_t)yn;
        p5[11] = (int32_t)(uintptr_t)(yn + 5 * f);
        mk4x5_rq_row(mode, clipu, odd, p5);
      }
    }
    for (uint32_t j = 0; j < nq4; j++) {
      const uint32_t qd = first4 + j < nq4 ? first4 + j : first4 + j - nq4;
      prm[4] = (int32_t)(uintptr_t)(yn + 5 * f5 + qd * 4);
      mk4x4_rq(mode, clipu, a, bq + qd * 4 * K, K, prm);
    }
  }
  return n0 + 5 * f5 + 4 * nq4;
}
#endif

/* Rows m0..m0+nr-1 (nr <= 4) x columns n0..n1-1 of one batch, 8-bit fast path. */
DK_INLINE void block8(int mode, int epi, const batch_t *bt, uint32_t m0, uint32_t nr, uint32_t n0, uint32_t n1) {
  const dk_gemm_args_t *g = bt->g;
  const uint32_t K = g->K, N = g->N;
  const int tb = g->trans_b;
  const uint8_t *ar[4];
  for (uint32_t r = 0; r < 4; r++) ar[r] = bt->A + (m0 + (r < nr ? r : 0)) * K;
  uint32_t n = n0;
  if (tb && nr < 4) {
    /* fewer than 4 rows (M = 1 decode GEMMs, M % 4 edges): one row at a time against 4 columns,
     * instead of computing the 4-row block with repeated rows */
    for (uint32_t r = 0; r < nr; r++) {
      uint32_t nn = n0;
      for (; nn + 4 <= n1; nn += 4) row4(mode, epi, bt, ar[r], m0 + r, nn, 4);
      /* 1 to 3 last columns: the quad ending at n1 when there is one (its first columns are
       * recomputed and dropped), else one column at a time */
      if (nn < n1 && n1 - n0 >= 4) row4(mode, epi, bt, ar[r], m0 + r, n1 - 4, n1 - nn);
      else
        for (; nn < n1; nn++) {
          const uint8_t *pa = ar[r], *p0 = bt->B + nn * K;
          int32_t c[1] = {0};
          uint32_t k = 0;
          for (; k + 4 <= K; k += 4) c[0] = dot4(mode, c[0], dk_lw(pa + k), dk_lw(p0 + k));
          for (; k < K; k++) c[0] += mul1(mode, pa + k, p0 + k);
          epilogue(epi, bt, m0 + r, 1, nn, 1, c);
        }
    }
    return;
  }
#ifndef DSIM_NO_XPULP
  if (tb && nr == 4 && K >= 4) {
    int nq_done = 0;
    /* column quads, starting at a core-dependent quad so that the cores do not all read the
     * same B^T words (same TCDM banks) in the same cycles */
    const uint32_t n4 = K >> 2, nq = (n1 - n) / 4;
    uint32_t first = DK_CORE_ID() * 3u;
    while (nq && first >= nq) first -= nq;
    if (epi == EPI_RQ8 && nq) {
      const uint32_t nf = fused_rq8(mode, bt, m0, 1, n, n1, 0);
      nq_done = nf != n;
      n = nf;
    }
    for (uint32_t j = 0; j < nq && !nq_done; j++) {
      const uint32_t qd = first + j < nq ? first + j : first + j - nq, nn = n + qd * 4;
      int32_t out[16];
      const uint8_t *pa = ar[0], *pb = bt->B + nn * K;
      mk4x4_hwloop(mode, &pa, &pb, K, n4, out);
      for (uint32_t k = n4 * 4; k < K; k++) /* K % 4 remainder */
        for (uint32_t c = 0; c < 4; c++)
          for (uint32_t r = 0; r < 4; r++) out[c * 4 + r] += mul1(mode, ar[r] + k, bt->B + (nn + c) * K + k);
      epilogue(epi, bt, m0, 4, nn, 4, out);
    }
    if (!nq_done) n += nq * 4;
  }
#endif
  for (; n + 2 <= n1; n += 2) {
    int32_t c[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    const uint8_t *pa[4] = {ar[0], ar[1], ar[2], ar[3]};
    const uint8_t *pb[2];
    uint32_t k = 0;
    if (tb) {
      pb[0] = bt->B + n * K;
      pb[1] = pb[0] + K;
#ifndef DSIM_NO_XPULP
      if (K >= 4) { /* rows past nr repeat row m0: valid memory, results dropped */
        mk4x2_hwloop(mode, pa, pb, K >> 2, c);
        k = K & ~3u;
      }
#endif
      for (; k + 4 <= K; k += 4) {
        uint32_t y0 = dk_lw(pb[0]), y1 = dk_lw(pb[1]);
        pb[0] += 4; pb[1] += 4;
        for (uint32_t r = 0; r < 4; r++) {
          uint32_t x = dk_lw(pa[r]);
          pa[r] += 4;
          c[r] = dot4(mode, c[r], x, y0);
          c[4 + r] = dot4(mode, c[4 + r], x, y1);
        }
      }
    } else {
      pb[0] = bt->B + n;
      pb[1] = pb[0] + 1;
      for (; k + 4 <= K; k += 4) {
        uint32_t y0 = packb(pb[0], N), y1 = packb(pb[1], N);
        pb[0] += 4 * N; pb[1] += 4 * N;
        for (uint32_t r = 0; r < 4; r++) {
          uint32_t x = dk_lw(pa[r]);
          pa[r] += 4;
          c[r] = dot4(mode, c[r], x, y0);
          c[4 + r] = dot4(mode, c[4 + r], x, y1);
        }
      }
    }
    const uint32_t bstep = tb ? 1 : N;
    for (; k < K; k++) {
      for (uint32_t r = 0; r < 4; r++) {
        c[r] += mul1(mode, pa[r], pb[0]);
        c[4 + r] += mul1(mode, pa[r], pb[1]);
        pa[r]++;
      }
      pb[0] += bstep; pb[1] += bstep;
    }
    epilogue(epi, bt, m0, nr, n, 2, c);
  }
  if (n < n1) { /* odd last column */
    int32_t c[4] = {0, 0, 0, 0};
    const uint8_t *pa[4] = {ar[0], ar[1], ar[2], ar[3]};
    const uint8_t *pb = tb ? bt->B + n * K : bt->B + n;
    uint32_t k = 0;
    for (; k + 4 <= K; k += 4) {
      uint32_t y;
      if (tb) { y = dk_lw(pb); pb += 4; } else { y = packb(pb, N); pb += 4 * N; }
      for (uint32_t r = 0; r < 4; r++) {
        c[r] = dot4(mode, c[r], dk_lw(pa[r]), y);
        pa[r] += 4;
      }
    }
    for (; k < K; k++) {
      for (uint32_t r = 0; r < 4; r++) c[r] += mul1(mode, pa[r]++, pb);
      pb += tb ? 1 : N;
    }
    epilogue(epi, bt, m0, nr, n, 1, c);
  }
}

typedef void (*block_fn)(const batch_t *, uint32_t, uint32_t, uint32_t, uint32_t);
/* Rows m0..m0+nr-1 (any nr: dk_gemm hands a core's consecutive row blocks over in one call) x
 * columns n0..n1-1: the fused-requant blocks for all whole row blocks at once when they apply (their
 * set-up once), else block8 per 4 rows. */
DK_INLINE void block8_rows(int mode, int epi, const batch_t *bt, uint32_t m0, uint32_t nr, uint32_t n0, uint32_t n1) {
  if (nr <= 4) {
    block8(mode, epi, bt, m0, nr, n0, n1);
    return;
  }
  uint32_t m = m0;
#ifndef DSIM_NO_XPULP
  if (epi == EPI_RQ8 && fused_rq8(mode, bt, m0, nr >> 2, n0, n1, 1) != n0) m += nr & ~3u;
#endif
  for (; m < m0 + nr; m += 4) block8(mode, epi, bt, m, m0 + nr - m < 4 ? m0 + nr - m : 4, n0, n1);
}

#define BLOCK8(name, mode, epi) \
  static void name(const batch_t *bt, uint32_t m0, uint32_t nr, uint32_t n0, uint32_t n1) { block8_rows(mode, epi, bt, m0, nr, n0, n1); }
BLOCK8(b8_ss_gen, MODE_SS, EPI_GEN)
BLOCK8(b8_us_gen, MODE_US, EPI_GEN)
BLOCK8(b8_su_gen, MODE_SU, EPI_GEN)
BLOCK8(b8_uu_gen, MODE_UU, EPI_GEN)
BLOCK8(b8_ss_rq8, MODE_SS, EPI_RQ8)
BLOCK8(b8_us_rq8, MODE_US, EPI_RQ8)
BLOCK8(b8_su_rq8, MODE_SU, EPI_RQ8)
BLOCK8(b8_uu_rq8, MODE_UU, EPI_RQ8)
BLOCK8(b8_ss_i32, MODE_SS, EPI_I32)
BLOCK8(b8_us_i32, MODE_US, EPI_I32)
BLOCK8(b8_su_i32, MODE_SU, EPI_I32)
BLOCK8(b8_uu_i32, MODE_UU, EPI_I32)
BLOCK8(b8_ss_rq32, MODE_SS, EPI_RQ32)
BLOCK8(b8_us_rq32, MODE_US, EPI_RQ32)
BLOCK8(b8_su_rq32, MODE_SU, EPI_RQ32)
BLOCK8(b8_uu_rq32, MODE_UU, EPI_RQ32)
/* [epilogue][mode] */
static const block_fn BLOCK8_FNS[4][4] = {
    {b8_ss_gen, b8_us_gen, b8_su_gen, b8_uu_gen},
    {b8_ss_rq8, b8_us_rq8, b8_su_rq8, b8_uu_rq8},
    {b8_ss_i32, b8_us_i32, b8_su_i32, b8_uu_i32},
    {b8_ss_rq32, b8_us_rq32, b8_su_rq32, b8_uu_rq32},
};

/* Any types, transposes and offsets: one output at a time. */
static void block_generic(const batch_t *bt, uint32_t m0, uint32_t nr, uint32_t n0, uint32_t n1) {
  const dk_gemm_args_t *g = bt->g;
  const uint32_t K = g->K, M = g->M, N = g->N;
  for (uint32_t m = m0; m < m0 + nr; m++) {
    for (uint32_t n = n0; n < n1; n++) {
      int32_t acc = 0;
      for (uint32_t k = 0; k < K; k++) {
        uint32_t ia = g->trans_a ? k * M + m : m * K + k;
        uint32_t ib = g->trans_b ? n * K + k : k * N + n;
        acc += (dk_ld(bt->A, ia, g->a_type) + g->a_off) * (dk_ld(bt->B, ib, g->b_type) + g->b_off);
      }
      finish(bt, m, n, acc);
    }
  }
}

/* ---- decode GEMV: one row (M = 1, one batch) times a transposed 8-bit B, requant or int32 out.
 * The cores share out the N / 4 column quads; the N % 4 last columns are the quad ending at N,
 * done by the core holding the last quad (its first columns are recomputed, not stored). B is
 * read where it is: the compiler's tiles bring it to L1 (the kernel never streams on its own). */

/* log2 of the fork size when it is a power of two (up to 8 cores), else -1: the per-call
 * divisions by it cost ~30 cycles each */
DK_INLINE int log2_cores(uint32_t nc) {
  return (nc & (nc - 1)) || nc > 8 ? -1 : (nc >= 2) + (nc >= 4) + (nc >= 8);
}

DK_INLINE void gemv(int mode, int epi, const dk_gemm_args_t *g) {
  const uint32_t K = g->K, N = g->N, Q = N / 4, qb = 4 * K; /* bytes of one quad of B^T rows */
  /* this core's quads [qs, qe): contiguous shares, the first ones larger (dk_split) */
  const uint32_t nc = DK_NCORES() ? DK_NCORES() : 1, core = DK_CORE_ID();
  const int l2c = log2_cores(nc);
  const uint32_t qn = l2c >= 0 ? Q >> l2c : Q / nc, qr = l2c >= 0 ? Q & (nc - 1) : Q % nc;
  uint32_t qs = core * qn + (core < qr ? core : qr), qe = qs + qn + (core < qr ? 1 : 0);
  if (core >= nc) qs = qe = Q;
  const uint32_t nreg = qe - qs, tail = qe == Q && nreg ? N % 4 : 0, cnt = nreg + (tail ? 1 : 0);
  const uint8_t *B = (const uint8_t *)g->B;
  /* item i: the quad starting at column 4 * (qs + i), or the tail quad at N - 4 */
#define GV_START(i) ((i) < nreg ? 4 * (qs + (i)) : N - 4)
  /* requant parameters in locals: stores through Y may alias anything the compiler cannot see */
  const dk_rq_t *q = &g->rq;
  const int32_t zero = 0;
  const int32_t *mul = q->mul, *add = q->add ? q->add : &zero;
  const int32_t ms = q->mul_s[3], as = q->add ? q->add_s[3] : 0, sh = q->log2d;
  const int32_t rnd = sh > 0 ? 1 << (sh - 1) : 0, in_off = q->in_off, out_off = q->out_off, lo = q->lo, hi = q->hi;
  /* per-tensor parameters loaded once (the constants may lie in L2: 15 cycles a load) */
  const int32_t mv0 = epi != EPI_I32 && mul ? mul[0] : 0, av0 = add[0];
  const uint8_t *A = (const uint8_t *)g->A;
  void *Y = g->Y;
  const int32_t *Cb = g->C, beta = g->beta, ccs = g->c_cs;
  const uint8_t *pb = B + (cnt ? GV_START(0) : 0) * K;
  for (uint32_t i = 0; i < cnt; i++, pb += qb) {
    if (i == nreg) pb = B + (N - 4) * K;
    const uint32_t n = GV_START(i), j0 = i < nreg ? 0 : 4 - tail;
    int32_t c[4];
    dot1x4(mode, A, pb, K, c);
    if (Cb) /* bias (alpha = 1): beta * C[0, n] */
      for (uint32_t j = j0; j < 4; j++) c[j] += beta * Cb[(int32_t)(n + j) * ccs];
    for (uint32_t j = j0; j < 4; j++) {
      if (epi == EPI_I32) {
        ((int32_t *)Y)[n + j] = c[j];
        continue;
      }
      const int32_t ci = (int32_t)(n + j);
      const int32_t v = (((c[j] + in_off) * (ms ? mul[ci * ms] : mv0) + (as ? add[ci * as] : av0) + rnd) >> sh) + out_off;
      st_rq(epi, Y, n + j, dk_min(dk_max(v, lo), hi));
    }
  }
#undef GV_START
}

typedef void (*gemv_fn)(const dk_gemm_args_t *);
/* pfx_FNS[epilogue - 1][mode]: the 12 instances of fn(mode, epi, g) without the generic epilogue */
#define GEMV_INSTANCES(pfx, fn)                                                                     \
  static void pfx##_ss_rq8(const dk_gemm_args_t *g) { fn(MODE_SS, EPI_RQ8, g); }                  \
  static void pfx##_us_rq8(const dk_gemm_args_t *g) { fn(MODE_US, EPI_RQ8, g); }                  \
  static void pfx##_su_rq8(const dk_gemm_args_t *g) { fn(MODE_SU, EPI_RQ8, g); }                  \
  static void pfx##_uu_rq8(const dk_gemm_args_t *g) { fn(MODE_UU, EPI_RQ8, g); }                  \
  static void pfx##_ss_i32(const dk_gemm_args_t *g) { fn(MODE_SS, EPI_I32, g); }                  \
  static void pfx##_us_i32(const dk_gemm_args_t *g) { fn(MODE_US, EPI_I32, g); }                  \
  static void pfx##_su_i32(const dk_gemm_args_t *g) { fn(MODE_SU, EPI_I32, g); }                  \
  static void pfx##_uu_i32(const dk_gemm_args_t *g) { fn(MODE_UU, EPI_I32, g); }                  \
  static void pfx##_ss_rq32(const dk_gemm_args_t *g) { fn(MODE_SS, EPI_RQ32, g); }                \
  static void pfx##_us_rq32(const dk_gemm_args_t *g) { fn(MODE_US, EPI_RQ32, g); }                \
  static void pfx##_su_rq32(const dk_gemm_args_t *g) { fn(MODE_SU, EPI_RQ32, g); }                \
  static void pfx##_uu_rq32(const dk_gemm_args_t *g) { fn(MODE_UU, EPI_RQ32, g); }                \
  static const gemv_fn pfx##_FNS[3][4] = {                                                        \
      {pfx##_ss_rq8, pfx##_us_rq8, pfx##_su_rq8, pfx##_uu_rq8},                                   \
      {pfx##_ss_i32, pfx##_us_i32, pfx##_su_i32, pfx##_uu_i32},                                   \
      {pfx##_ss_rq32, pfx##_us_rq32, pfx##_su_rq32, pfx##_uu_rq32},                               \
  };
GEMV_INSTANCES(gv, gemv)

/* Kind of the GEMM: 1 for the 8-bit fast paths (with *mode = MODE_*), 0 for the generic loop;
 * *epi = EPI_*; with_c: a bias C (beta * C) is added by the caller before the epilogue */
DK_INLINE int gemm_kind_c(const dk_gemm_args_t *g, int *mode, int *epi, int with_c) {
  *mode = (g->a_type == DK_U8 ? 1 : 0) + (g->b_type == DK_U8 ? 2 : 0);
  *epi = EPI_GEN;
  if (g->alpha == 1 && (with_c || !g->C)) {
    const int y32 = g->y_type == DK_I32 || g->y_type == DK_U32;
    if (g->rq.mul && dk_is8(g->y_type)) *epi = EPI_RQ8;
    else if (g->rq.mul && y32) *epi = EPI_RQ32;
    else if (!g->rq.mul && y32) *epi = EPI_I32;
  }
  return dk_is8(g->a_type) && dk_is8(g->b_type) && !g->trans_a && g->a_off == 0 && g->b_off == 0;
}

DK_INLINE int gemm_kind(const dk_gemm_args_t *g, int *mode, int *epi) {
  return gemm_kind_c(g, mode, epi, 0);
}

/* c[j] = row a . column n + j of a K x N B (b points at B[0][n]), j < 4: per 4 k, the 4 B rows'
 * words (4 columns each) are transposed into 4 column words with 4 pv.shuffle2.b, 2 pv.pack.h and
 * 2 pv.shuffle2.h, then 4 dot products (~21 instructions per 16 MACs, against ~57 packing bytes) */
DK_INLINE void dot1x4_kn(int mode, const uint8_t *a, const uint8_t *b, uint32_t N, uint32_t K, int32_t *c) {
  int32_t c0 = 0, c1 = 0, c2 = 0, c3 = 0;
  uint32_t k = 0;
  for (; k + 4 <= K; k += 4, b += 4 * N) {
    const int32_t w0 = (int32_t)dk_lw_any(b), w1 = (int32_t)dk_lw_any(b + N), w2 = (int32_t)dk_lw_any(b + 2 * N), w3 = (int32_t)dk_lw_any(b + 3 * N);
    const uint32_t x = dk_lw_any(a + k);
    const int32_t u01lo = pv_shuffle2_b(w0, w1, 0x05010400), u01hi = pv_shuffle2_b(w0, w1, 0x07030602);
    const int32_t u23lo = pv_shuffle2_b(w2, w3, 0x05010400), u23hi = pv_shuffle2_b(w2, w3, 0x07030602);
    c0 = dot4(mode, c0, x, (uint32_t)pv_pack_h(u23lo, u01lo));
    c1 = dot4(mode, c1, x, (uint32_t)pv_shuffle2_h(u01lo, u23lo, 0x00030001));
    c2 = dot4(mode, c2, x, (uint32_t)pv_pack_h(u23hi, u01hi));
    c3 = dot4(mode, c3, x, (uint32_t)pv_shuffle2_h(u01hi, u23hi, 0x00030001));
  }
  for (; k < K; k++, b += N) {
    c0 += mul1(mode, a + k, b);
    c1 += mul1(mode, a + k, b + 1);
    c2 += mul1(mode, a + k, b + 2);
    c3 += mul1(mode, a + k, b + 3);
  }
  c[0] = c0;
  c[1] = c1;
  c[2] = c2;
  c[3] = c3;
}

/* Batched M = 1 GEMMs (decode attention: scores = q . K^T with K = head size, context = p . V
 * with B as K x N): (batch, column quad) items over the cores, one row against 4 columns each;
 * the N % 4 last columns are the quad ending at N (first columns dropped), N < 4 column by column
 * through a zero-padded quad. The 4-row blocks of the general path would repeat the one row. */
DK_INLINE void gemv_batched(int mode, int epi, const dk_gemm_args_t *g) {
  const uint32_t B0 = g->batch[0] ? g->batch[0] : 1, B1 = g->batch[1] ? g->batch[1] : 1, N = g->N, K = g->K;
  const uint32_t nq = (N + 3) / 4, items = B0 * B1 * nq;
  uint32_t s, e;
  dk_split(items, &s, &e);
  if (s >= e) return;
  /* requant parameters in locals (stores through Y may alias anything) */
  const dk_rq_t *q = &g->rq;
  const int32_t zero = 0;
  const int32_t *mul = q->mul ? q->mul : &zero, *add = q->add ? q->add : &zero;
  const int32_t ms0 = q->mul_s[0], ms1 = q->mul_s[1], ms3 = q->mul_s[3];
  const int32_t as0 = q->add ? q->add_s[0] : 0, as1 = q->add ? q->add_s[1] : 0, as3 = q->add ? q->add_s[3] : 0;
  const int32_t sh = q->log2d, rnd = sh > 0 ? 1 << (sh - 1) : 0, in_off = q->in_off, out_off = q->out_off, lo = q->lo, hi = q->hi;
  const int32_t abs0 = g->a_bs[0], abs1 = g->a_bs[1], bbs0 = g->b_bs[0], bbs1 = g->b_bs[1];
  const int tb = g->trans_b;
  void *Y = g->Y;
  uint32_t b = dk_div_p2(s, nq), qd = s - b * nq;
  uint32_t b0 = dk_div_p2(b, B1), b1 = b - b0 * B1;
  const uint8_t *A = 0, *Bm = 0;
  int32_t mb = 0, ab = 0, mv = 0, av = 0;
  const int pert = ms3 == 0 && as3 == 0 && epi != EPI_I32; /* parameters constant along N */
  uint32_t cur = 0xFFFFFFFFu;
  for (uint32_t t = s; t < e; t++) {
    if (t > s && ++qd == nq) {
      qd = 0;
      b++;
      if (++b1 == B1) {
        b1 = 0;
        b0++;
      }
    }
    if (b != cur) {
      cur = b;
      A = (const uint8_t *)g->A + ((int32_t)b0 * abs0 + (int32_t)b1 * abs1);
      Bm = (const uint8_t *)g->B + ((int32_t)b0 * bbs0 + (int32_t)b1 * bbs1);
      mb = (int32_t)b0 * ms0 + (int32_t)b1 * ms1;
      ab = (int32_t)b0 * as0 + (int32_t)b1 * as1;
      if (pert) { /* the constants may lie in L2: one load per batch, not per output */
        mv = mul[mb];
        av = add[ab];
      }
    }
    int32_t c[4];
    uint32_t n, j0 = 0, nc = 4;
    if (N >= 4) {
      n = 4 * qd + 4 <= N ? 4 * qd : N - 4;
      j0 = 4 * qd - n;
      if (tb) dot1x4(mode, A, Bm + n * K, K, c);
      else dot1x4_kn(mode, A, Bm + n, N, K, c);
    } else {
      n = 0;
      nc = N;
      for (uint32_t j = 0; j < N; j++) {
        int32_t acc = 0;
        for (uint32_t k = 0; k < K; k++) acc += mul1(mode, A + k, tb ? Bm + j * K + k : Bm + k * N + j);
        c[j] = acc;
      }
    }
    const uint32_t yb = b * N + n;
    for (uint32_t j = j0; j < nc; j++) {
      if (epi == EPI_I32) {
        ((int32_t *)Y)[yb + j] = c[j];
        continue;
      }
      const int32_t nj = (int32_t)(n + j);
      const int32_t m1 = pert ? mv : mul[mb + nj * ms3], a1 = pert ? av : add[ab + nj * as3];
      const int32_t v = (((c[j] + in_off) * m1 + a1 + rnd) >> sh) + out_off;
      st_rq(epi, Y, yb + j, dk_min(dk_max(v, lo), hi));
    }
  }
}

GEMV_INSTANCES(bg, gemv_batched)

/* Runs the GEMM as a decode GEMV when it is one (returns 1), else returns 0. */
static int try_gemv(const dk_gemm_args_t *g) {
  int mode, epi;
  if (!gemm_kind_c(g, &mode, &epi, 1)) return 0; /* a bias C is added in gemv() */
  const uint32_t B0 = g->batch[0] ? g->batch[0] : 1, B1 = g->batch[1] ? g->batch[1] : 1;
  if (epi == EPI_GEN || g->M != 1 || B0 * B1 != 1 || !g->trans_b || g->N < 4 || g->K == 0) return 0;
  gv_FNS[epi - 1][mode](g);
  return 1;
}

static uint32_t esize(uint32_t t) { return t <= DK_U8 ? 1 : t <= DK_U16 ? 2 : 4; }

void dk_gemm(void *args) {
  /* the GEMV path reads args in L1 in place (it keeps what its loops need in registers): copying
   * the struct word by word would cost more than the whole set-up */
  const int args_l1 = dk_in_l1(args, sizeof(dk_gemm_args_t));
  if (args_l1 && try_gemv((const dk_gemm_args_t *)args)) return;
  /* a private copy on this core's stack (L1) when the args live in L2 (the inner code reads them
   * per block / per output) or when the B staging below rewrites B and trans_b; args in L1 are
   * read in place (the 51-word copy cost ~120 cycles per core and call) */
  dk_gemm_args_t gl;
  const dk_gemm_args_t *g = (const dk_gemm_args_t *)args;
  if (!args_l1 || (!g->trans_b && g->scratch)) {
    dk_args_load(&gl, args, sizeof gl);
    g = &gl;
  }
  if (!args_l1 && try_gemv(g)) return;
  int mode, epi;
  const int fast8 = gemm_kind(g, &mode, &epi);
  if (fast8 && epi != EPI_GEN && g->M == 1 && g->K > 0 && (g->batch[0] > 1 || g->batch[1] > 1) && (g->trans_b || !g->scratch)) {
    bg_FNS[epi - 1][mode](g);
    return;
  }
  int staged = 0; /* B transposed into the scratch */
  const uint32_t B0 = g->batch[0] ? g->batch[0] : 1, B1 = g->batch[1] ? g->batch[1] : 1;
  const uint32_t M = g->M, N = g->N;
  if (M == 0 || N == 0) return;
  const uint32_t mblk = (M + 3) / 4, nb = B0 * B1;
  uint32_t nc = DK_NCORES();
  if (nc == 0) nc = 1;
  /* column chunks (even widths) so that there are at least as many tasks as cores */
  uint32_t chunks = 1;
  if (nb * mblk < nc) {
    chunks = (nc + nb * mblk - 1) / (nb * mblk);
    uint32_t maxc = (N + 1) / 2;
    if (chunks > maxc) chunks = maxc;
  }
  uint32_t cw = N;
  if (chunks > 1) { /* (a division costs up to 35 cycles: none when there is one chunk) */
    cw = (N + chunks - 1) / chunks;
    cw = (cw + 1) & ~1u;
    chunks = (N + cw - 1) / cw;
  } else {
    cw = (N + 1) & ~1u;
  }

  const block_fn blk = fast8 ? BLOCK8_FNS[epi][mode] : block_generic;

  /* 8-bit B not transposed, scratch given and not used for staging: when every distinct B matrix
   * fits the scratch at its own offset, the cores transpose disjoint columns of them into it,
   * meet at a barrier, and all tasks run the transposed-B micro-kernels */
  if (blk != block_generic && !g->trans_b && g->scratch && !staged && g->b_bs[0] >= 0 && g->b_bs[1] >= 0) {
    const uint32_t nb0 = g->b_bs[0] ? B0 : 1, nb1 = g->b_bs[1] ? B1 : 1, K = g->K;
    const uint32_t ext = (nb0 - 1) * (uint32_t)g->b_bs[0] + (nb1 - 1) * (uint32_t)g->b_bs[1] + K * N;
    if (ext <= g->scratch_bytes && dk_in_l1(g->scratch, ext)) {
      uint32_t rs, re;
      dk_split_prep(nb0 * nb1 * N, &rs, &re);
      for (uint32_t row = rs; row < re; row++) {
        const uint32_t n = row % N, bi = row / N;
        const uint32_t off = (bi / nb1) * (uint32_t)g->b_bs[0] + (bi % nb1) * (uint32_t)g->b_bs[1];
        const uint8_t *src = (const uint8_t *)g->B + off + n;
        uint8_t *dst = (uint8_t *)g->scratch + off + n * K;
        for (uint32_t k = 0; k < K; k++, src += N) dst[k] = *src;
      }
      dk_barrier();
      gl.B = g->scratch;
      gl.trans_b = 1;
      staged = 1;
    }
  }
  /* 8-bit B not transposed, scratch given (and not used for staging): each core transposes the
   * B columns of its task into its own scratch slice (once per batch and column chunk) and runs
   * the transposed-B micro-kernels on it */
  dk_gemm_args_t gt;
  uint8_t *slice = 0;
  if (blk != block_generic && !g->trans_b && g->scratch && !staged) {
    const uint32_t slice_bytes = (g->scratch_bytes / nc) & ~3u;
    if (slice_bytes >= cw * g->K && dk_in_l1(g->scratch, g->scratch_bytes)) {
      slice = (uint8_t *)g->scratch + DK_CORE_ID() * slice_bytes;
      gt = *g;
      gt.trans_b = 1;
    }
  }
  const int merge = blk != block_generic && epi == EPI_RQ8 && g->trans_b;
  uint32_t last_key = 0xFFFFFFFFu;
  uint32_t s, e;
  dk_split(nb * mblk * chunks, &s, &e);
  const uint32_t ea = esize(g->a_type), eb = esize(g->b_type);
  /* task t = ((b0 * B1 + b1) * mblk + mb) * chunks + ch: divided out once, then stepped (a
   * division costs 3 + clz(divisor) cycles, up to 35 with a divisor of 1) */
  uint32_t ch = 0, mb = 0, b = 0, b0 = 0, b1 = 0;
  if (s < e) {
    const uint32_t rest = dk_div_p2(s, chunks);
    ch = s - rest * chunks;
    b = dk_div_p2(rest, mblk);
    mb = rest - b * mblk;
    b0 = dk_div_p2(b, B1);
    b1 = b - b0 * B1;
  }
  for (uint32_t t = s; t < e; t++) {
    if (t > s && ++ch == chunks) {
      ch = 0;
      if (++mb == mblk) {
        mb = 0;
        b++;
        if (++b1 == B1) {
          b1 = 0;
          b0++;
        }
      }
    }
    batch_t bt;
    bt.g = g;
    bt.b0 = b0;
    bt.b1 = b1;
    bt.A = (const uint8_t *)g->A + (int32_t)ea * ((int32_t)bt.b0 * g->a_bs[0] + (int32_t)bt.b1 * g->a_bs[1]);
    bt.B = (const uint8_t *)g->B + (int32_t)eb * ((int32_t)bt.b0 * g->b_bs[0] + (int32_t)bt.b1 * g->b_bs[1]);
    bt.C = g->C ? g->C + (int32_t)bt.b0 * g->c_bs[0] + (int32_t)bt.b1 * g->c_bs[1] : 0;
    bt.ybase = b * M * N;
    bt.mbase = (int32_t)bt.b0 * g->rq.mul_s[0] + (int32_t)bt.b1 * g->rq.mul_s[1];
    bt.abase = (int32_t)bt.b0 * g->rq.add_s[0] + (int32_t)bt.b1 * g->rq.add_s[1];
    /* with one column chunk and no B slices, the core's next tasks in the same batch are the next
     * row blocks: one call for all of them when the fused-requant blocks may take them (their
     * set-up once, block8_rows) */
    uint32_t take = 1;
    if (chunks == 1 && !slice && merge)
      while (t + take < e && mb + take < mblk) take++;
    uint32_t m0 = mb * 4, nr = M - m0 < 4 * take ? M - m0 : 4 * take;
    uint32_t n0 = ch * cw, n1 = n0 + cw < N ? n0 + cw : N;
    if (slice) {
      const uint32_t key = b * chunks + ch, K = g->K;
      if (key != last_key) {
        for (uint32_t n = n0; n < n1; n++) {
          const uint8_t *src = bt.B + n;
          uint8_t *dst = slice + (n - n0) * K;
          for (uint32_t k = 0; k < K; k++, src += N) dst[k] = *src;
        }
        last_key = key;
      }
      bt.g = &gt;
      bt.B = slice - n0 * K; /* block8 addresses column n at B + n*K */
    }
    blk(&bt, m0, nr, n0, n1);
    t += take - 1;
    mb += take - 1;
  }
}
