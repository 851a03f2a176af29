/* Plain-C reference for the XpulpV2 register-to-register instructions, written from
 * ../shared/spec/xpulpv2.md and the RI5CY user manual (lane types as C integer types, so lane
 * arithmetic wraps exactly like the hardware lanes). Built with the HOST gcc by the tests.
 * stdin: lines "<id> <rs1> <rs2> <rd> <imm> <imm2>" (integers); stdout: the new rd, one per line. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef union { uint32_t w; int8_t sb[4]; uint8_t ub[4]; int16_t sh[2]; uint16_t uh[2]; } vec;

static int32_t clip(int32_t v, int32_t lo, int32_t hi) { return v < lo ? lo : v > hi ? hi : v; }
static uint32_t maskbits(int width, int shift) {
  uint64_t m = width >= 32 ? 0xffffffffull : ((1ull << width) - 1);
  return (uint32_t)(m << shift);
}
static int32_t ext_signed(uint32_t a, int width, int shift) {
  if (shift + width > 32) width = 32 - shift;
  uint32_t f = (a >> shift) & (width >= 32 ? 0xffffffffu : ((1u << width) - 1));
  if (width < 32 && (f >> (width - 1)) & 1) f |= ~((1u << width) - 1);
  return (int32_t)f;
}
static int popcount(uint32_t v) { int n = 0; while (v) { n += v & 1; v >>= 1; } return n; }

/* lane operation on one pair of lane values (already of the right signedness) */
static int64_t lane(const char *op, int64_t x, int64_t y, int bits, int is_unsigned) {
  int sh = (int)(y & (bits - 1));
  if (!strcmp(op, "add")) return x + y;
  if (!strcmp(op, "sub")) return x - y;
  if (!strcmp(op, "avg")) { int64_t s = x + y; return bits == 8 ? ((int8_t)s) >> 1 : ((int16_t)s) >> 1; }
  if (!strcmp(op, "avgu")) { int64_t s = x + y; return bits == 8 ? ((uint8_t)s) >> 1 : ((uint16_t)s) >> 1; }
  if (!strcmp(op, "min") || !strcmp(op, "minu")) return x < y ? x : y;
  if (!strcmp(op, "max") || !strcmp(op, "maxu")) return x > y ? x : y;
  if (!strcmp(op, "srl")) return x >> sh; /* x unsigned */
  if (!strcmp(op, "sra")) return x >> sh; /* x signed */
  if (!strcmp(op, "sll")) return x << sh;
  if (!strcmp(op, "or")) return x | y;
  if (!strcmp(op, "xor")) return x ^ y;
  if (!strcmp(op, "and")) return x & y;
  if (!strcmp(op, "cmpeq")) return x == y ? -1 : 0;
  if (!strcmp(op, "cmpne")) return x != y ? -1 : 0;
  if (!strcmp(op, "cmpgt") || !strcmp(op, "cmpgtu")) return x > y ? -1 : 0;
  if (!strcmp(op, "cmpge") || !strcmp(op, "cmpgeu")) return x >= y ? -1 : 0;
  if (!strcmp(op, "cmplt") || !strcmp(op, "cmpltu")) return x < y ? -1 : 0;
  if (!strcmp(op, "cmple") || !strcmp(op, "cmpleu")) return x <= y ? -1 : 0;
  (void)is_unsigned;
  fprintf(stderr, "unknown lane op %s\n", op);
  return 0;
}

static int unsigned_op(const char *op) {
  return !strcmp(op, "avgu") || !strcmp(op, "minu") || !strcmp(op, "maxu") || !strcmp(op, "srl") || !strcmp(op, "sll") ||
         !strcmp(op, "cmpgtu") || !strcmp(op, "cmpgeu") || !strcmp(op, "cmpltu") || !strcmp(op, "cmpleu");
}

/* pv.<op>[.sc|.sci].<h|b> ; mode 0 = vector, 1 = scalar from rs2 lane 0, 2 = immediate */
static uint32_t simd(const char *op, int bits, int mode, uint32_t a, uint32_t b, int32_t imm) {
  vec va = {a}, vb = {b}, out = {0};
  int n = 32 / bits, u = unsigned_op(op);
  for (int i = 0; i < n; i++) {
    int64_t x, y;
    if (bits == 8) {
      x = u ? va.ub[i] : va.sb[i];
      if (mode == 0) y = u ? vb.ub[i] : vb.sb[i];
      else if (mode == 1) y = u ? vb.ub[0] : vb.sb[0];
      else y = u ? (uint8_t)imm : (int8_t)imm;
      out.ub[i] = (uint8_t)lane(op, x, y, 8, u);
    } else {
      x = u ? va.uh[i] : va.sh[i];
      if (mode == 0) y = u ? vb.uh[i] : vb.sh[i];
      else if (mode == 1) y = u ? vb.uh[0] : vb.sh[0];
      else y = u ? (uint16_t)imm : (int16_t)imm;
      out.uh[i] = (uint16_t)lane(op, x, y, 16, u);
    }
  }
  return out.w;
}

/* dot products: sa/sb = signedness of rs1/rs2 lanes; acc = rd added */
static uint32_t dotp(int bits, int sa, int sb, int mode, uint32_t a, uint32_t b, uint32_t c, int acc, int32_t imm) {
  vec va = {a}, vb = {b};
  int n = 32 / bits;
  uint32_t sum = acc ? c : 0;
  for (int i = 0; i < n; i++) {
    int32_t x, y;
    int j = mode == 0 ? i : 0;
    if (bits == 8) {
      x = sa ? va.sb[i] : va.ub[i];
      y = mode == 2 ? (sb ? (int8_t)imm : (uint8_t)imm) : (sb ? vb.sb[j] : vb.ub[j]);
    } else {
      x = sa ? va.sh[i] : va.uh[i];
      y = mode == 2 ? (sb ? (int16_t)imm : (uint16_t)imm) : (sb ? vb.sh[j] : vb.uh[j]);
    }
    sum += (uint32_t)((int64_t)x * y);
  }
  return sum;
}

static uint32_t eval(const char *id, uint32_t a, uint32_t b, uint32_t c, int32_t imm, int32_t imm2) {
  int32_t sa = (int32_t)a, sbv = (int32_t)b;
  int16_t al = (int16_t)a, ah = (int16_t)(a >> 16), bl = (int16_t)b, bh = (int16_t)(b >> 16);
  uint16_t ual = (uint16_t)a, uah = (uint16_t)(a >> 16), ubl = (uint16_t)b, ubh = (uint16_t)(b >> 16);
  int n = imm;
  uint32_t rnd = n > 0 ? (1u << (n - 1)) : 0;
  /* scalar ALU */
  /* GVSoC lib_AVGU: the 32-bit sum wraps before the shift (the carry is lost) */
  if (!strcmp(id, "p.avgu")) return (a + b) >> 1;
  if (!strcmp(id, "p.slet")) return sa <= sbv;
  if (!strcmp(id, "p.sletu")) return a <= b;
  if (!strcmp(id, "p.min")) return sa < sbv ? a : b;
  if (!strcmp(id, "p.minu")) return a < b ? a : b;
  if (!strcmp(id, "p.max")) return sa > sbv ? a : b;
  if (!strcmp(id, "p.maxu")) return a > b ? a : b;
  if (!strcmp(id, "p.ror")) { int r = b & 31; return r ? (a >> r) | (a << (32 - r)) : a; }
  if (!strcmp(id, "p.ff1")) { for (int i = 0; i < 32; i++) if ((a >> i) & 1) return i; return 32; }
  if (!strcmp(id, "p.fl1")) { for (int i = 31; i >= 0; i--) if ((a >> i) & 1) return i; return 32; }
  if (!strcmp(id, "p.clb")) {
    if (a == 0) return 0;
    int k = 0; /* leading bits equal to the sign bit, not counting the sign bit itself */
    for (int i = 30; i >= 0 && (((a >> i) & 1) == (a >> 31)); i--) k++;
    return k;
  }
  if (!strcmp(id, "p.cnt")) return popcount(a);
  if (!strcmp(id, "p.exths")) return (uint32_t)(int32_t)al;
  if (!strcmp(id, "p.exthz")) return ual;
  if (!strcmp(id, "p.extbs")) return (uint32_t)(int32_t)(int8_t)a;
  if (!strcmp(id, "p.extbz")) return (uint8_t)a;
  if (!strcmp(id, "p.abs")) return sa < 0 ? 0u - a : a;
  if (!strcmp(id, "p.clipi")) { int e = n > 0 ? n - 1 : 0; return clip(sa, -(int32_t)(1u << e), (int32_t)((1u << e) - 1)); }
  if (!strcmp(id, "p.clipui")) { int e = n > 0 ? n - 1 : 0; return clip(sa, 0, (int32_t)((1u << e) - 1)); }
  if (!strcmp(id, "p.clip")) return clip(sa, (int32_t)(0u - b - 1), sbv);
  if (!strcmp(id, "p.clipu")) return clip(sa, 0, sbv);
  if (!strcmp(id, "p.extracti")) return ext_signed(a, imm + 1, imm2);
  if (!strcmp(id, "p.extractui")) return (a & maskbits(imm + 1, imm2)) >> imm2;
  if (!strcmp(id, "p.extract")) return ext_signed(a, ((b >> 5) & 31) + 1, b & 31);
  if (!strcmp(id, "p.extractu")) return (a & maskbits(((b >> 5) & 31) + 1, b & 31)) >> (b & 31);
  if (!strcmp(id, "p.inserti")) { uint32_t m = maskbits(imm + 1, imm2); return (c & ~m) | ((a << imm2) & m); }
  if (!strcmp(id, "p.insert")) { int s = b & 31; uint32_t m = maskbits(((b >> 5) & 31) + 1, s); return (c & ~m) | ((a << s) & m); }
  if (!strcmp(id, "p.bclri")) return a & ~maskbits(imm + 1, imm2);
  if (!strcmp(id, "p.bseti")) return a | maskbits(imm + 1, imm2);
  if (!strcmp(id, "p.bclr")) return a & ~maskbits(((b >> 5) & 31) + 1, b & 31);
  if (!strcmp(id, "p.bset")) return a | maskbits(((b >> 5) & 31) + 1, b & 31);
  if (!strcmp(id, "p.mac")) return c + a * b;
  if (!strcmp(id, "p.msu")) return c - a * b;
  /* 16x16 multiplies: the product (and accumulation) wraps to 32 bits before the shift */
  if (!strcmp(id, "p.muls")) return (uint32_t)(al * bl);
  if (!strcmp(id, "p.mulhhs")) return (uint32_t)(ah * bh);
  if (!strcmp(id, "p.mulsN")) return (uint32_t)((int32_t)(al * bl) >> n);
  if (!strcmp(id, "p.mulhhsN")) return (uint32_t)((int32_t)(ah * bh) >> n);
  if (!strcmp(id, "p.mulsNR")) return (uint32_t)((int32_t)((uint32_t)(al * bl) + rnd) >> n);
  if (!strcmp(id, "p.mulhhsNR")) return (uint32_t)((int32_t)((uint32_t)(ah * bh) + rnd) >> n);
  if (!strcmp(id, "p.mulu")) return (uint32_t)ual * ubl;
  if (!strcmp(id, "p.mulhhu")) return (uint32_t)uah * ubh;
  if (!strcmp(id, "p.muluN")) return ((uint32_t)ual * ubl) >> n;
  if (!strcmp(id, "p.mulhhuN")) return ((uint32_t)uah * ubh) >> n;
  if (!strcmp(id, "p.muluNR")) return ((uint32_t)ual * ubl + rnd) >> n;
  if (!strcmp(id, "p.mulhhuNR")) return ((uint32_t)uah * ubh + rnd) >> n;
  if (!strcmp(id, "p.macs")) return c + (uint32_t)(al * bl);
  if (!strcmp(id, "p.machhs")) return c + (uint32_t)(ah * bh);
  if (!strcmp(id, "p.macsN")) return (uint32_t)((int32_t)(c + (uint32_t)(al * bl)) >> n);
  if (!strcmp(id, "p.machhsN")) return (uint32_t)((int32_t)(c + (uint32_t)(ah * bh)) >> n);
  if (!strcmp(id, "p.macsNR")) return (uint32_t)((int32_t)(c + (uint32_t)(al * bl) + rnd) >> n);
  if (!strcmp(id, "p.machhsNR")) return (uint32_t)((int32_t)(c + (uint32_t)(ah * bh) + rnd) >> n);
  if (!strcmp(id, "p.macu")) return c + (uint32_t)ual * ubl;
  if (!strcmp(id, "p.machhu")) return c + (uint32_t)uah * ubh;
  if (!strcmp(id, "p.macuN")) return (c + (uint32_t)ual * ubl) >> n;
  if (!strcmp(id, "p.machhuN")) return (c + (uint32_t)uah * ubh) >> n;
  if (!strcmp(id, "p.macuNR")) return (c + (uint32_t)ual * ubl + rnd) >> n;
  if (!strcmp(id, "p.machhuNR")) return (c + (uint32_t)uah * ubh + rnd) >> n;
  /* add/sub with normalisation: immediate forms (rs1 op rs2) >> imm; register forms (rd op rs1) >> rs2[4:0] */
  if (!strcmp(id, "p.addNi")) return (uint32_t)((int32_t)(a + b) >> n);
  if (!strcmp(id, "p.adduNi")) return (a + b) >> n;
  if (!strcmp(id, "p.addRNi")) return (uint32_t)((int32_t)(a + b + rnd) >> n);
  if (!strcmp(id, "p.adduRNi")) return (a + b + rnd) >> n;
  if (!strcmp(id, "p.subNi")) return (uint32_t)((int32_t)(a - b) >> n);
  if (!strcmp(id, "p.subuNi")) return (a - b) >> n;
  if (!strcmp(id, "p.subRNi")) return (uint32_t)((int32_t)(a - b + rnd) >> n);
  if (!strcmp(id, "p.subuRNi")) return (a - b + rnd) >> n;
  {
    int s = b & 31;
    uint32_t r = s > 0 ? (1u << (s - 1)) : 0;
    if (!strcmp(id, "p.addN")) return (uint32_t)((int32_t)(c + a) >> s);
    if (!strcmp(id, "p.adduN")) return (c + a) >> s;
    if (!strcmp(id, "p.addRN")) return (uint32_t)((int32_t)(c + a + r) >> s);
    if (!strcmp(id, "p.adduRN")) return (c + a + r) >> s;
    if (!strcmp(id, "p.subN")) return (uint32_t)((int32_t)(c - a) >> s);
    if (!strcmp(id, "p.subuN")) return (c - a) >> s;
    if (!strcmp(id, "p.subRN")) return (uint32_t)((int32_t)(c - a + r) >> s);
    if (!strcmp(id, "p.subuRN")) return (c - a + r) >> s;
  }
  /* SIMD lane moves */
  vec va = {a}, vb = {b}, vc = {c}, o = {0};
  if (!strcmp(id, "pv.abs.h")) { for (int i = 0; i < 2; i++) o.sh[i] = (int16_t)(va.sh[i] < 0 ? -va.sh[i] : va.sh[i]); return o.w; }
  if (!strcmp(id, "pv.abs.b")) { for (int i = 0; i < 4; i++) o.sb[i] = (int8_t)(va.sb[i] < 0 ? -va.sb[i] : va.sb[i]); return o.w; }
  if (!strcmp(id, "pv.extract.h")) return (uint32_t)(int32_t)va.sh[imm & 1];
  if (!strcmp(id, "pv.extract.b")) return (uint32_t)(int32_t)va.sb[imm & 3];
  if (!strcmp(id, "pv.extractu.h")) return va.uh[imm & 1];
  if (!strcmp(id, "pv.extractu.b")) return va.ub[imm & 3];
  if (!strcmp(id, "pv.insert.h")) { vc.uh[imm & 1] = va.uh[0]; return vc.w; }
  if (!strcmp(id, "pv.insert.b")) { vc.ub[imm & 3] = va.ub[0]; return vc.w; }
  if (!strcmp(id, "pv.shuffle.h")) { for (int i = 0; i < 2; i++) o.uh[i] = va.uh[vb.uh[i] & 1]; return o.w; }
  if (!strcmp(id, "pv.shuffle.h.sci")) { for (int i = 0; i < 2; i++) o.uh[i] = va.uh[(imm >> i) & 1]; return o.w; }
  if (!strcmp(id, "pv.shuffle.b")) { for (int i = 0; i < 4; i++) o.ub[i] = va.ub[vb.ub[i] & 3]; return o.w; }
  if (!strncmp(id, "pv.shufflei", 11)) {
    int k = id[11] - '0'; /* lane 3 takes byte k of rs1, lanes 0..2 use 2-bit selectors of imm */
    for (int i = 0; i < 3; i++) o.ub[i] = va.ub[(imm >> (2 * i)) & 3];
    o.ub[3] = va.ub[k];
    return o.w;
  }
  if (!strcmp(id, "pv.shuffle2.h")) { for (int i = 0; i < 2; i++) o.uh[i] = ((vb.uh[i] >> 1) & 1 ? va : vc).uh[vb.uh[i] & 1]; return o.w; }
  if (!strcmp(id, "pv.shuffle2.b")) { for (int i = 0; i < 4; i++) o.ub[i] = ((vb.ub[i] >> 2) & 1 ? va : vc).ub[vb.ub[i] & 3]; return o.w; }
  if (!strcmp(id, "pv.pack.h")) { o.uh[1] = va.uh[0]; o.uh[0] = vb.uh[0]; return o.w; }
  if (!strcmp(id, "pv.packhi.b")) { o.w = c; o.ub[3] = va.ub[0]; o.ub[2] = vb.ub[0]; return o.w; }
  if (!strcmp(id, "pv.packlo.b")) { o.w = c; o.ub[1] = va.ub[0]; o.ub[0] = vb.ub[0]; return o.w; }
  /* dot products: pv.[s]dot{sp,up,usp}.{h,b}[.sc|.sci] */
  {
    char name[32];
    const char *p = id + 3;
    int acc = 0;
    if (p[0] == 's' && !strncmp(p, "sdot", 4)) { acc = 1; p++; }
    if (!strncmp(p, "dot", 3)) {
      int sa2, sb2;
      if (!strncmp(p, "dotsp.", 6)) { sa2 = 1; sb2 = 1; p += 6; }
      else if (!strncmp(p, "dotup.", 6)) { sa2 = 0; sb2 = 0; p += 6; }
      else { sa2 = 0; sb2 = 1; p += 7; } /* dotusp. */
      int bits = p[0] == 'b' ? 8 : 16;
      int mode = strstr(p, ".sci") ? 2 : strstr(p, ".sc") ? 1 : 0;
      (void)name;
      return dotp(bits, sa2, sb2, mode, a, b, c, acc, imm);
    }
  }
  /* pv.<op>.{h,b} / pv.<op>.sc.{h,b} / pv.<op>.sci.{h,b} */
  if (!strncmp(id, "pv.", 3)) {
    char op[16];
    const char *p = id + 3, *dot = strchr(p, '.');
    size_t len = (size_t)(dot - p);
    memcpy(op, p, len);
    op[len] = 0;
    int mode = !strncmp(dot, ".sci.", 5) ? 2 : !strncmp(dot, ".sc.", 4) ? 1 : 0;
    int bits = id[strlen(id) - 1] == 'b' ? 8 : 16;
    return simd(op, bits, mode, a, b, imm);
  }
  fprintf(stderr, "unknown id %s\n", id);
  return 0xdeadbeef;
}

int main(void) {
  char id[64];
  long long a, b, c, imm, imm2;
  while (scanf("%63s %lld %lld %lld %lld %lld", id, &a, &b, &c, &imm, &imm2) == 6)
    printf("%d\n", (int32_t)eval(id, (uint32_t)a, (uint32_t)b, (uint32_t)c, (int32_t)imm, (int32_t)imm2));
  return 0;
}
