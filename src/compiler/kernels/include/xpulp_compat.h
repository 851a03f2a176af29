/* The few XpulpV2 operations the kernels use, as static inline functions.
 * Default build: the runtime's pulp.h wrappers (the XpulpV2 instructions themselves).
 * -DDSIM_NO_XPULP: plain-C equivalents with the same results, so the kernels build for plain
 * RV32IMC and run under qemu-riscv32 (functional testing, differential against the simulator).
 * Hardware loops are not wrapped here: they only appear inside fixed-size asm blocks (gemm.c). */
#ifndef DK_XPULP_COMPAT_H
#define DK_XPULP_COMPAT_H

#include <stdint.h>

#ifdef DSIM_NO_XPULP

/* acc + sum over 4 byte lanes of a[i] * b[i]; lane signedness per variant (sp = s x s,
 * usp = a unsigned x b signed, up = u x u). */
static inline int32_t dk_sdotsp4(int32_t acc, uint32_t a, uint32_t b) {
  for (int i = 0; i < 32; i += 8) acc += (int32_t)(int8_t)(a >> i) * (int32_t)(int8_t)(b >> i);
  return acc;
}
static inline int32_t dk_sdotusp4(int32_t acc, uint32_t a, uint32_t b) {
  for (int i = 0; i < 32; i += 8) acc += (int32_t)(uint8_t)(a >> i) * (int32_t)(int8_t)(b >> i);
  return acc;
}
static inline int32_t dk_sdotup4(int32_t acc, uint32_t a, uint32_t b) {
  for (int i = 0; i < 32; i += 8) acc += (int32_t)((uint8_t)(a >> i) * (uint8_t)(b >> i));
  return acc;
}
static inline int32_t dk_max(int32_t a, int32_t b) { return a > b ? a : b; }
static inline int32_t dk_min(int32_t a, int32_t b) { return a < b ? a : b; }

#else

#include "pulp.h" /* the runtime's .insn wrappers */

static inline int32_t dk_sdotsp4(int32_t acc, uint32_t a, uint32_t b) { return pv_sdotsp_b(acc, (int32_t)a, (int32_t)b); }
static inline int32_t dk_sdotusp4(int32_t acc, uint32_t a, uint32_t b) { return pv_sdotusp_b(acc, (int32_t)a, (int32_t)b); }
static inline int32_t dk_sdotup4(int32_t acc, uint32_t a, uint32_t b) { return pv_sdotup_b(acc, (int32_t)a, (int32_t)b); }
static inline int32_t dk_max(int32_t a, int32_t b) { return p_max(a, b); }
static inline int32_t dk_min(int32_t a, int32_t b) { return p_min(a, b); }

#endif

/* Unaligned-safe 32-bit load of 4 consecutive bytes (the cores and qemu handle misaligned lw;
 * going through memcpy-free byte access would cost 7 instructions). */
static inline uint32_t dk_lw(const void *p) {
  uint32_t v;
  __asm__("lw %0, 0(%1)" : "=r"(v) : "r"(p) : "memory");
  return v;
}

#endif
