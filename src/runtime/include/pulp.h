/* pulp.h: XpulpV2 instructions for C, as `static inline` wrappers around `.insn` (GCC 12 knows
 * no Xpulp mnemonics). Encodings: ../shared/spec/xpulpv2-encodings.tsv; each wrapper's emitted
 * word is checked against it by test/runtime/encodings.test.ts.
 *
 * Naming: the mnemonic with '.' -> '_' (pv.sdotsp.b -> pv_sdotsp_b, pv.dotsp.h.sc -> pv_dotsp_h_sc).
 * Operands that the instruction encodes as immediates (.sci, lane indices, bit fields, post-
 * increments, clip widths) must be compile-time constants: those wrappers are macros.
 * Packed vectors travel in plain 32-bit integers (v4s = 4 x int8, v2s = 2 x int16, ...); lane 0
 * is the least significant byte/half (little endian), so a v4s loaded from int8_t a[4] has a[i]
 * in lane i.
 *
 * These instructions exist only on the cluster (deeploy-sim), not under qemu-riscv32: guard
 * code that must also run on qemu (see examples/matmul-int8, -DNO_XPULP). */
#ifndef PULP_H
#define PULP_H

#include <stdint.h>

typedef int32_t v4s;  /* 4 x int8 */
typedef uint32_t v4u; /* 4 x uint8 */
typedef int32_t v2s;  /* 2 x int16 */
typedef uint32_t v2u; /* 2 x uint16 */

#define PULP_STR_(x) #x
#define PULP_STR(x) PULP_STR_(x)

/* Pack lanes into a vector word (plain C; gcc folds constants). */
static inline v4s pulp_pack4(int8_t a, int8_t b, int8_t c, int8_t d) {
  return (v4s)((uint32_t)(uint8_t)a | (uint32_t)(uint8_t)b << 8 | (uint32_t)(uint8_t)c << 16 |
               (uint32_t)(uint8_t)d << 24);
}
static inline v2s pulp_pack2(int16_t a, int16_t b) { return (v2s)((uint32_t)(uint16_t)a | (uint32_t)(uint16_t)b << 16); }

/* ---- generators: R-type (opcode, funct3, funct7) ----
 * Default: the instruction, through .insn. With -DDSIM_NO_XPULP: the same function computed in
 * plain C by pulp_emu() below (keyed by the same encoding, constant-folded after inlining), so
 * code using the wrappers also builds for plain RV32IMC and runs under qemu-riscv32. */
#define PULP_ENC(op, f3, f7) PULP_STR(op) ", " PULP_STR(f3) ", " PULP_STR(f7)
#ifndef DSIM_NO_XPULP
/* rd = op(rs1, rs2) */
#define PULP_DEF_RR(name, op, f3, f7)                                                   \
  static inline int32_t name(int32_t a, int32_t b) {                                    \
    int32_t r;                                                                          \
    __asm__(".insn r " PULP_ENC(op, f3, f7) ", %0, %1, %2" : "=r"(r) : "r"(a), "r"(b)); \
    return r;                                                                           \
  }
/* rd = op(rd, rs1, rs2): accumulating forms (rd is read) */
#define PULP_DEF_ACC(name, op, f3, f7)                                                  \
  static inline int32_t name(int32_t acc, int32_t a, int32_t b) {                       \
    __asm__(".insn r " PULP_ENC(op, f3, f7) ", %0, %1, %2" : "+r"(acc) : "r"(a), "r"(b)); \
    return acc;                                                                         \
  }
/* rd = op(rs1), rs2 field zero */
#define PULP_DEF_R1(name, op, f3, f7)                                                   \
  static inline int32_t name(int32_t a) {                                               \
    int32_t r;                                                                          \
    __asm__(".insn r " PULP_ENC(op, f3, f7) ", %0, %1, zero" : "=r"(r) : "r"(a));       \
    return r;                                                                           \
  }
#else
static inline int32_t pulp_emu(int op, int f3, int f7, int32_t d, int32_t a, int32_t b);
#define PULP_DEF_RR(name, op, f3, f7) \
  static inline int32_t name(int32_t a, int32_t b) { return pulp_emu(op, f3, f7, 0, a, b); }
#define PULP_DEF_ACC(name, op, f3, f7) \
  static inline int32_t name(int32_t acc, int32_t a, int32_t b) { return pulp_emu(op, f3, f7, acc, a, b); }
#define PULP_DEF_R1(name, op, f3, f7) \
  static inline int32_t name(int32_t a) { return pulp_emu(op, f3, f7, 0, a, 0); }
#endif

/* Compile-time range check usable inside expressions. */
#define PULP_CHECK(cond) ((void)sizeof(char[(cond) ? 1 : -1]))

/* .sci forms: 6-bit immediate {instr[24:20] = imm[5:1], instr[25] = imm[0]} next to funct6,
 * written as the 12-bit I-type immediate of `.insn i` (sign-adjusted when funct6 >= 32). */
#define PULP_SCI_IMM12(f6, imm) \
  ((((f6) << 6) | (((imm) & 1) << 5) | (((imm) >> 1) & 31)) - (((f6) & 32) ? 4096 : 0))
#define PULP_SCI_RANGE(sgn, imm) PULP_CHECK((sgn) ? ((imm) >= -32 && (imm) <= 31) : ((imm) >= 0 && (imm) <= 63))
#ifndef DSIM_NO_XPULP
#define PULP_SCI(f6, f3, sgn, a, imm)                                                               \
  __extension__({                                                                                   \
    int32_t __r;                                                                                    \
    PULP_SCI_RANGE(sgn, imm);                                                                       \
    __asm__(".insn i 0x57, " PULP_STR(f3) ", %0, %1, %2" : "=r"(__r) : "r"((int32_t)(a)),          \
            "n"(PULP_SCI_IMM12(f6, imm)));                                                          \
    __r;                                                                                            \
  })
#define PULP_SCI_ACC(f6, f3, sgn, acc, a, imm)                                                      \
  __extension__({                                                                                   \
    int32_t __r = (int32_t)(acc);                                                                   \
    PULP_SCI_RANGE(sgn, imm);                                                                       \
    __asm__(".insn i 0x57, " PULP_STR(f3) ", %0, %1, %2" : "+r"(__r) : "r"((int32_t)(a)),          \
            "n"(PULP_SCI_IMM12(f6, imm)));                                                          \
    __r;                                                                                            \
  })
#else
/* the immediate, sign- or zero-extended, takes the place of rs2 */
#define PULP_SCI(f6, f3, sgn, a, imm) \
  (PULP_SCI_RANGE(sgn, imm), pulp_emu(0x57, f3, (f6) << 1, 0, (int32_t)(a), (int32_t)(imm)))
#define PULP_SCI_ACC(f6, f3, sgn, acc, a, imm) \
  (PULP_SCI_RANGE(sgn, imm), pulp_emu(0x57, f3, (f6) << 1, (int32_t)(acc), (int32_t)(a), (int32_t)(imm)))
#endif

/* ---- packed SIMD, opcode 0x57: funct7 = funct6 << 1 | imm[0]; funct3 selects .h .b .sc .sci ----
 * Lane-wise, wrapping. .sc: the scalar is lane 0 of b, replicated; .sci: the 6-bit immediate
 * (signed or unsigned per the table), replicated. avg/avgu: the lane-width sum (carry dropped)
 * shifted right by one, arithmetic/logical. cmp*: all-ones lanes where true. Shifts: amounts
 * below the lane width. dot*: sum of lane products (sp: s x s, up: u x u, usp: a unsigned x b
 * signed); sdot*: the same added to acc. Pinned on the simulator by test/runtime/sim.test.ts. */
PULP_DEF_RR(pv_add_h, 0x57, 0, 0x00)
PULP_DEF_RR(pv_add_sc_h, 0x57, 4, 0x00)
#define pv_add_sci_h(a, imm) PULP_SCI(0x00, 6, 1, a, imm)
PULP_DEF_RR(pv_add_b, 0x57, 1, 0x00)
PULP_DEF_RR(pv_add_sc_b, 0x57, 5, 0x00)
#define pv_add_sci_b(a, imm) PULP_SCI(0x00, 7, 1, a, imm)
PULP_DEF_RR(pv_sub_h, 0x57, 0, 0x04)
PULP_DEF_RR(pv_sub_sc_h, 0x57, 4, 0x04)
#define pv_sub_sci_h(a, imm) PULP_SCI(0x02, 6, 1, a, imm)
PULP_DEF_RR(pv_sub_b, 0x57, 1, 0x04)
PULP_DEF_RR(pv_sub_sc_b, 0x57, 5, 0x04)
#define pv_sub_sci_b(a, imm) PULP_SCI(0x02, 7, 1, a, imm)
PULP_DEF_RR(pv_avg_h, 0x57, 0, 0x08)
PULP_DEF_RR(pv_avg_sc_h, 0x57, 4, 0x08)
#define pv_avg_sci_h(a, imm) PULP_SCI(0x04, 6, 1, a, imm)
PULP_DEF_RR(pv_avg_b, 0x57, 1, 0x08)
PULP_DEF_RR(pv_avg_sc_b, 0x57, 5, 0x08)
#define pv_avg_sci_b(a, imm) PULP_SCI(0x04, 7, 1, a, imm)
PULP_DEF_RR(pv_avgu_h, 0x57, 0, 0x0C)
PULP_DEF_RR(pv_avgu_sc_h, 0x57, 4, 0x0C)
#define pv_avgu_sci_h(a, imm) PULP_SCI(0x06, 6, 0, a, imm)
PULP_DEF_RR(pv_avgu_b, 0x57, 1, 0x0C)
PULP_DEF_RR(pv_avgu_sc_b, 0x57, 5, 0x0C)
#define pv_avgu_sci_b(a, imm) PULP_SCI(0x06, 7, 0, a, imm)
PULP_DEF_RR(pv_min_h, 0x57, 0, 0x10)
PULP_DEF_RR(pv_min_sc_h, 0x57, 4, 0x10)
#define pv_min_sci_h(a, imm) PULP_SCI(0x08, 6, 1, a, imm)
PULP_DEF_RR(pv_min_b, 0x57, 1, 0x10)
PULP_DEF_RR(pv_min_sc_b, 0x57, 5, 0x10)
#define pv_min_sci_b(a, imm) PULP_SCI(0x08, 7, 1, a, imm)
PULP_DEF_RR(pv_minu_h, 0x57, 0, 0x14)
PULP_DEF_RR(pv_minu_sc_h, 0x57, 4, 0x14)
#define pv_minu_sci_h(a, imm) PULP_SCI(0x0A, 6, 0, a, imm)
PULP_DEF_RR(pv_minu_b, 0x57, 1, 0x14)
PULP_DEF_RR(pv_minu_sc_b, 0x57, 5, 0x14)
#define pv_minu_sci_b(a, imm) PULP_SCI(0x0A, 7, 0, a, imm)
PULP_DEF_RR(pv_max_h, 0x57, 0, 0x18)
PULP_DEF_RR(pv_max_sc_h, 0x57, 4, 0x18)
#define pv_max_sci_h(a, imm) PULP_SCI(0x0C, 6, 1, a, imm)
PULP_DEF_RR(pv_max_b, 0x57, 1, 0x18)
PULP_DEF_RR(pv_max_sc_b, 0x57, 5, 0x18)
#define pv_max_sci_b(a, imm) PULP_SCI(0x0C, 7, 1, a, imm)
PULP_DEF_RR(pv_maxu_h, 0x57, 0, 0x1C)
PULP_DEF_RR(pv_maxu_sc_h, 0x57, 4, 0x1C)
#define pv_maxu_sci_h(a, imm) PULP_SCI(0x0E, 6, 0, a, imm)
PULP_DEF_RR(pv_maxu_b, 0x57, 1, 0x1C)
PULP_DEF_RR(pv_maxu_sc_b, 0x57, 5, 0x1C)
#define pv_maxu_sci_b(a, imm) PULP_SCI(0x0E, 7, 0, a, imm)
PULP_DEF_RR(pv_srl_h, 0x57, 0, 0x20)
PULP_DEF_RR(pv_srl_sc_h, 0x57, 4, 0x20)
#define pv_srl_sci_h(a, imm) PULP_SCI(0x10, 6, 0, a, imm)
PULP_DEF_RR(pv_srl_b, 0x57, 1, 0x20)
PULP_DEF_RR(pv_srl_sc_b, 0x57, 5, 0x20)
#define pv_srl_sci_b(a, imm) PULP_SCI(0x10, 7, 0, a, imm)
PULP_DEF_RR(pv_sra_h, 0x57, 0, 0x24)
PULP_DEF_RR(pv_sra_sc_h, 0x57, 4, 0x24)
#define pv_sra_sci_h(a, imm) PULP_SCI(0x12, 6, 1, a, imm)
PULP_DEF_RR(pv_sra_b, 0x57, 1, 0x24)
PULP_DEF_RR(pv_sra_sc_b, 0x57, 5, 0x24)
#define pv_sra_sci_b(a, imm) PULP_SCI(0x12, 7, 1, a, imm)
PULP_DEF_RR(pv_sll_h, 0x57, 0, 0x28)
PULP_DEF_RR(pv_sll_sc_h, 0x57, 4, 0x28)
#define pv_sll_sci_h(a, imm) PULP_SCI(0x14, 6, 0, a, imm)
PULP_DEF_RR(pv_sll_b, 0x57, 1, 0x28)
PULP_DEF_RR(pv_sll_sc_b, 0x57, 5, 0x28)
#define pv_sll_sci_b(a, imm) PULP_SCI(0x14, 7, 0, a, imm)
PULP_DEF_RR(pv_or_h, 0x57, 0, 0x2C)
PULP_DEF_RR(pv_or_sc_h, 0x57, 4, 0x2C)
#define pv_or_sci_h(a, imm) PULP_SCI(0x16, 6, 1, a, imm)
PULP_DEF_RR(pv_or_b, 0x57, 1, 0x2C)
PULP_DEF_RR(pv_or_sc_b, 0x57, 5, 0x2C)
#define pv_or_sci_b(a, imm) PULP_SCI(0x16, 7, 1, a, imm)
PULP_DEF_RR(pv_xor_h, 0x57, 0, 0x30)
PULP_DEF_RR(pv_xor_sc_h, 0x57, 4, 0x30)
#define pv_xor_sci_h(a, imm) PULP_SCI(0x18, 6, 1, a, imm)
PULP_DEF_RR(pv_xor_b, 0x57, 1, 0x30)
PULP_DEF_RR(pv_xor_sc_b, 0x57, 5, 0x30)
#define pv_xor_sci_b(a, imm) PULP_SCI(0x18, 7, 1, a, imm)
PULP_DEF_RR(pv_and_h, 0x57, 0, 0x34)
PULP_DEF_RR(pv_and_sc_h, 0x57, 4, 0x34)
#define pv_and_sci_h(a, imm) PULP_SCI(0x1A, 6, 1, a, imm)
PULP_DEF_RR(pv_and_b, 0x57, 1, 0x34)
PULP_DEF_RR(pv_and_sc_b, 0x57, 5, 0x34)
#define pv_and_sci_b(a, imm) PULP_SCI(0x1A, 7, 1, a, imm)
PULP_DEF_RR(pv_cmpeq_h, 0x57, 0, 0x02)
PULP_DEF_RR(pv_cmpeq_sc_h, 0x57, 4, 0x02)
#define pv_cmpeq_sci_h(a, imm) PULP_SCI(0x01, 6, 1, a, imm)
PULP_DEF_RR(pv_cmpeq_b, 0x57, 1, 0x02)
PULP_DEF_RR(pv_cmpeq_sc_b, 0x57, 5, 0x02)
#define pv_cmpeq_sci_b(a, imm) PULP_SCI(0x01, 7, 1, a, imm)
PULP_DEF_RR(pv_cmpne_h, 0x57, 0, 0x06)
PULP_DEF_RR(pv_cmpne_sc_h, 0x57, 4, 0x06)
#define pv_cmpne_sci_h(a, imm) PULP_SCI(0x03, 6, 1, a, imm)
PULP_DEF_RR(pv_cmpne_b, 0x57, 1, 0x06)
PULP_DEF_RR(pv_cmpne_sc_b, 0x57, 5, 0x06)
#define pv_cmpne_sci_b(a, imm) PULP_SCI(0x03, 7, 1, a, imm)
PULP_DEF_RR(pv_cmpgt_h, 0x57, 0, 0x0A)
PULP_DEF_RR(pv_cmpgt_sc_h, 0x57, 4, 0x0A)
#define pv_cmpgt_sci_h(a, imm) PULP_SCI(0x05, 6, 1, a, imm)
PULP_DEF_RR(pv_cmpgt_b, 0x57, 1, 0x0A)
PULP_DEF_RR(pv_cmpgt_sc_b, 0x57, 5, 0x0A)
#define pv_cmpgt_sci_b(a, imm) PULP_SCI(0x05, 7, 1, a, imm)
PULP_DEF_RR(pv_cmpge_h, 0x57, 0, 0x0E)
PULP_DEF_RR(pv_cmpge_sc_h, 0x57, 4, 0x0E)
#define pv_cmpge_sci_h(a, imm) PULP_SCI(0x07, 6, 1, a, imm)
PULP_DEF_RR(pv_cmpge_b, 0x57, 1, 0x0E)
PULP_DEF_RR(pv_cmpge_sc_b, 0x57, 5, 0x0E)
#define pv_cmpge_sci_b(a, imm) PULP_SCI(0x07, 7, 1, a, imm)
PULP_DEF_RR(pv_cmplt_h, 0x57, 0, 0x12)
PULP_DEF_RR(pv_cmplt_sc_h, 0x57, 4, 0x12)
#define pv_cmplt_sci_h(a, imm) PULP_SCI(0x09, 6, 1, a, imm)
PULP_DEF_RR(pv_cmplt_b, 0x57, 1, 0x12)
PULP_DEF_RR(pv_cmplt_sc_b, 0x57, 5, 0x12)
#define pv_cmplt_sci_b(a, imm) PULP_SCI(0x09, 7, 1, a, imm)
PULP_DEF_RR(pv_cmple_h, 0x57, 0, 0x16)
PULP_DEF_RR(pv_cmple_sc_h, 0x57, 4, 0x16)
#define pv_cmple_sci_h(a, imm) PULP_SCI(0x0B, 6, 1, a, imm)
PULP_DEF_RR(pv_cmple_b, 0x57, 1, 0x16)
PULP_DEF_RR(pv_cmple_sc_b, 0x57, 5, 0x16)
#define pv_cmple_sci_b(a, imm) PULP_SCI(0x0B, 7, 1, a, imm)
PULP_DEF_RR(pv_cmpgtu_h, 0x57, 0, 0x1A)
PULP_DEF_RR(pv_cmpgtu_sc_h, 0x57, 4, 0x1A)
#define pv_cmpgtu_sci_h(a, imm) PULP_SCI(0x0D, 6, 0, a, imm)
PULP_DEF_RR(pv_cmpgtu_b, 0x57, 1, 0x1A)
PULP_DEF_RR(pv_cmpgtu_sc_b, 0x57, 5, 0x1A)
#define pv_cmpgtu_sci_b(a, imm) PULP_SCI(0x0D, 7, 0, a, imm)
PULP_DEF_RR(pv_cmpgeu_h, 0x57, 0, 0x1E)
PULP_DEF_RR(pv_cmpgeu_sc_h, 0x57, 4, 0x1E)
#define pv_cmpgeu_sci_h(a, imm) PULP_SCI(0x0F, 6, 0, a, imm)
PULP_DEF_RR(pv_cmpgeu_b, 0x57, 1, 0x1E)
PULP_DEF_RR(pv_cmpgeu_sc_b, 0x57, 5, 0x1E)
#define pv_cmpgeu_sci_b(a, imm) PULP_SCI(0x0F, 7, 0, a, imm)
PULP_DEF_RR(pv_cmpltu_h, 0x57, 0, 0x22)
PULP_DEF_RR(pv_cmpltu_sc_h, 0x57, 4, 0x22)
#define pv_cmpltu_sci_h(a, imm) PULP_SCI(0x11, 6, 0, a, imm)
PULP_DEF_RR(pv_cmpltu_b, 0x57, 1, 0x22)
PULP_DEF_RR(pv_cmpltu_sc_b, 0x57, 5, 0x22)
#define pv_cmpltu_sci_b(a, imm) PULP_SCI(0x11, 7, 0, a, imm)
PULP_DEF_RR(pv_cmpleu_h, 0x57, 0, 0x26)
PULP_DEF_RR(pv_cmpleu_sc_h, 0x57, 4, 0x26)
#define pv_cmpleu_sci_h(a, imm) PULP_SCI(0x13, 6, 0, a, imm)
PULP_DEF_RR(pv_cmpleu_b, 0x57, 1, 0x26)
PULP_DEF_RR(pv_cmpleu_sc_b, 0x57, 5, 0x26)
#define pv_cmpleu_sci_b(a, imm) PULP_SCI(0x13, 7, 0, a, imm)
PULP_DEF_R1(pv_abs_h, 0x57, 0, 0x38)
PULP_DEF_R1(pv_abs_b, 0x57, 1, 0x38)
PULP_DEF_RR(pv_dotsp_h, 0x57, 0, 0x4C)
PULP_DEF_RR(pv_dotsp_h_sc, 0x57, 4, 0x4C)
#define pv_dotsp_h_sci(a, imm) PULP_SCI(0x26, 6, 1, a, imm)
PULP_DEF_RR(pv_dotsp_b, 0x57, 1, 0x4C)
PULP_DEF_RR(pv_dotsp_b_sc, 0x57, 5, 0x4C)
#define pv_dotsp_b_sci(a, imm) PULP_SCI(0x26, 7, 1, a, imm)
PULP_DEF_RR(pv_dotup_h, 0x57, 0, 0x40)
PULP_DEF_RR(pv_dotup_h_sc, 0x57, 4, 0x40)
#define pv_dotup_h_sci(a, imm) PULP_SCI(0x20, 6, 0, a, imm)
PULP_DEF_RR(pv_dotup_b, 0x57, 1, 0x40)
PULP_DEF_RR(pv_dotup_b_sc, 0x57, 5, 0x40)
#define pv_dotup_b_sci(a, imm) PULP_SCI(0x20, 7, 0, a, imm)
PULP_DEF_RR(pv_dotusp_h, 0x57, 0, 0x44)
PULP_DEF_RR(pv_dotusp_h_sc, 0x57, 4, 0x44)
#define pv_dotusp_h_sci(a, imm) PULP_SCI(0x22, 6, 1, a, imm)
PULP_DEF_RR(pv_dotusp_b, 0x57, 1, 0x44)
PULP_DEF_RR(pv_dotusp_b_sc, 0x57, 5, 0x44)
#define pv_dotusp_b_sci(a, imm) PULP_SCI(0x22, 7, 1, a, imm)
PULP_DEF_ACC(pv_sdotsp_h, 0x57, 0, 0x5C)
PULP_DEF_ACC(pv_sdotsp_h_sc, 0x57, 4, 0x5C)
#define pv_sdotsp_h_sci(acc, a, imm) PULP_SCI_ACC(0x2E, 6, 1, acc, a, imm)
PULP_DEF_ACC(pv_sdotsp_b, 0x57, 1, 0x5C)
PULP_DEF_ACC(pv_sdotsp_b_sc, 0x57, 5, 0x5C)
#define pv_sdotsp_b_sci(acc, a, imm) PULP_SCI_ACC(0x2E, 7, 1, acc, a, imm)
PULP_DEF_ACC(pv_sdotup_h, 0x57, 0, 0x50)
PULP_DEF_ACC(pv_sdotup_h_sc, 0x57, 4, 0x50)
#define pv_sdotup_h_sci(acc, a, imm) PULP_SCI_ACC(0x28, 6, 0, acc, a, imm)
PULP_DEF_ACC(pv_sdotup_b, 0x57, 1, 0x50)
PULP_DEF_ACC(pv_sdotup_b_sc, 0x57, 5, 0x50)
#define pv_sdotup_b_sci(acc, a, imm) PULP_SCI_ACC(0x28, 7, 0, acc, a, imm)
PULP_DEF_ACC(pv_sdotusp_h, 0x57, 0, 0x54)
PULP_DEF_ACC(pv_sdotusp_h_sc, 0x57, 4, 0x54)
#define pv_sdotusp_h_sci(acc, a, imm) PULP_SCI_ACC(0x2A, 6, 1, acc, a, imm)
PULP_DEF_ACC(pv_sdotusp_b, 0x57, 1, 0x54)
PULP_DEF_ACC(pv_sdotusp_b_sc, 0x57, 5, 0x54)
#define pv_sdotusp_b_sci(acc, a, imm) PULP_SCI_ACC(0x2A, 7, 1, acc, a, imm)

/* Lane moves. pv_extract_b(a, i): lane i sign-extended; extractu: zero-extended;
 * pv_insert_b(dst, a, i): dst with lane i replaced by the low lane of a. */
#define pv_extract_h(a, i) PULP_SCI(0x1E, 6, 0, a, i)
#define pv_extract_b(a, i) PULP_SCI(0x1E, 7, 0, a, i)
#define pv_extractu_h(a, i) PULP_SCI(0x24, 6, 0, a, i)
#define pv_extractu_b(a, i) PULP_SCI(0x24, 7, 0, a, i)
#define pv_insert_h(dst, a, i) PULP_SCI_ACC(0x2C, 6, 0, dst, a, i)
#define pv_insert_b(dst, a, i) PULP_SCI_ACC(0x2C, 7, 0, dst, a, i)

/* Shuffles: lane i of the result = a.lane[sel.lane[i]]; shuffle2 selects from {a, dst} with the
 * next selector bit (dst is read). */
PULP_DEF_RR(pv_shuffle_h, 0x57, 0, 0x60)
PULP_DEF_RR(pv_shuffle_b, 0x57, 1, 0x60)
PULP_DEF_ACC(pv_shuffle2_h, 0x57, 0, 0x64)
PULP_DEF_ACC(pv_shuffle2_b, 0x57, 1, 0x64)

/* Packing: pv_pack_h(a, b) = {a.h[0] high, b.h[0] low}; packhi/packlo write two bytes
 * {a.b[0], b.b[0]} into the high/low half of dst and keep the other half. */
PULP_DEF_RR(pv_pack_h, 0x57, 0, 0x68)
PULP_DEF_ACC(pv_packhi_b, 0x57, 1, 0x6C)
PULP_DEF_ACC(pv_packlo_b, 0x57, 1, 0x70)

/* ---- scalar ALU extras, opcode 0x33 ---- */
PULP_DEF_R1(p_abs, 0x33, 0, 0x02)
PULP_DEF_RR(p_avgu, 0x33, 1, 0x02)
PULP_DEF_RR(p_slet, 0x33, 2, 0x02)
PULP_DEF_RR(p_sletu, 0x33, 3, 0x02)
PULP_DEF_RR(p_min, 0x33, 4, 0x02)
PULP_DEF_RR(p_minu, 0x33, 5, 0x02)
PULP_DEF_RR(p_max, 0x33, 6, 0x02)
PULP_DEF_RR(p_maxu, 0x33, 7, 0x02)
PULP_DEF_RR(p_ror, 0x33, 5, 0x04)
PULP_DEF_R1(p_ff1, 0x33, 0, 0x08)   /* index of the lowest set bit, 32 if none */
PULP_DEF_R1(p_fl1, 0x33, 1, 0x08)   /* index of the highest set bit, 32 if none */
PULP_DEF_R1(p_clb, 0x33, 2, 0x08)   /* leading redundant sign bits */
PULP_DEF_R1(p_cnt, 0x33, 3, 0x08)   /* popcount */
PULP_DEF_R1(p_exths, 0x33, 4, 0x08)
PULP_DEF_R1(p_exthz, 0x33, 5, 0x08)
PULP_DEF_R1(p_extbs, 0x33, 6, 0x08)
PULP_DEF_R1(p_extbz, 0x33, 7, 0x08)

/* Clipping. p_clip(a, hi): clamp to [-hi-1, hi]; p_clipu(a, hi): [0, hi].
 * p_clipi(a, n): the I1U field n (0..31) as encoded: clamp to [-2^(n-1), 2^(n-1)-1], i.e. n is the
 * bit width (p_clipi(x, 8) saturates to int8). p_clipui(a, n): [0, 2^(n-1)-1] per GVSoC. */
PULP_DEF_RR(p_clip, 0x33, 5, 0x0A)
PULP_DEF_RR(p_clipu, 0x33, 6, 0x0A)
#ifndef DSIM_NO_XPULP
#define PULP_I1U(f3, a, n)                                                                          \
  __extension__({                                                                                   \
    int32_t __r;                                                                                    \
    PULP_CHECK((n) >= 0 && (n) <= 31);                                                              \
    __asm__(".insn i 0x33, " PULP_STR(f3) ", %0, %1, %2" : "=r"(__r) : "r"((int32_t)(a)),          \
            "n"((0x0A << 5) | (n)));                                                                \
    __r;                                                                                            \
  })
#else
#define PULP_I1U(f3, a, n) (PULP_CHECK((n) >= 0 && (n) <= 31), pulp_emu(0x33, f3, 0x0A, 0, (int32_t)(a), (n)))
#endif
#define p_clipi(a, n) PULP_I1U(1, a, n)
#define p_clipui(a, n) PULP_I1U(2, a, n)

/* Multiply-accumulate (low 32 bits): p_mac(acc, a, b) = acc + a*b; p_msu = acc - a*b. */
PULP_DEF_ACC(p_mac, 0x33, 0, 0x21)
PULP_DEF_ACC(p_msu, 0x33, 1, 0x21)

/* Bit fields, immediate forms (I4U): nbits 1..32 at bit pos 0..31 (encodes Is3 = nbits-1, Is2 = pos).
 * p_extracti: sign-extended field; p_extractui: zero-extended; p_inserti(dst, a, nbits, pos):
 * the low nbits of a into dst at pos; p_bseti/p_bclri: set/clear nbits at pos. */
#define PULP_I4U_IMM12(nbits, pos) (((3 << 10) | (((nbits) - 1) << 5) | (pos)) - 4096)
#ifndef DSIM_NO_XPULP
#define PULP_I4U(f3, a, nbits, pos)                                                                 \
  __extension__({                                                                                   \
    int32_t __r;                                                                                    \
    PULP_CHECK((nbits) >= 1 && (nbits) <= 32 && (pos) >= 0 && (pos) <= 31);                         \
    __asm__(".insn i 0x33, " PULP_STR(f3) ", %0, %1, %2" : "=r"(__r) : "r"((int32_t)(a)),          \
            "n"(PULP_I4U_IMM12(nbits, pos)));                                                       \
    __r;                                                                                            \
  })
#define p_extracti(a, nbits, pos) PULP_I4U(0, a, nbits, pos)
#define p_extractui(a, nbits, pos) PULP_I4U(1, a, nbits, pos)
#define p_bclri(a, nbits, pos) PULP_I4U(3, a, nbits, pos)
#define p_bseti(a, nbits, pos) PULP_I4U(4, a, nbits, pos)
#define p_inserti(dst, a, nbits, pos)                                                               \
  __extension__({                                                                                   \
    int32_t __r = (int32_t)(dst);                                                                   \
    PULP_CHECK((nbits) >= 1 && (nbits) <= 32 && (pos) >= 0 && (pos) <= 31);                         \
    __asm__(".insn i 0x33, 2, %0, %1, %2" : "+r"(__r) : "r"((int32_t)(a)),                         \
            "n"(PULP_I4U_IMM12(nbits, pos)));                                                       \
    __r;                                                                                            \
  })
#else
/* as the register forms, with the field spec (nbits-1) << 5 | pos */
#define PULP_I4U(f3, a, nbits, pos) \
  (PULP_CHECK((nbits) >= 1 && (nbits) <= 32 && (pos) >= 0 && (pos) <= 31), \
   pulp_emu(0x33, f3, 0x40, 0, (int32_t)(a), (((nbits) - 1) << 5) | (pos)))
#define p_extracti(a, nbits, pos) PULP_I4U(0, a, nbits, pos)
#define p_extractui(a, nbits, pos) PULP_I4U(1, a, nbits, pos)
#define p_bclri(a, nbits, pos) PULP_I4U(3, a, nbits, pos)
#define p_bseti(a, nbits, pos) PULP_I4U(4, a, nbits, pos)
#define p_inserti(dst, a, nbits, pos) \
  (PULP_CHECK((nbits) >= 1 && (nbits) <= 32 && (pos) >= 0 && (pos) <= 31), \
   pulp_emu(0x33, 2, 0x40, (int32_t)(dst), (int32_t)(a), (((nbits) - 1) << 5) | (pos)))
#endif
/* Register forms: b holds (nbits-1) << 5 | pos. */
PULP_DEF_RR(p_extract, 0x33, 0, 0x40)
PULP_DEF_RR(p_extractu, 0x33, 1, 0x40)
PULP_DEF_ACC(p_insert, 0x33, 2, 0x40)
PULP_DEF_RR(p_bclr, 0x33, 3, 0x40)
PULP_DEF_RR(p_bset, 0x33, 4, 0x40)

/* ---- loads and stores with post-increment (0x0B / 0x2B) and register offset (0x03 / 0x23) ----
 * The access uses the old pointer, then the pointer advances. Generic macros work on any pointer
 * lvalue `p`; `inc` is a constant byte increment (-2048..2047) for the _I forms and a register
 * for the _R forms. The "m" operands tell gcc which memory is read or written. */
#ifndef DSIM_NO_XPULP
#define PULP_LD_POSTINC_I(f3, T, p, inc)                                                            \
  __extension__({                                                                                   \
    int32_t __v;                                                                                    \
    PULP_CHECK((inc) >= -2048 && (inc) <= 2047);                                                    \
    __asm__(".insn i 0x0B, " PULP_STR(f3) ", %0, %1, %3"                                            \
            : "=r"(__v), "+r"(p) : "m"(*(const T *)(p)), "n"(inc));                                 \
    __v;                                                                                            \
  })
#define PULP_LD_POSTINC_R(f7, T, p, inc)                                                            \
  __extension__({                                                                                   \
    int32_t __v;                                                                                    \
    __asm__(".insn r 0x0B, 7, " PULP_STR(f7) ", %0, %1, %3"                                         \
            : "=r"(__v), "+r"(p) : "m"(*(const T *)(p)), "r"((int32_t)(inc)));                      \
    __v;                                                                                            \
  })
#define PULP_LD_RR(f7, T, base, off)                                                                \
  __extension__({                                                                                   \
    int32_t __v;                                                                                    \
    __asm__(".insn r 0x03, 7, " PULP_STR(f7) ", %0, %1, %2"                                         \
            : "=r"(__v) : "r"(base), "r"((int32_t)(off)),                                           \
              "m"(*(const T *)((const char *)(base) + (off))));                                     \
    __v;                                                                                            \
  })
#define PULP_ST_POSTINC_I(f3, T, p, v, inc)                                                         \
  do {                                                                                              \
    PULP_CHECK((inc) >= -2048 && (inc) <= 2047);                                                    \
    __asm__ volatile(".insn s 0x2B, " PULP_STR(f3) ", %2, %3(%1)"                                   \
                     : "=m"(*(T *)(p)), "+r"(p) : "r"((int32_t)(v)), "n"(inc));                     \
  } while (0)
#define PULP_ST_POSTINC_R(f3, T, p, v, inc)                                                         \
  do {                                                                                              \
    __asm__ volatile(".insn r 0x2B, " PULP_STR(f3) ", 0, %3, %1, %2"                                \
                     : "=m"(*(T *)(p)), "+r"(p) : "r"((int32_t)(v)), "r"((int32_t)(inc)));          \
  } while (0)
#define PULP_ST_RR(f3, T, base, off, v)                                                             \
  do {                                                                                              \
    __asm__ volatile(".insn r 0x23, " PULP_STR(f3) ", 0, %3, %1, %2"                                \
                     : "=m"(*(T *)((char *)(base) + (off)))                                         \
                     : "r"(base), "r"((int32_t)(v)), "r"((int32_t)(off)));                          \
  } while (0)
#else
#define PULP_LD_POSTINC_I(f3, T, p, inc)                                                            \
  __extension__({                                                                                   \
    PULP_CHECK((inc) >= -2048 && (inc) <= 2047);                                                    \
    T __t;                                                                                          \
    __builtin_memcpy(&__t, (const void *)(p), sizeof(T)); /* no aliasing assumptions */             \
    int32_t __v = __t;                                                                              \
    (p) = (__typeof__(p))((const char *)(p) + (inc));                                               \
    __v;                                                                                            \
  })
#define PULP_LD_POSTINC_R(f7, T, p, inc)                                                            \
  __extension__({                                                                                   \
    T __t;                                                                                          \
    __builtin_memcpy(&__t, (const void *)(p), sizeof(T));                                           \
    int32_t __v = __t;                                                                              \
    (p) = (__typeof__(p))((const char *)(p) + (int32_t)(inc));                                      \
    __v;                                                                                            \
  })
#define PULP_LD_RR(f7, T, base, off)                                                                \
  __extension__({                                                                                   \
    T __t;                                                                                          \
    __builtin_memcpy(&__t, (const char *)(base) + (off), sizeof(T));                                \
    (int32_t)__t;                                                                                   \
  })
#define PULP_ST_POSTINC_I(f3, T, p, v, inc)                                                         \
  do {                                                                                              \
    PULP_CHECK((inc) >= -2048 && (inc) <= 2047);                                                    \
    T __t = (T)(v);                                                                                 \
    __builtin_memcpy((void *)(p), &__t, sizeof(T));                                                 \
    (p) = (__typeof__(p))((char *)(p) + (inc));                                                     \
  } while (0)
#define PULP_ST_POSTINC_R(f3, T, p, v, inc)                                                         \
  do {                                                                                              \
    T __t = (T)(v);                                                                                 \
    __builtin_memcpy((void *)(p), &__t, sizeof(T));                                                 \
    (p) = (__typeof__(p))((char *)(p) + (int32_t)(inc));                                            \
  } while (0)
#define PULP_ST_RR(f3, T, base, off, v)                                                             \
  do {                                                                                              \
    T __t = (T)(v);                                                                                 \
    __builtin_memcpy((char *)(base) + (off), &__t, sizeof(T));                                      \
  } while (0)
#endif

/* p.lb / p.lbu / p.lh / p.lhu / p.lw rd, inc(p!) -- immediate increment */
#define P_LB_POSTINC_I(p, inc) PULP_LD_POSTINC_I(0, int8_t, p, inc)
#define P_LH_POSTINC_I(p, inc) PULP_LD_POSTINC_I(1, int16_t, p, inc)
#define P_LW_POSTINC_I(p, inc) PULP_LD_POSTINC_I(2, int32_t, p, inc)
#define P_LBU_POSTINC_I(p, inc) ((uint32_t)PULP_LD_POSTINC_I(4, uint8_t, p, inc))
#define P_LHU_POSTINC_I(p, inc) ((uint32_t)PULP_LD_POSTINC_I(5, uint16_t, p, inc))
/* ... register increment: rd, inc(p!) with inc in a register */
#define P_LB_POSTINC_R(p, inc) PULP_LD_POSTINC_R(0x00, int8_t, p, inc)
#define P_LH_POSTINC_R(p, inc) PULP_LD_POSTINC_R(0x08, int16_t, p, inc)
#define P_LW_POSTINC_R(p, inc) PULP_LD_POSTINC_R(0x10, int32_t, p, inc)
#define P_LBU_POSTINC_R(p, inc) ((uint32_t)PULP_LD_POSTINC_R(0x20, uint8_t, p, inc))
#define P_LHU_POSTINC_R(p, inc) ((uint32_t)PULP_LD_POSTINC_R(0x28, uint16_t, p, inc))
/* ... register offset, no update: rd, off(base) */
#define P_LB_RR(base, off) PULP_LD_RR(0x00, int8_t, base, off)
#define P_LH_RR(base, off) PULP_LD_RR(0x08, int16_t, base, off)
#define P_LW_RR(base, off) PULP_LD_RR(0x10, int32_t, base, off)
#define P_LBU_RR(base, off) ((uint32_t)PULP_LD_RR(0x20, uint8_t, base, off))
#define P_LHU_RR(base, off) ((uint32_t)PULP_LD_RR(0x28, uint16_t, base, off))
/* p.sb / p.sh / p.sw v, inc(p!) and v, off(base) */
#define P_SB_POSTINC_I(p, v, inc) PULP_ST_POSTINC_I(0, int8_t, p, v, inc)
#define P_SH_POSTINC_I(p, v, inc) PULP_ST_POSTINC_I(1, int16_t, p, v, inc)
#define P_SW_POSTINC_I(p, v, inc) PULP_ST_POSTINC_I(2, int32_t, p, v, inc)
#define P_SB_POSTINC_R(p, v, inc) PULP_ST_POSTINC_R(4, int8_t, p, v, inc)
#define P_SH_POSTINC_R(p, v, inc) PULP_ST_POSTINC_R(5, int16_t, p, v, inc)
#define P_SW_POSTINC_R(p, v, inc) PULP_ST_POSTINC_R(6, int32_t, p, v, inc)
#define P_SB_RR(base, off, v) PULP_ST_RR(4, int8_t, base, off, v)
#define P_SH_RR(base, off, v) PULP_ST_RR(5, int16_t, base, off, v)
#define P_SW_RR(base, off, v) PULP_ST_RR(6, int32_t, base, off, v)

/* Typed functions for the common case: load/store one element and advance by its size. */
static inline int32_t p_lb_postinc(const int8_t **pp) { return P_LB_POSTINC_I(*pp, 1); }
static inline uint32_t p_lbu_postinc(const uint8_t **pp) { return P_LBU_POSTINC_I(*pp, 1); }
static inline int32_t p_lh_postinc(const int16_t **pp) { return P_LH_POSTINC_I(*pp, 2); }
static inline uint32_t p_lhu_postinc(const uint16_t **pp) { return P_LHU_POSTINC_I(*pp, 2); }
static inline int32_t p_lw_postinc(const int32_t **pp) { return P_LW_POSTINC_I(*pp, 4); }
/* One packed word from a byte/half array (the common SIMD operand load). */
static inline v4s p_lw_postinc_v4(const int8_t **pp) { return P_LW_POSTINC_I(*pp, 4); }
static inline v2s p_lw_postinc_v2(const int16_t **pp) { return P_LW_POSTINC_I(*pp, 4); }
/* Register increment (in bytes) */
static inline int32_t p_lw_postinc_r(const int32_t **pp, int32_t inc) { return P_LW_POSTINC_R(*pp, inc); }
static inline void p_sb_postinc(int8_t **pp, int32_t v) { P_SB_POSTINC_I(*pp, v, 1); }
static inline void p_sh_postinc(int16_t **pp, int32_t v) { P_SH_POSTINC_I(*pp, v, 2); }
static inline void p_sw_postinc(int32_t **pp, int32_t v) { P_SW_POSTINC_I(*pp, v, 4); }
static inline void p_sw_postinc_r(int32_t **pp, int32_t v, int32_t inc) { P_SW_POSTINC_R(*pp, v, inc); }

/* ---- hardware loops (opcode 0x7B) ----
 * Constraints (xpulpv2.md): body >= 3 instructions, all 32-bit (no compressed), no branches,
 * jumps, ecall, fence or wfi inside; start and end word-aligned; the outer loop (1) ends at least
 * 8 bytes after the inner loop (0); count >= 1 (guard count == 0 in C).
 * A hardware loop is one asm statement whose body has a fixed number N of instructions:
 *
 *   __asm__ volatile(
 *     PULP_HWLOOP_BEGIN(0, "%[n]", 3)
 *       PULP_ASM_LW_POSTINC("%[x]", "%[pa]", 4)
 *       PULP_ASM_LW_POSTINC("%[y]", "%[pb]", 4)
 *       PULP_ASM_SDOTSP_B("%[acc]", "%[x]", "%[y]")
 *     PULP_HWLOOP_END(0, 3)
 *     : [acc] "+r"(acc), [pa] "+r"(pa), [pb] "+r"(pb), [x] "=&r"(x), [y] "=&r"(y)
 *     : [n] "r"(n) : "memory");
 *
 * BEGIN aligns to 4 bytes (a relaxation-safe .balign: the linker keeps it), switches to
 * norvc/norelax and emits lp.setup L, count, 2*N (the end offset in halfwords from lp.setup to the
 * last body instruction). END checks at assembly time that the body is exactly N instructions
 * ("hwloop body is not N instructions" otherwise). Plain mnemonics inside (add, lw, ...) are
 * assembled uncompressed. Nested loops: put a loop-0 block inside a loop-1 body (N1 counts the
 * inner lp.setup and its body). PULP_HWLOOPI_BEGIN(L, count, N) is the lp.setupi form for a
 * constant count (0..4095) and N <= 15. */
#define PULP_HWLOOP_BEGIN(L, count_op, N)                                                          \
  ".balign 4\n\t.option push\n\t.option norvc\n\t.option norelax\n"                                \
  ".Lhwlp_s%=_" #L ":\n\t.insn i 0x7B, 4, x" #L ", " count_op ", 2*(" #N ")\n\t"
#define PULP_HWLOOPI_BEGIN(L, count, N)                                                            \
  ".balign 4\n\t.option push\n\t.option norvc\n\t.option norelax\n"                                \
  ".Lhwlp_s%=_" #L ":\n\t.insn 4, 0x507B | (" #L " << 7) | ((2*(" #N ")) << 15) | ((" #count ") << 20)\n\t" \
  ".if (2*(" #N ")) > 31 || (" #count ") > 4095\n\t.error \"lp.setupi: body or count too large\"\n\t.endif\n\t"
#define PULP_HWLOOP_END(L, N)                                                                      \
  ".Lhwlp_e%=_" #L ":\n\t"                                                                         \
  ".if (.Lhwlp_e%=_" #L " - .Lhwlp_s%=_" #L ") != 4*((" #N ")+1)\n\t"                              \
  ".error \"hwloop body is not " #N " instructions\"\n\t.endif\n\t.option pop\n\t"

/* Other hardware-loop register writes (count in a register / immediates as encoded). */
#define PULP_ASM_LP_COUNT(L, reg) ".insn i 0x7B, 2, x" #L ", " reg ", 0\n\t"
#define PULP_ASM_LP_COUNTI(L, n) ".insn i 0x7B, 3, x" #L ", x0, " #n "\n\t"
#define PULP_ASM_LP_STARTI(L, off) ".insn i 0x7B, 0, x" #L ", x0, " #off "\n\t"
#define PULP_ASM_LP_ENDI(L, off) ".insn i 0x7B, 1, x" #L ", x0, " #off "\n\t"

/* Instruction strings for hardware-loop bodies (operands are asm operand strings). */
#define PULP_ASM_R(enc, rd, rs1, rs2) ".insn r " enc ", " rd ", " rs1 ", " rs2 "\n\t"
#define PULP_ASM_LB_POSTINC(rd, p, inc) ".insn i 0x0B, 0, " rd ", " p ", " #inc "\n\t"
#define PULP_ASM_LBU_POSTINC(rd, p, inc) ".insn i 0x0B, 4, " rd ", " p ", " #inc "\n\t"
#define PULP_ASM_LH_POSTINC(rd, p, inc) ".insn i 0x0B, 1, " rd ", " p ", " #inc "\n\t"
#define PULP_ASM_LHU_POSTINC(rd, p, inc) ".insn i 0x0B, 5, " rd ", " p ", " #inc "\n\t"
#define PULP_ASM_LW_POSTINC(rd, p, inc) ".insn i 0x0B, 2, " rd ", " p ", " #inc "\n\t"
#define PULP_ASM_SB_POSTINC(rs, p, inc) ".insn s 0x2B, 0, " rs ", " #inc "(" p ")\n\t"
#define PULP_ASM_SH_POSTINC(rs, p, inc) ".insn s 0x2B, 1, " rs ", " #inc "(" p ")\n\t"
#define PULP_ASM_SW_POSTINC(rs, p, inc) ".insn s 0x2B, 2, " rs ", " #inc "(" p ")\n\t"
#define PULP_ASM_MAC(rd, rs1, rs2) PULP_ASM_R("0x33, 0, 0x21", rd, rs1, rs2)
#define PULP_ASM_SDOTSP_B(rd, rs1, rs2) PULP_ASM_R("0x57, 1, 0x5C", rd, rs1, rs2)
#define PULP_ASM_SDOTSP_H(rd, rs1, rs2) PULP_ASM_R("0x57, 0, 0x5C", rd, rs1, rs2)
#define PULP_ASM_SDOTUSP_B(rd, rs1, rs2) PULP_ASM_R("0x57, 1, 0x54", rd, rs1, rs2)
#define PULP_ASM_SDOTUP_B(rd, rs1, rs2) PULP_ASM_R("0x57, 1, 0x50", rd, rs1, rs2)

#ifdef DSIM_NO_XPULP
/* ---- plain-C model of the wrapped instructions, keyed by encoding (DSIM_NO_XPULP builds) ----
 * d: the old rd (accumulating forms), a: rs1, b: rs2 or the immediate. Written from
 * ../shared/spec/xpulpv2.md; test/runtime checks it against the simulator's results. */
static inline int32_t pulp_lane(uint32_t v, int bits, int i, int sgn) {
  uint32_t x = (v >> (i * bits)) & ((1u << bits) - 1);
  if (sgn && (x >> (bits - 1))) x |= ~((1u << bits) - 1);
  return (int32_t)x;
}
static inline uint32_t pulp_set_lane(uint32_t v, int bits, int i, uint32_t x) {
  uint32_t m = ((1u << bits) - 1) << (i * bits);
  return (v & ~m) | ((x << (i * bits)) & m);
}
static inline uint32_t pulp_field_mask(int32_t spec) {
  int nbits = ((spec >> 5) & 31) + 1, pos = spec & 31;
  return (nbits == 32 ? 0xFFFFFFFFu : ((1u << nbits) - 1)) << pos;
}
static inline int32_t pulp_emu(int op, int f3, int f7, int32_t d, int32_t a, int32_t b) {
  uint32_t ua = (uint32_t)a, ub = (uint32_t)b;
  if (op == 0x33) {
    int32_t lo, hi;
    switch (f7 << 3 | f3) {
    case 0x02 << 3 | 0: return a < 0 ? (int32_t)(0u - ua) : a;           /* p.abs */
    case 0x02 << 3 | 1: return (int32_t)((ua + ub) >> 1);                 /* p.avgu */
    case 0x02 << 3 | 2: return a <= b;                                    /* p.slet */
    case 0x02 << 3 | 3: return ua <= ub;                                  /* p.sletu */
    case 0x02 << 3 | 4: return a < b ? a : b;                             /* p.min */
    case 0x02 << 3 | 5: return (int32_t)(ua < ub ? ua : ub);              /* p.minu */
    case 0x02 << 3 | 6: return a > b ? a : b;                             /* p.max */
    case 0x02 << 3 | 7: return (int32_t)(ua > ub ? ua : ub);              /* p.maxu */
    case 0x04 << 3 | 5: return (int32_t)((ua >> (ub & 31)) | (ua << ((32 - (ub & 31)) & 31))); /* p.ror */
    case 0x08 << 3 | 0: return ua ? __builtin_ctz(ua) : 32;               /* p.ff1 */
    case 0x08 << 3 | 1: return ua ? 31 - __builtin_clz(ua) : 32;          /* p.fl1 */
    case 0x08 << 3 | 2: return ua ? __builtin_clrsb(a) : 0;               /* p.clb */
    case 0x08 << 3 | 3: return __builtin_popcount(ua);                    /* p.cnt */
    case 0x08 << 3 | 4: return (int16_t)a;                                /* p.exths */
    case 0x08 << 3 | 5: return (uint16_t)a;                               /* p.exthz */
    case 0x08 << 3 | 6: return (int8_t)a;                                 /* p.extbs */
    case 0x08 << 3 | 7: return (uint8_t)a;                                /* p.extbz */
    case 0x0A << 3 | 1: lo = b ? -(1 << (b - 1)) : 0; hi = b ? (1 << (b - 1)) - 1 : 0; /* p.clipi */
      return a < lo ? lo : a > hi ? hi : a;
    case 0x0A << 3 | 2: hi = b ? (1 << (b - 1)) - 1 : 0; return a < 0 ? 0 : a > hi ? hi : a; /* p.clipui */
    case 0x0A << 3 | 5: return a < -b - 1 ? -b - 1 : a > b ? b : a;       /* p.clip */
    case 0x0A << 3 | 6: return a < 0 ? 0 : a > b ? b : a;                 /* p.clipu */
    case 0x21 << 3 | 0: return (int32_t)((uint32_t)d + ua * ub);          /* p.mac */
    case 0x21 << 3 | 1: return (int32_t)((uint32_t)d - ua * ub);          /* p.msu */
    case 0x40 << 3 | 0:                                                   /* p.extract */
    case 0x40 << 3 | 1: {                                                 /* p.extractu */
      int nbits = ((b >> 5) & 31) + 1, pos = b & 31;
      uint32_t f = (ua >> pos) & (nbits == 32 ? 0xFFFFFFFFu : (1u << nbits) - 1);
      if (f3 == 0 && nbits < 32 && (f >> (nbits - 1))) f |= ~((1u << nbits) - 1);
      return (int32_t)f;
    }
    case 0x40 << 3 | 2: {                                                 /* p.insert */
      uint32_t m = pulp_field_mask(b);
      return (int32_t)(((uint32_t)d & ~m) | ((ua << (b & 31)) & m));
    }
    case 0x40 << 3 | 3: return (int32_t)(ua & ~pulp_field_mask(b));      /* p.bclr */
    case 0x40 << 3 | 4: return (int32_t)(ua | pulp_field_mask(b));       /* p.bset */
    }
    return 0;
  }
  /* op == 0x57: packed SIMD */
  int f6 = f7 >> 1, bits = (f3 & 1) ? 8 : 16, n = 32 / bits;
  uint32_t ud = (uint32_t)d, r = 0;
  switch (f6) {
  case 0x1E: return pulp_lane(ua, bits, b & (n - 1), 1);                 /* pv.extract */
  case 0x24: return pulp_lane(ua, bits, b & (n - 1), 0);                 /* pv.extractu */
  case 0x2C: return (int32_t)pulp_set_lane(ud, bits, b & (n - 1), ua);   /* pv.insert */
  case 0x30:                                                             /* pv.shuffle */
  case 0x32:                                                             /* pv.shuffle2 */
    for (int i = 0; i < n; i++) {
      int s = pulp_lane(ub, bits, i, 0);
      uint32_t src = (f6 == 0x32 && !(s & n)) ? ud : ua;
      r = pulp_set_lane(r, bits, i, (uint32_t)pulp_lane(src, bits, s & (n - 1), 0));
    }
    return (int32_t)r;
  case 0x34: return (int32_t)(ua << 16 | (ub & 0xFFFF));                 /* pv.pack.h */
  case 0x36: return (int32_t)((ud & 0xFFFF) | (ua & 0xFF) << 24 | (ub & 0xFF) << 16); /* pv.packhi.b */
  case 0x38:
    if (f7 == 0x70) return (int32_t)((ud & 0xFFFF0000u) | (ua & 0xFF) << 8 | (ub & 0xFF)); /* pv.packlo.b */
    break;
  }
  if (f3 & 4) { /* .sc / .sci: lane 0 of b (or the immediate), replicated */
    uint32_t x = (uint32_t)pulp_lane(ub, bits, 0, 0);
    ub = 0;
    for (int i = 0; i < n; i++) ub = pulp_set_lane(ub, bits, i, x);
  }
  if (f7 == 0x38) { /* pv.abs */
    for (int i = 0; i < n; i++) {
      int32_t x = pulp_lane(ua, bits, i, 1);
      r = pulp_set_lane(r, bits, i, (uint32_t)(x < 0 ? -x : x));
    }
    return (int32_t)r;
  }
  /* dot products: 0x20 dotup, 0x22 dotusp, 0x26 dotsp, 0x28 sdotup, 0x2A sdotusp, 0x2E sdotsp */
  if (f6 >= 0x20 && f6 <= 0x2E && f6 != 0x24 && f6 != 0x2C) {
    int kind = f6 & 7, sa = kind == 6, sb = kind != 0; /* 0: up, 2: usp, 6: sp */
    uint32_t acc = f6 >= 0x28 ? ud : 0;
    for (int i = 0; i < n; i++) acc += (uint32_t)(pulp_lane(ua, bits, i, sa) * pulp_lane(ub, bits, i, sb));
    return (int32_t)acc;
  }
  /* lane-wise ALU and compares; odd funct6 = compares */
  int sgn = !(f6 == 0x06 || f6 == 0x0A || f6 == 0x0E || f6 == 0x10 || f6 == 0x14 || f6 == 0x0D || f6 == 0x0F ||
              f6 == 0x11 || f6 == 0x13);
  for (int i = 0; i < n; i++) {
    int32_t x = pulp_lane(ua, bits, i, sgn), y = pulp_lane(ub, bits, i, sgn), z = 0;
    switch (f6) {
    case 0x00: z = x + y; break;
    case 0x02: z = x - y; break;
    case 0x04: z = pulp_lane((uint32_t)(x + y), bits, 0, 1) >> 1; break;               /* avg: carry dropped */
    case 0x06: z = (int32_t)((uint32_t)pulp_lane((uint32_t)(x + y), bits, 0, 0) >> 1); break; /* avgu */
    case 0x08: case 0x0A: z = x < y ? x : y; break;
    case 0x0C: case 0x0E: z = x > y ? x : y; break;
    case 0x10: z = (int32_t)((uint32_t)x >> (y & (bits - 1))); break;
    case 0x12: z = x >> (y & (bits - 1)); break;
    case 0x14: z = (int32_t)((uint32_t)x << (y & (bits - 1))); break;
    case 0x16: z = x | y; break;
    case 0x18: z = x ^ y; break;
    case 0x1A: z = x & y; break;
    case 0x01: z = -(x == y); break;
    case 0x03: z = -(x != y); break;
    case 0x05: case 0x0D: z = -(x > y); break;
    case 0x07: case 0x0F: z = -(x >= y); break;
    case 0x09: case 0x11: z = -(x < y); break;
    case 0x0B: case 0x13: z = -(x <= y); break;
    }
    r = pulp_set_lane(r, bits, i, (uint32_t)z);
  }
  return (int32_t)r;
}
#endif /* DSIM_NO_XPULP */

#endif /* PULP_H */
