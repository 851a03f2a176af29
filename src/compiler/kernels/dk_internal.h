/* Shared helpers of the kernel library (not part of the API). */
#ifndef DK_INTERNAL_H
#define DK_INTERNAL_H

#include <stdint.h>

#include "dsim_cluster.h"
#include "kernels.h"
#include "xpulp_compat.h"

#define DK_INLINE static inline __attribute__((always_inline))

/* Core id and fork size. Tests built with -DDK_TEST_VCORES emulate an N-core fork on one core
 * (qemu-riscv32 has one hart): they run the kernel once per virtual id, which is exact because
 * kernels do not synchronise internally. */
#ifdef DK_TEST_VCORES
extern unsigned dk_vcore_id, dk_vcore_n;
#define DK_CORE_ID() dk_vcore_id
#define DK_NCORES() dk_vcore_n
#else
#define DK_CORE_ID() ((unsigned)dsim_core_id())
#define DK_NCORES() dsim_fork_cores()
#endif

/* Element i of a tensor of type t, widened to int32 (DK_F32 is not handled here). */
DK_INLINE int32_t dk_ld(const void *p, uint32_t i, uint32_t t) {
  switch (t) {
  case DK_I8: return ((const int8_t *)p)[i];
  case DK_U8: return ((const uint8_t *)p)[i];
  case DK_I16: return ((const int16_t *)p)[i];
  case DK_U16: return ((const uint16_t *)p)[i];
  default: return ((const int32_t *)p)[i];
  }
}

/* Store v with a C cast (two's complement wrap). */
DK_INLINE void dk_st(void *p, uint32_t i, uint32_t t, int32_t v) {
  switch (t) {
  case DK_I8: ((int8_t *)p)[i] = (int8_t)v; break;
  case DK_U8: ((uint8_t *)p)[i] = (uint8_t)v; break;
  case DK_I16: ((int16_t *)p)[i] = (int16_t)v; break;
  case DK_U16: ((uint16_t *)p)[i] = (uint16_t)v; break;
  default: ((int32_t *)p)[i] = v; break;
  }
}

DK_INLINE int dk_is8(uint32_t t) { return t == DK_I8 || t == DK_U8; }

/* Is [p, p+bytes) in the cluster's L1 TCDM (either alias)? (platform.md memory map) */
DK_INLINE int dk_in_l1(const void *p, uint32_t bytes) {
  const uint32_t a = (uint32_t)(uintptr_t)p & 0x0FFFFFFFu, l1 = 256u * 1024u;
  return ((uint32_t)(uintptr_t)p >> 28) <= 1u && a + bytes <= l1;
}

/* Is [p, p+bytes) in L2 (platform.md memory map)? */
DK_INLINE int dk_in_l2(const void *p, uint32_t bytes) {
  const uint32_t a = (uint32_t)(uintptr_t)p;
  return a >= 0x1C000000u && a + bytes <= 0x1C200000u && a + bytes > a;
}

/* A word load from any address (RI5CY and the simulator accept misaligned loads, +1 cycle). */
DK_INLINE uint32_t dk_lw_any(const uint8_t *p) {
  uint32_t v;
  __asm__("lw %0, 0(%1)" : "=r"(v) : "r"(p), "m"(*(const uint8_t(*)[4])p));
  return v;
}

/* n aligned words, 4 per iteration (a taken branch costs 3 cycles). */
DK_INLINE void dk_copy_words(uint32_t *d, const uint32_t *s, uint32_t n) {
  for (; n >= 4; n -= 4, d += 4, s += 4) {
    const uint32_t w0 = s[0], w1 = s[1], w2 = s[2], w3 = s[3];
    d[0] = w0;
    d[1] = w1;
    d[2] = w2;
    d[3] = w3;
  }
  for (; n > 0; n--) *d++ = *s++;
}

/* Copy a kernel's args struct to the caller's stack (L1). The memory plan leaves the structs in
 * L2 when L1 is full, where every field load costs 15 cycles and stores through the output
 * pointer would force reloads: from L2 the struct comes by one DMA transfer (~60 cycles of
 * set-up and wake-up plus bytes/8) instead of a 15-cycle load per word. */
DK_INLINE void dk_args_load(void *dst, const void *src, uint32_t bytes) {
  if (bytes >= 16 && dk_in_l2(src, bytes)) {
    dsim_dma_wait(dsim_dma_copy_1d(dst, src, bytes, 1));
    return;
  }
  if ((((uintptr_t)dst | (uintptr_t)src | bytes) & 3u) == 0) {
    /* unrolled: the copy runs on every core for every layer, and the args of the element-wise
     * kernels are ~45 words (a one-word loop spent ~250 instructions on them) */
    dk_copy_words((uint32_t *)dst, (const uint32_t *)src, bytes / 4);
  } else {
    for (uint32_t i = 0; i < bytes; i++) ((uint8_t *)dst)[i] = ((const uint8_t *)src)[i];
  }
}

/* a / b; a shift when b is a power of two (p.fl1 finds it: 2 instructions instead of a division
 * of 3 + clz(b) cycles, 31 for a fork of 8 cores, 35 for b = 1) */
DK_INLINE uint32_t dk_div_p2(uint32_t a, uint32_t b) {
  if (b != 0 && (b & (b - 1)) == 0) return a >> (uint32_t)p_fl1((int32_t)b);
  return a / b;
}

/* This core's share [*s, *e) of n work items: contiguous chunks, the first ones larger. */
DK_INLINE void dk_split(uint32_t n, uint32_t *s, uint32_t *e) {
  uint32_t nc = DK_NCORES(), id = DK_CORE_ID();
  if (nc == 0) nc = 1;
  uint32_t q = dk_div_p2(n, nc), r = n - q * nc; /* no second division */
  uint32_t start = id * q + (id < r ? id : r);
  *s = start;
  *e = start + q + (id < r ? 1 : 0);
  if (id >= nc) *s = *e = n; /* not a member of this fork: no work */
}

/* Share of cooperative preparation work that is followed by dk_barrier(). In the virtual-core
 * test mode the cores run one after the other, so each must do all of it (idempotent) before
 * its own compute phase. */
DK_INLINE void dk_split_prep(uint32_t n, uint32_t *s, uint32_t *e) {
#ifdef DK_TEST_VCORES
  *s = 0;
  *e = n;
#else
  dk_split(n, s, e);
#endif
}

/* Barrier among the cores of the fork (none in the virtual-core test mode, where the cores run
 * one after the other, so core 0's work is already done when the others run). */
DK_INLINE void dk_barrier(void) {
#ifndef DK_TEST_VCORES
  dsim_barrier();
#endif
}

/* RequantShift of one int32 value (operators.md), mi/ai = element offsets into mul/add. */
DK_INLINE int32_t dk_rq1(const dk_rq_t *rq, int32_t acc, int32_t mi, int32_t ai) {
  int32_t v = (acc + rq->in_off) * rq->mul[mi] + (rq->add ? rq->add[ai] : 0);
  if (rq->log2d > 0) v = (v + (1 << (rq->log2d - 1))) >> rq->log2d;
  v += rq->out_off;
  return v < rq->lo ? rq->lo : v > rq->hi ? rq->hi : v;
}

/* Integer square root: the largest r with r*r <= s (binary search, as operators.md says). */
DK_INLINE uint32_t dk_isqrt64(uint64_t s) {
  if (s < (1ull << 32)) { /* the result fits 16 bits: 32-bit products */
    uint32_t s32 = (uint32_t)s, lo = 0, hi = s32 > 0xFFFFu ? 0xFFFFu : s32;
    while (lo < hi) {
      uint32_t mid = lo + (hi - lo + 1) / 2;
      if (mid * mid <= s32) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
  uint32_t lo = 0xFFFFu, hi = 0xFFFFFFFFu;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2 + 1;
    if ((uint64_t)mid * mid <= s) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/* Unsigned division by a divisor used many times (a softmax row sum, an RMSNorm std): one
 * 32-bit division for the reciprocal r = floor((2^32-1)/d), then per value q = mulhu(t, r), which
 * is at most 3 below floor(t/d), and exact correction steps. d >= 1. */
typedef struct {
  uint32_t d, r;
} dk_udiv_t;
DK_INLINE dk_udiv_t dk_udiv_prep(uint32_t d) {
  dk_udiv_t u = {d, d > 1 ? 0xFFFFFFFFu / d : 0};
  return u;
}
DK_INLINE uint32_t dk_udiv(const dk_udiv_t *u, uint32_t t) {
  if (u->d <= 1) return t;
  uint32_t q = (uint32_t)(((uint64_t)t * u->r) >> 32);
  uint32_t rem = t - q * u->d;
  while (rem >= u->d) {
    q++;
    rem -= u->d;
  }
  return q;
}
/* C division (truncating toward zero) of a signed value by a positive reused divisor. */
DK_INLINE int32_t dk_sdiv(const dk_udiv_t *u, int32_t t) {
  return t < 0 ? -(int32_t)dk_udiv(u, 0u - (uint32_t)t) : (int32_t)dk_udiv(u, (uint32_t)t);
}

/* Floor division of 64-bit integers (C division truncates). */
DK_INLINE int64_t dk_floordiv64(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) q -= 1;
  return q;
}

#endif
