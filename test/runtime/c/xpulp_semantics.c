/* Runs the pulp.h wrappers on the simulator and compares each result with a plain-C model of the
 * instruction written from ../shared/spec/xpulpv2.md (and the RI5CY manual where the spec is
 * silent). Built with -DDSIM_NO_XPULP it checks pulp.h's plain-C fallback instead (under qemu). Prints "MISMATCH <wrapper> ..." for each difference (first few per wrapper), then
 * "xpulp: <checks> checks, <n> mismatches", and exits with 1 when any differ. */
#include <dsim.h>

static int mismatches, checks;
static struct { const char *name; int count; } bad[64];
static int nbad;

static void report(const char *name, uint32_t a, uint32_t b, uint32_t c, uint32_t got, uint32_t exp) {
  mismatches++;
  int k = 0;
  while (k < nbad && bad[k].name != name) k++;
  if (k == nbad && nbad < 64) bad[nbad++].name = name;
  if (k < 64 && bad[k].count++ < 2)
    printf("MISMATCH %s a=0x%08x b=0x%08x c=0x%08x: got 0x%08x, expected 0x%08x\n", name, a, b, c, got, exp);
}
#define CHECK3(name, a, b, c, got, exp)                                                       \
  do {                                                                                        \
    uint32_t g_ = (uint32_t)(got), e_ = (uint32_t)(exp);                                      \
    checks++;                                                                                 \
    if (g_ != e_) report(name, (uint32_t)(a), (uint32_t)(b), (uint32_t)(c), g_, e_);          \
  } while (0)

/* ---- test vectors: edge cases + a few pseudo-random words ---- */
#define NV 20
static uint32_t V[NV] = {0, 1, 0xFFFFFFFFu, 0x80000000u, 0x7FFFFFFFu, 0x00010001u, 0x7F807F80u, 0x80808080u,
                         0x7F7F7F7Fu, 0x01FF7F80u, 0x8000FFFFu, 0x12345678u, 0xFEDCBA98u, 0x00FF00FFu};
static void init_vectors(void) {
  uint32_t s = 0x1234567u;
  for (int i = 14; i < NV; i++) {
    s = s * 1664525u + 1013904223u;
    V[i] = s ^ (s >> 13);
  }
}

/* ---- lane helpers (lane 0 = least significant) ---- */
static int32_t lane(uint32_t v, int bits, int i, int sgn) {
  uint32_t x = (v >> (i * bits)) & ((1u << bits) - 1);
  if (sgn && (x >> (bits - 1))) x |= ~((1u << bits) - 1);
  return (int32_t)x;
}
static uint32_t set_lane(uint32_t v, int bits, int i, uint32_t x) {
  uint32_t m = ((1u << bits) - 1) << (i * bits);
  return (v & ~m) | ((x << (i * bits)) & m);
}
static uint32_t replicate(uint32_t x, int bits) {
  uint32_t r = 0;
  for (int i = 0; i < 32 / bits; i++) r = set_lane(r, bits, i, x);
  return r;
}

typedef int32_t (*lane_fn)(int32_t a, int32_t b, int bits);
static int32_t f_add(int32_t a, int32_t b, int n) { (void)n; return a + b; }
static int32_t f_sub(int32_t a, int32_t b, int n) { (void)n; return a - b; }
/* avg: the lane-width sum (carry dropped, as the RI5CY adder and PULP's own test generator do),
 * shifted right by one: arithmetic for pv.avg, logical for pv.avgu */
static int32_t f_avg(int32_t a, int32_t b, int n) { return lane((uint32_t)(a + b), n, 0, 1) >> 1; }
static int32_t f_avgu(int32_t a, int32_t b, int n) { return (int32_t)((uint32_t)lane((uint32_t)(a + b), n, 0, 0) >> 1); }
static int32_t f_min(int32_t a, int32_t b, int n) { (void)n; return a < b ? a : b; }
static int32_t f_max(int32_t a, int32_t b, int n) { (void)n; return a > b ? a : b; }
static int32_t f_srl(int32_t a, int32_t b, int n) { (void)n; return (int32_t)((uint32_t)a >> b); }
static int32_t f_sra(int32_t a, int32_t b, int n) { (void)n; return a >> b; }
static int32_t f_sll(int32_t a, int32_t b, int n) { (void)n; return (int32_t)((uint32_t)a << b); }
static int32_t f_or(int32_t a, int32_t b, int n) { (void)n; return a | b; }
static int32_t f_xor(int32_t a, int32_t b, int n) { (void)n; return a ^ b; }
static int32_t f_and(int32_t a, int32_t b, int n) { (void)n; return a & b; }
static int32_t f_eq(int32_t a, int32_t b, int n) { (void)n; return a == b ? -1 : 0; }
static int32_t f_ne(int32_t a, int32_t b, int n) { (void)n; return a != b ? -1 : 0; }
static int32_t f_gt(int32_t a, int32_t b, int n) { (void)n; return a > b ? -1 : 0; }
static int32_t f_ge(int32_t a, int32_t b, int n) { (void)n; return a >= b ? -1 : 0; }
static int32_t f_lt(int32_t a, int32_t b, int n) { (void)n; return a < b ? -1 : 0; }
static int32_t f_le(int32_t a, int32_t b, int n) { (void)n; return a <= b ? -1 : 0; }

/* lane-wise model; sgn: lanes read signed; b_mode: 0 vector, 1 scalar from b's lane 0 */
static uint32_t model(uint32_t a, uint32_t b, int bits, int sgn, int scalar, lane_fn f) {
  if (scalar) b = replicate((uint32_t)lane(b, bits, 0, 0), bits);
  uint32_t r = 0;
  for (int i = 0; i < 32 / bits; i++) r = set_lane(r, bits, i, (uint32_t)f(lane(a, bits, i, sgn), lane(b, bits, i, sgn), bits));
  return r;
}
/* shift amounts must stay below the lane width (larger ones are not pinned by the spec) */
static uint32_t shamt_mask(int bits) { return bits == 8 ? 0x07070707u : 0x000F000Fu; }

#define RR_SIMD(op, f, sgn, isshift)                                                                     \
  for (int i = 0; i < NV; i++)                                                                           \
    for (int j = 0; j < NV; j++) {                                                                       \
      uint32_t a = V[i], bh = isshift ? V[j] & shamt_mask(16) : V[j], bb = isshift ? V[j] & shamt_mask(8) : V[j]; \
      CHECK3("pv_" #op "_h", a, bh, 0, pv_##op##_h(a, bh), model(a, bh, 16, sgn, 0, f));                 \
      CHECK3("pv_" #op "_b", a, bb, 0, pv_##op##_b(a, bb), model(a, bb, 8, sgn, 0, f));                  \
      CHECK3("pv_" #op "_sc_h", a, bh, 0, pv_##op##_sc_h(a, bh), model(a, bh, 16, sgn, 1, f));           \
      CHECK3("pv_" #op "_sc_b", a, bb, 0, pv_##op##_sc_b(a, bb), model(a, bb, 8, sgn, 1, f));            \
    }                                                                                                    \
  for (int i = 0; i < NV; i++) {                                                                         \
    uint32_t a = V[i];                                                                                   \
    const int32_t ih = isshift ? 3 : sgn ? -5 : 45, ib = isshift ? 7 : sgn ? -32 : 63;                    \
    CHECK3("pv_" #op "_sci_h", a, ih, 0, pv_##op##_sci_h(a, isshift ? 3 : sgn ? -5 : 45),                \
           model(a, replicate((uint32_t)ih, 16), 16, sgn, 0, f));                                         \
    CHECK3("pv_" #op "_sci_b", a, ib, 0, pv_##op##_sci_b(a, isshift ? 7 : sgn ? -32 : 63),                   \
           model(a, replicate((uint32_t)ib, 8), 8, sgn, 0, f));                                           \
  }

static void test_simd_alu(void) {
  RR_SIMD(add, f_add, 1, 0)
  RR_SIMD(sub, f_sub, 1, 0)
  RR_SIMD(avg, f_avg, 1, 0)
  RR_SIMD(avgu, f_avgu, 0, 0)
  RR_SIMD(min, f_min, 1, 0)
  RR_SIMD(minu, f_min, 0, 0)
  RR_SIMD(max, f_max, 1, 0)
  RR_SIMD(maxu, f_max, 0, 0)
  RR_SIMD(srl, f_srl, 0, 1)
  RR_SIMD(sra, f_sra, 1, 1)
  RR_SIMD(sll, f_sll, 0, 1)
  RR_SIMD(or, f_or, 1, 0)
  RR_SIMD(xor, f_xor, 1, 0)
  RR_SIMD(and, f_and, 1, 0)
  RR_SIMD(cmpeq, f_eq, 1, 0)
  RR_SIMD(cmpne, f_ne, 1, 0)
  RR_SIMD(cmpgt, f_gt, 1, 0)
  RR_SIMD(cmpge, f_ge, 1, 0)
  RR_SIMD(cmplt, f_lt, 1, 0)
  RR_SIMD(cmple, f_le, 1, 0)
  RR_SIMD(cmpgtu, f_gt, 0, 0)
  RR_SIMD(cmpgeu, f_ge, 0, 0)
  RR_SIMD(cmpltu, f_lt, 0, 0)
  RR_SIMD(cmpleu, f_le, 0, 0)
  for (int i = 0; i < NV; i++) {
    uint32_t a = V[i], rh = 0, rb = 0;
    for (int k = 0; k < 2; k++) rh = set_lane(rh, 16, k, (uint32_t)abs(lane(a, 16, k, 1)));
    for (int k = 0; k < 4; k++) rb = set_lane(rb, 8, k, (uint32_t)abs(lane(a, 8, k, 1)));
    CHECK3("pv_abs_h", a, 0, 0, pv_abs_h(a), rh);
    CHECK3("pv_abs_b", a, 0, 0, pv_abs_b(a), rb);
  }
}

/* dot products: sa/sb: signedness of a's and b's lanes */
static int32_t dot(uint32_t a, uint32_t b, int bits, int sa, int sb, int scalar) {
  if (scalar) b = replicate((uint32_t)lane(b, bits, 0, 0), bits);
  int32_t s = 0;
  for (int i = 0; i < 32 / bits; i++) s += lane(a, bits, i, sa) * lane(b, bits, i, sb);
  return s;
}

#define DOT(op, sa, sb)                                                                                    \
  for (int i = 0; i < NV; i++)                                                                             \
    for (int j = 0; j < NV; j++) {                                                                         \
      uint32_t a = V[i], b = V[j], c = V[(i + j) % NV];                                                    \
      CHECK3("pv_" #op "_h", a, b, 0, pv_##op##_h(a, b), dot(a, b, 16, sa, sb, 0));                        \
      CHECK3("pv_" #op "_b", a, b, 0, pv_##op##_b(a, b), dot(a, b, 8, sa, sb, 0));                         \
      CHECK3("pv_" #op "_h_sc", a, b, 0, pv_##op##_h_sc(a, b), dot(a, b, 16, sa, sb, 1));                  \
      CHECK3("pv_" #op "_b_sc", a, b, 0, pv_##op##_b_sc(a, b), dot(a, b, 8, sa, sb, 1));                   \
      CHECK3("pv_s" #op "_h", a, b, c, pv_s##op##_h(c, a, b), c + dot(a, b, 16, sa, sb, 0));               \
      CHECK3("pv_s" #op "_b", a, b, c, pv_s##op##_b(c, a, b), c + dot(a, b, 8, sa, sb, 0));                \
      CHECK3("pv_s" #op "_h_sc", a, b, c, pv_s##op##_h_sc(c, a, b), c + dot(a, b, 16, sa, sb, 1));         \
      CHECK3("pv_s" #op "_b_sc", a, b, c, pv_s##op##_b_sc(c, a, b), c + dot(a, b, 8, sa, sb, 1));          \
    }                                                                                                      \
  for (int i = 0; i < NV; i++) {                                                                           \
    uint32_t a = V[i], c = V[NV - 1 - i];                                                                  \
    int32_t imm = sb ? -7 : 50;                                                                            \
    CHECK3("pv_" #op "_h_sci", a, imm, 0, pv_##op##_h_sci(a, sb ? -7 : 50), dot(a, replicate((uint32_t)imm, 16), 16, sa, sb, 0)); \
    CHECK3("pv_" #op "_b_sci", a, imm, 0, pv_##op##_b_sci(a, sb ? -7 : 50), dot(a, replicate((uint32_t)imm, 8), 8, sa, sb, 0));  \
    CHECK3("pv_s" #op "_b_sci", a, imm, c, pv_s##op##_b_sci(c, a, sb ? -7 : 50), c + dot(a, replicate((uint32_t)imm, 8), 8, sa, sb, 0)); \
  }

static void test_dot(void) {
  DOT(dotsp, 1, 1)
  DOT(dotup, 0, 0)
  DOT(dotusp, 0, 1)
}

static void test_lanes(void) {
  for (int i = 0; i < NV; i++)
    for (int j = 0; j < NV; j++) {
      uint32_t a = V[i], d = V[j], sel = V[(i * 7 + j) % NV];
      CHECK3("pv_extract_h", a, 1, 0, pv_extract_h(a, 1), lane(a, 16, 1, 1));
      CHECK3("pv_extract_b", a, 2, 0, pv_extract_b(a, 2), lane(a, 8, 2, 1));
      CHECK3("pv_extractu_h", a, 0, 0, pv_extractu_h(a, 0), lane(a, 16, 0, 0));
      CHECK3("pv_extractu_b", a, 3, 0, pv_extractu_b(a, 3), lane(a, 8, 3, 0));
      CHECK3("pv_insert_h", a, 1, d, pv_insert_h(d, a, 1), set_lane(d, 16, 1, a));
      CHECK3("pv_insert_b", a, 2, d, pv_insert_b(d, a, 2), set_lane(d, 8, 2, a));
      uint32_t rb = 0, rh = 0, r2b = 0, r2h = 0;
      for (int k = 0; k < 4; k++) {
        int s = lane(sel, 8, k, 0);
        rb = set_lane(rb, 8, k, (uint32_t)lane(a, 8, s & 3, 0));
        r2b = set_lane(r2b, 8, k, (uint32_t)lane((s & 4) ? a : d, 8, s & 3, 0)); /* RI5CY: bit 2 set -> rs1 */
      }
      for (int k = 0; k < 2; k++) {
        int s = lane(sel, 16, k, 0);
        rh = set_lane(rh, 16, k, (uint32_t)lane(a, 16, s & 1, 0));
        r2h = set_lane(r2h, 16, k, (uint32_t)lane((s & 2) ? a : d, 16, s & 1, 0));
      }
      CHECK3("pv_shuffle_b", a, sel, 0, pv_shuffle_b(a, sel), rb);
      CHECK3("pv_shuffle_h", a, sel, 0, pv_shuffle_h(a, sel), rh);
      CHECK3("pv_shuffle2_b", a, sel, d, pv_shuffle2_b(d, a, sel), r2b);
      CHECK3("pv_shuffle2_h", a, sel, d, pv_shuffle2_h(d, a, sel), r2h);
      CHECK3("pv_pack_h", a, d, 0, pv_pack_h(a, d), (a << 16) | (d & 0xFFFF));
      CHECK3("pv_packhi_b", a, sel, d, pv_packhi_b(d, a, sel), (d & 0xFFFF) | (a & 0xFF) << 24 | (sel & 0xFF) << 16);
      CHECK3("pv_packlo_b", a, sel, d, pv_packlo_b(d, a, sel), (d & 0xFFFF0000u) | (a & 0xFF) << 8 | (sel & 0xFF));
    }
}

static int32_t clampi(int32_t x, int32_t lo, int32_t hi) { return x < lo ? lo : x > hi ? hi : x; }
static int32_t ref_ff1(uint32_t x) { for (int i = 0; i < 32; i++) if (x >> i & 1) return i; return 32; }
static int32_t ref_fl1(uint32_t x) { for (int i = 31; i >= 0; i--) if (x >> i & 1) return i; return 32; }
static int32_t ref_cnt(uint32_t x) { int n = 0; while (x) n += x & 1, x >>= 1; return n; }
static int32_t ref_clb(uint32_t x) { /* redundant sign bits below the sign bit */
  int n = 0;
  for (int i = 30; i >= 0 && ((x >> i) & 1) == (x >> 31); i--) n++;
  return n;
}
static uint32_t field_mask(int nbits, int pos) { return (nbits == 32 ? 0xFFFFFFFFu : ((1u << nbits) - 1)) << pos; }
static int32_t ref_extract(uint32_t x, int nbits, int pos, int sgn) {
  uint32_t f = (x >> pos) & (nbits == 32 ? 0xFFFFFFFFu : (1u << nbits) - 1);
  if (sgn && nbits < 32 && (f >> (nbits - 1))) f |= ~((1u << nbits) - 1);
  return (int32_t)f;
}

static void test_scalar(void) {
  for (int i = 0; i < NV; i++) {
    uint32_t a = V[i];
    int32_t sa = (int32_t)a;
    CHECK3("p_abs", a, 0, 0, p_abs(sa), sa < 0 ? 0u - a : a);
    CHECK3("p_ff1", a, 0, 0, p_ff1(sa), ref_ff1(a));
    CHECK3("p_fl1", a, 0, 0, p_fl1(sa), ref_fl1(a));
    if (a != 0) CHECK3("p_clb", a, 0, 0, p_clb(sa), ref_clb(a)); /* clb(0) is not pinned */
    CHECK3("p_cnt", a, 0, 0, p_cnt(sa), ref_cnt(a));
    CHECK3("p_exths", a, 0, 0, p_exths(sa), (int32_t)(int16_t)a);
    CHECK3("p_exthz", a, 0, 0, p_exthz(sa), a & 0xFFFF);
    CHECK3("p_extbs", a, 0, 0, p_extbs(sa), (int32_t)(int8_t)a);
    CHECK3("p_extbz", a, 0, 0, p_extbz(sa), a & 0xFF);
    CHECK3("p_clipi", a, 8, 0, p_clipi(sa, 8), clampi(sa, -128, 127));
    CHECK3("p_clipi", a, 1, 0, p_clipi(sa, 1), clampi(sa, -1, 0));
    CHECK3("p_clipi", a, 16, 0, p_clipi(sa, 16), clampi(sa, -32768, 32767));
    CHECK3("p_clipui", a, 8, 0, p_clipui(sa, 8), clampi(sa, 0, 127));
    CHECK3("p_extracti", a, 5, 3, p_extracti(sa, 5, 3), ref_extract(a, 5, 3, 1));
    CHECK3("p_extracti", a, 8, 24, p_extracti(sa, 8, 24), ref_extract(a, 8, 24, 1));
    CHECK3("p_extractui", a, 5, 3, p_extractui(sa, 5, 3), ref_extract(a, 5, 3, 0));
    CHECK3("p_extractui", a, 12, 20, p_extractui(sa, 12, 20), ref_extract(a, 12, 20, 0));
    CHECK3("p_bseti", a, 4, 6, p_bseti(sa, 4, 6), a | field_mask(4, 6));
    CHECK3("p_bclri", a, 7, 9, p_bclri(sa, 7, 9), a & ~field_mask(7, 9));
    for (int j = 0; j < NV; j++) {
      uint32_t b = V[j], c = V[(i + 3 * j) % NV];
      int32_t sb = (int32_t)b;
      CHECK3("p_min", a, b, 0, p_min(sa, sb), sa < sb ? sa : sb);
      CHECK3("p_max", a, b, 0, p_max(sa, sb), sa > sb ? sa : sb);
      CHECK3("p_minu", a, b, 0, p_minu(sa, sb), a < b ? a : b);
      CHECK3("p_maxu", a, b, 0, p_maxu(sa, sb), a > b ? a : b);
      CHECK3("p_slet", a, b, 0, p_slet(sa, sb), sa <= sb);
      CHECK3("p_sletu", a, b, 0, p_sletu(sa, sb), a <= b);
      CHECK3("p_ror", a, b, 0, p_ror(sa, sb), (a >> (b & 31)) | (a << ((32 - (b & 31)) & 31)));
      CHECK3("p_mac", a, b, c, p_mac((int32_t)c, sa, sb), c + a * b);
      CHECK3("p_msu", a, b, c, p_msu((int32_t)c, sa, sb), c - a * b);
      int32_t hi = (int32_t)(b & 0x7FFF); /* clip bounds: non-negative */
      CHECK3("p_clip", a, hi, 0, p_clip(sa, hi), clampi(sa, -hi - 1, hi));
      CHECK3("p_clipu", a, hi, 0, p_clipu(sa, hi), clampi(sa, 0, hi));
      CHECK3("p_inserti", a, 6, c, p_inserti(c, sa, 6, 10), (c & ~field_mask(6, 10)) | ((a << 10) & field_mask(6, 10)));
      int nb = (int)(b & 15) + 1, pos = (int)((b >> 8) & 15); /* fields inside the word */
      int32_t spec = ((nb - 1) << 5) | pos;
      CHECK3("p_extract", a, spec, 0, p_extract(sa, spec), ref_extract(a, nb, pos, 1));
      CHECK3("p_extractu", a, spec, 0, p_extractu(sa, spec), ref_extract(a, nb, pos, 0));
      CHECK3("p_insert", a, spec, c, p_insert((int32_t)c, sa, spec), (c & ~field_mask(nb, pos)) | ((a << pos) & field_mask(nb, pos)));
      CHECK3("p_bset", a, spec, 0, p_bset(sa, spec), a | field_mask(nb, pos));
      CHECK3("p_bclr", a, spec, 0, p_bclr(sa, spec), a & ~field_mask(nb, pos));
    }
  }
  for (int i = 0; i < NV; i++) /* p.avgu: (a + b) >> 1 without the carry-out ambiguity */
    for (int j = 0; j < NV; j++) {
      uint32_t a = V[i] >> 1, b = V[j] >> 1;
      CHECK3("p_avgu", a, b, 0, p_avgu((int32_t)a, (int32_t)b), (a + b) >> 1);
    }
}

static int8_t mem8[64];
static int16_t mem16[32];
static int32_t mem32[16];

static void test_memory(void) {
  for (int i = 0; i < 64; i++) mem8[i] = (int8_t)(i * 37 - 100);
  for (int i = 0; i < 32; i++) mem16[i] = (int16_t)(i * 3001 - 40000);
  for (int i = 0; i < 16; i++) mem32[i] = (int32_t)(V[i] ^ 0x5A5A5A5Au);
  const int8_t *p8 = mem8;
  const uint8_t *pu8 = (const uint8_t *)mem8;
  const int16_t *p16 = mem16;
  const uint16_t *pu16 = (const uint16_t *)mem16;
  const int32_t *p32 = mem32;
  for (int i = 0; i < 8; i++) {
    CHECK3("p_lb_postinc", i, 0, 0, p_lb_postinc(&p8), mem8[i]);
    CHECK3("p_lbu_postinc", i, 0, 0, p_lbu_postinc(&pu8), (uint8_t)mem8[i]);
    CHECK3("p_lh_postinc", i, 0, 0, p_lh_postinc(&p16), mem16[i]);
    CHECK3("p_lhu_postinc", i, 0, 0, p_lhu_postinc(&pu16), (uint16_t)mem16[i]);
    CHECK3("p_lw_postinc", i, 0, 0, p_lw_postinc(&p32), mem32[i]);
  }
  CHECK3("p_lb_postinc ptr", 0, 0, 0, (uintptr_t)p8, (uintptr_t)(mem8 + 8));
  CHECK3("p_lh_postinc ptr", 0, 0, 0, (uintptr_t)p16, (uintptr_t)(mem16 + 8));
  CHECK3("p_lw_postinc ptr", 0, 0, 0, (uintptr_t)p32, (uintptr_t)(mem32 + 8));
  const int8_t *q8 = mem8 + 40;
  int32_t v = P_LB_POSTINC_I(q8, -3);
  CHECK3("P_LB_POSTINC_I", 0, 0, 0, v, mem8[40]);
  CHECK3("P_LB_POSTINC_I ptr", 0, 0, 0, (uintptr_t)q8, (uintptr_t)(mem8 + 37));
  const int32_t *q32 = mem32 + 2;
  v = p_lw_postinc_r(&q32, 12);
  CHECK3("p_lw_postinc_r", 0, 0, 0, v, mem32[2]);
  CHECK3("p_lw_postinc_r ptr", 0, 0, 0, (uintptr_t)q32, (uintptr_t)(mem32 + 5));
  const int16_t *q16 = mem16 + 10;
  v = P_LH_POSTINC_R(q16, -4);
  CHECK3("P_LH_POSTINC_R", 0, 0, 0, v, mem16[10]);
  CHECK3("P_LH_POSTINC_R ptr", 0, 0, 0, (uintptr_t)q16, (uintptr_t)(mem16 + 8));
  const uint8_t *qu8 = (const uint8_t *)mem8 + 5;
  CHECK3("P_LBU_POSTINC_R", 0, 0, 0, P_LBU_POSTINC_R(qu8, 2), (uint8_t)mem8[5]);
  CHECK3("P_LB_RR", 0, 0, 0, P_LB_RR(mem8, 13), mem8[13]);
  CHECK3("P_LBU_RR", 0, 0, 0, P_LBU_RR(mem8, 13), (uint8_t)mem8[13]);
  CHECK3("P_LH_RR", 0, 0, 0, P_LH_RR(mem16, 6), mem16[3]);
  CHECK3("P_LHU_RR", 0, 0, 0, P_LHU_RR(mem16, 6), (uint16_t)mem16[3]);
  CHECK3("P_LW_RR", 0, 0, 0, P_LW_RR(mem32, 20), mem32[5]);
  CHECK3("p_lw_postinc_v4", 0, 0, 0, ({ const int8_t *t = mem8; p_lw_postinc_v4(&t); }),
         pulp_pack4(mem8[0], mem8[1], mem8[2], mem8[3]));

  int8_t *w8 = mem8;
  int16_t *w16 = mem16;
  int32_t *w32 = mem32;
  for (int i = 0; i < 4; i++) {
    p_sb_postinc(&w8, 0x100 + i * 3);
    p_sh_postinc(&w16, 0x10000 + i * 1000);
    p_sw_postinc(&w32, (int32_t)(0xCAFE0000u + (uint32_t)i));
  }
  for (int i = 0; i < 4; i++) {
    CHECK3("p_sb_postinc", i, 0, 0, mem8[i], (int8_t)(i * 3));
    CHECK3("p_sh_postinc", i, 0, 0, mem16[i], (int16_t)(i * 1000));
    CHECK3("p_sw_postinc", i, 0, 0, mem32[i], 0xCAFE0000u + (uint32_t)i);
  }
  CHECK3("p_sw_postinc ptr", 0, 0, 0, (uintptr_t)w32, (uintptr_t)(mem32 + 4));
  w32 = mem32 + 10;
  p_sw_postinc_r(&w32, 77, -8);
  CHECK3("p_sw_postinc_r", 0, 0, 0, mem32[10], 77);
  CHECK3("p_sw_postinc_r ptr", 0, 0, 0, (uintptr_t)w32, (uintptr_t)(mem32 + 8));
  w16 = mem16 + 20;
  P_SH_POSTINC_I(w16, -5, 6);
  CHECK3("P_SH_POSTINC_I", 0, 0, 0, mem16[20], -5);
  CHECK3("P_SH_POSTINC_I ptr", 0, 0, 0, (uintptr_t)w16, (uintptr_t)(mem16 + 23));
  w8 = mem8 + 50;
  P_SB_POSTINC_R(w8, 99, 3);
  CHECK3("P_SB_POSTINC_R", 0, 0, 0, mem8[50], 99);
  CHECK3("P_SB_POSTINC_R ptr", 0, 0, 0, (uintptr_t)w8, (uintptr_t)(mem8 + 53));
  P_SW_RR(mem32, 44, 0x1234);
  P_SH_RR(mem16, 60, 0x4321);
  P_SB_RR(mem8, 63, 0x21);
  CHECK3("P_SW_RR", 0, 0, 0, mem32[11], 0x1234);
  CHECK3("P_SH_RR", 0, 0, 0, mem16[30], 0x4321);
  CHECK3("P_SB_RR", 0, 0, 0, mem8[63], 0x21);
}

#ifndef DSIM_NO_XPULP /* hardware loops are asm blocks: no plain-C build */
static void test_hwloops(void) {
  /* int8 dot product of n words with the matmul pattern, against plain C */
  for (int n = 1; n <= 16; n += 5) {
    int32_t acc = 7, x, y, ref = 7;
    const int8_t *pa = mem8, *pb = mem8 + 64 - 4 * n;
    for (int k = 0; k < 4 * n; k++) ref += mem8[k] * mem8[64 - 4 * n + k];
    __asm__ volatile(PULP_HWLOOP_BEGIN(0, "%[n]", 3)
                       PULP_ASM_LW_POSTINC("%[x]", "%[pa]", 4)
                       PULP_ASM_LW_POSTINC("%[y]", "%[pb]", 4)
                       PULP_ASM_SDOTSP_B("%[acc]", "%[x]", "%[y]")
                     PULP_HWLOOP_END(0, 3)
                     : [acc] "+r"(acc), [pa] "+r"(pa), [pb] "+r"(pb), [x] "=&r"(x), [y] "=&r"(y)
                     : [n] "r"(n)
                     : "memory");
    CHECK3("hwloop sdotsp.b", n, 0, 0, acc, ref);
    CHECK3("hwloop pointer", n, 0, 0, (uintptr_t)pa, (uintptr_t)(mem8 + 4 * n));
  }
  /* nested: outer 5 x (inner 3 x (acc += i; i += 2) ; acc *= 2 ; outer_count++) */
  {
    int32_t acc = 1, i = 1, outer = 0, n1 = 5, n0 = 3;
    __asm__ volatile(PULP_HWLOOP_BEGIN(1, "%[n1]", 7)
                       PULP_HWLOOP_BEGIN(0, "%[n0]", 3)
                         "add %[acc], %[acc], %[i]\n\t"
                         "addi %[i], %[i], 2\n\t"
                         "addi %[acc], %[acc], 0\n\t"
                       PULP_HWLOOP_END(0, 3)
                       "slli %[acc], %[acc], 1\n\t"
                       "addi %[o], %[o], 1\n\t"
                       "addi %[o], %[o], 0\n\t"
                     PULP_HWLOOP_END(1, 7)
                     : [acc] "+r"(acc), [i] "+r"(i), [o] "+r"(outer)
                     : [n1] "r"(n1), [n0] "r"(n0));
    int32_t racc = 1, ri = 1;
    for (int o = 0; o < 5; o++) {
      for (int k = 0; k < 3; k++) racc += ri, ri += 2;
      racc *= 2;
    }
    CHECK3("nested hwloop acc", 0, 0, 0, acc, racc);
    CHECK3("nested hwloop outer", 0, 0, 0, outer, 5);
  }
  /* lp.setupi: constant count */
  {
    int32_t s = 0, k = 0;
    __asm__ volatile(PULP_HWLOOPI_BEGIN(0, 100, 3)
                       "addi %[k], %[k], 1\n\t"
                       "add %[s], %[s], %[k]\n\t"
                       "addi %[s], %[s], 0\n\t"
                     PULP_HWLOOP_END(0, 3)
                     : [s] "+r"(s), [k] "+r"(k));
    CHECK3("lp.setupi sum", 0, 0, 0, s, 5050);
  }
}

#endif

int main(void) {
  init_vectors();
  test_simd_alu();
  test_dot();
  test_lanes();
  test_scalar();
  test_memory();
#ifndef DSIM_NO_XPULP
  test_hwloops();
#endif
  for (int k = 0; k < nbad; k++) printf("  %s: %d mismatches\n", bad[k].name, bad[k].count);
  printf("xpulp: %d checks, %d mismatches\n", checks, mismatches);
  return mismatches ? 1 : 0;
}
