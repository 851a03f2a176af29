// Semantics of the XpulpV2 register-to-register instructions (everything except loads, stores,
// branches, hardware loops and p.elw, which the core handles itself). One function per table id:
//   (a = rs1 value, b = rs2 value, c = rd value before the instruction, imm, imm2) => new rd value.
// Facts from xpulpv2.md and GVSoC's pulp_v2.hpp / isa_lib/int.h (behaviour only, no code copied):
// lane results wrap to the lane width; pv.avg wraps the lane sum before the shift; pv shifts use the
// shift amount modulo the lane width; .sc takes rs2's lane 0, .sci the 6-bit immediate, both
// converted to the lane type; p.clipi with Is2 = 0 clamps to [-1, 0].
export type AluFn = (a: number, b: number, c: number, imm: number, imm2: number) => number;

const s16 = (v: number) => (v << 16) >> 16;
const s8 = (v: number) => (v << 24) >> 24;
const SL = (v: number) => s16(v);
const SH = (v: number) => v >> 16;
const ZL = (v: number) => v & 0xffff;
const ZH = (v: number) => v >>> 16;

interface LaneType {
  readonly n: number; // lanes
  readonly w: number; // lane width in bits
  readonly mask: number;
  get(v: number, i: number, signed: boolean): number;
}
const H: LaneType = {
  n: 2,
  w: 16,
  mask: 0xffff,
  get: (v, i, s) => (s ? ((v << (16 - 16 * i)) >> 16) : (v >>> (16 * i)) & 0xffff),
};
const B: LaneType = {
  n: 4,
  w: 8,
  mask: 0xff,
  get: (v, i, s) => (s ? ((v << (24 - 8 * i)) >> 24) : (v >>> (8 * i)) & 0xff),
};
const conv = (t: LaneType, v: number, signed: boolean) =>
  signed ? (t.w === 16 ? s16(v) : s8(v)) : v & t.mask;

/** Lane-wise op. `y` is either rs2's lane i, or one scalar for every lane. */
function lanes(t: LaneType, signed: boolean, f: (x: number, y: number) => number, scalar?: (b: number, imm: number) => number): AluFn {
  return (a, b, _c, imm) => {
    let out = 0;
    const ys = scalar ? conv(t, scalar(b, imm), signed) : 0;
    for (let i = 0; i < t.n; i++) {
      const y = scalar ? ys : t.get(b, i, signed);
      out |= (f(t.get(a, i, signed), y) & t.mask) << (t.w * i);
    }
    return out | 0;
  };
}

const SC = (b: number) => b; // lane 0 of rs2 after conversion
const SCI = (_b: number, imm: number) => imm;

// name -> [signed lanes?, lane op]
type LaneOp = (x: number, y: number, t: LaneType) => number;
const VEC_OPS: Record<string, [boolean, LaneOp]> = {
  add: [true, (x, y) => x + y],
  sub: [true, (x, y) => x - y],
  avg: [true, (x, y, t) => conv(t, x + y, true) >> 1],
  avgu: [false, (x, y, t) => conv(t, x + y, false) >>> 1],
  min: [true, (x, y) => (x > y ? y : x)],
  minu: [false, (x, y) => (x > y ? y : x)],
  max: [true, (x, y) => (x > y ? x : y)],
  maxu: [false, (x, y) => (x > y ? x : y)],
  srl: [false, (x, y, t) => x >>> (y & (t.w - 1))],
  sra: [true, (x, y, t) => x >> (y & (t.w - 1))],
  sll: [false, (x, y, t) => x << (y & (t.w - 1))],
  or: [true, (x, y) => x | y],
  xor: [true, (x, y) => x ^ y],
  and: [true, (x, y) => x & y],
  cmpeq: [true, (x, y) => (x === y ? -1 : 0)],
  cmpne: [true, (x, y) => (x !== y ? -1 : 0)],
  cmpgt: [true, (x, y) => (x > y ? -1 : 0)],
  cmpge: [true, (x, y) => (x >= y ? -1 : 0)],
  cmplt: [true, (x, y) => (x < y ? -1 : 0)],
  cmple: [true, (x, y) => (x <= y ? -1 : 0)],
  cmpgtu: [false, (x, y) => (x > y ? -1 : 0)],
  cmpgeu: [false, (x, y) => (x >= y ? -1 : 0)],
  cmpltu: [false, (x, y) => (x < y ? -1 : 0)],
  cmpleu: [false, (x, y) => (x <= y ? -1 : 0)],
};

// dot products: [rs1 lanes signed?, rs2 lanes signed?, accumulate into rd?]
const DOT_OPS: Record<string, [boolean, boolean, boolean]> = {
  dotsp: [true, true, false],
  dotup: [false, false, false],
  dotusp: [false, true, false],
  sdotsp: [true, true, true],
  sdotup: [false, false, true],
  sdotusp: [false, true, true],
};

function dot(t: LaneType, sa: boolean, sb: boolean, acc: boolean, scalar?: (b: number, imm: number) => number): AluFn {
  return (a, b, c, imm) => {
    let sum = acc ? c : 0;
    const ys = scalar ? conv(t, scalar(b, imm), sb) : 0;
    for (let i = 0; i < t.n; i++) sum = (sum + Math.imul(t.get(a, i, sa), scalar ? ys : t.get(b, i, sb))) | 0;
    return sum;
  };
}

const clip = (v: number, lo: number, hi: number) => (v < lo ? lo : v > hi ? hi : v);
const bitMask = (width: number, shift: number) => ((width >= 32 ? -1 : (1 << width) - 1) << shift) | 0;
function extractS(a: number, width: number, shift: number): number {
  if (shift + width > 32) width = 32 - shift;
  const f = (a >>> shift) & (width >= 32 ? -1 : (1 << width) - 1);
  return (f << (32 - width)) >> (32 - width);
}
const extractU = (a: number, width: number, shift: number) => ((a & bitMask(width, shift)) >>> shift) | 0;
const insert = (rd: number, a: number, width: number, shift: number) => {
  const m = bitMask(width, shift);
  return (rd & ~m) | ((a << shift) & m);
};
const round = (n: number) => (n > 0 ? 1 << (n - 1) : 0);
const clz = Math.clz32;

function shuffleB(a: number, sel: (i: number) => number, src: (i: number) => number = () => a): number {
  let out = 0;
  for (let i = 0; i < 4; i++) out |= ((src(i) >>> (8 * (sel(i) & 3))) & 0xff) << (8 * i);
  return out | 0;
}
function shuffleH(a: number, sel: (i: number) => number, src: (i: number) => number = () => a): number {
  let out = 0;
  for (let i = 0; i < 2; i++) out |= ((src(i) >>> (16 * (sel(i) & 1))) & 0xffff) << (16 * i);
  return out | 0;
}

export const xpulpAlu: Record<string, AluFn> = {
  // ---- scalar ALU ----
  'p.avgu': (a, b) => (((a >>> 0) + (b >>> 0)) % 0x100000000) >>> 1,
  'p.slet': (a, b) => (a <= b ? 1 : 0),
  'p.sletu': (a, b) => (a >>> 0 <= b >>> 0 ? 1 : 0),
  'p.min': (a, b) => (a < b ? a : b),
  'p.minu': (a, b) => (a >>> 0 < b >>> 0 ? a : b),
  'p.max': (a, b) => (a > b ? a : b),
  'p.maxu': (a, b) => (a >>> 0 > b >>> 0 ? a : b),
  'p.ror': (a, b) => ((a >>> (b & 31)) | (a << ((32 - (b & 31)) & 31))) | 0,
  'p.ff1': (a) => (a === 0 ? 32 : 31 - clz(a & -a)),
  'p.fl1': (a) => (a === 0 ? 32 : 31 - clz(a)),
  'p.clb': (a) => (a === 0 ? 0 : clz(a < 0 ? ~a : a) - 1),
  'p.cnt': (a) => {
    let v = a >>> 0;
    let n = 0;
    for (; v; v &= v - 1) n++;
    return n;
  },
  'p.exths': (a) => s16(a),
  'p.exthz': (a) => a & 0xffff,
  'p.extbs': (a) => s8(a),
  'p.extbz': (a) => a & 0xff,
  'p.abs': (a) => (a < 0 ? -a | 0 : a),
  'p.clipi': (a, _b, _c, imm) => clip(a, -(1 << Math.max(imm - 1, 0)) | 0, ((1 << Math.max(imm - 1, 0)) - 1) | 0),
  'p.clipui': (a, _b, _c, imm) => clip(a, 0, ((1 << Math.max(imm - 1, 0)) - 1) | 0),
  'p.clip': (a, b) => clip(a, (-b - 1) | 0, b),
  'p.clipu': (a, b) => clip(a, 0, b),
  'p.extracti': (a, _b, _c, is3, is2) => extractS(a, is3 + 1, is2),
  'p.extractui': (a, _b, _c, is3, is2) => extractU(a, is3 + 1, is2),
  'p.extract': (a, b) => extractS(a, ((b >> 5) & 31) + 1, b & 31),
  'p.extractu': (a, b) => extractU(a, ((b >> 5) & 31) + 1, b & 31),
  'p.inserti': (a, _b, c, is3, is2) => insert(c, a, is3 + 1, is2),
  'p.insert': (a, b, c) => insert(c, a, ((b >> 5) & 31) + 1, b & 31),
  'p.bclri': (a, _b, _c, is3, is2) => a & ~bitMask(is3 + 1, is2),
  'p.bseti': (a, _b, _c, is3, is2) => a | bitMask(is3 + 1, is2),
  'p.bclr': (a, b) => a & ~bitMask(((b >> 5) & 31) + 1, b & 31),
  'p.bset': (a, b) => a | bitMask(((b >> 5) & 31) + 1, b & 31),
  // ---- multiply-accumulate (32 x 32, low word) ----
  'p.mac': (a, b, c) => (c + Math.imul(a, b)) | 0,
  'p.msu': (a, b, c) => (c - Math.imul(a, b)) | 0,
  // ---- 16 x 16 multiplies with normalisation (N = imm) and rounding (R) ----
  'p.muls': (a, b) => SL(a) * SL(b),
  'p.mulhhs': (a, b) => SH(a) * SH(b),
  'p.mulsN': (a, b, _c, n) => (SL(a) * SL(b)) >> n,
  'p.mulhhsN': (a, b, _c, n) => (SH(a) * SH(b)) >> n,
  'p.mulsNR': (a, b, _c, n) => ((SL(a) * SL(b) + round(n)) | 0) >> n,
  'p.mulhhsNR': (a, b, _c, n) => ((SH(a) * SH(b) + round(n)) | 0) >> n,
  'p.mulu': (a, b) => (ZL(a) * ZL(b)) | 0,
  'p.mulhhu': (a, b) => (ZH(a) * ZH(b)) | 0,
  'p.muluN': (a, b, _c, n) => ((ZL(a) * ZL(b)) >>> n) | 0,
  'p.mulhhuN': (a, b, _c, n) => ((ZH(a) * ZH(b)) >>> n) | 0,
  'p.muluNR': (a, b, _c, n) => ((ZL(a) * ZL(b) + round(n)) >>> 0 >>> n) | 0,
  'p.mulhhuNR': (a, b, _c, n) => ((ZH(a) * ZH(b) + round(n)) >>> 0 >>> n) | 0,
  'p.macs': (a, b, c) => (c + SL(a) * SL(b)) | 0,
  'p.machhs': (a, b, c) => (c + SH(a) * SH(b)) | 0,
  'p.macsN': (a, b, c, n) => ((c + SL(a) * SL(b)) | 0) >> n,
  'p.machhsN': (a, b, c, n) => ((c + SH(a) * SH(b)) | 0) >> n,
  'p.macsNR': (a, b, c, n) => ((c + SL(a) * SL(b) + round(n)) | 0) >> n,
  'p.machhsNR': (a, b, c, n) => ((c + SH(a) * SH(b) + round(n)) | 0) >> n,
  'p.macu': (a, b, c) => (c + ZL(a) * ZL(b)) | 0,
  'p.machhu': (a, b, c) => (c + ZH(a) * ZH(b)) | 0,
  'p.macuN': (a, b, c, n) => ((c + ZL(a) * ZL(b)) >>> 0 >>> n) | 0,
  'p.machhuN': (a, b, c, n) => ((c + ZH(a) * ZH(b)) >>> 0 >>> n) | 0,
  'p.macuNR': (a, b, c, n) => ((c + ZL(a) * ZL(b) + round(n)) >>> 0 >>> n) | 0,
  'p.machhuNR': (a, b, c, n) => ((c + ZH(a) * ZH(b) + round(n)) >>> 0 >>> n) | 0,
  // ---- add/sub with normalisation: immediate forms (N = imm) and register forms (rd op= rs1, N = rs2) ----
  'p.addNi': (a, b, _c, n) => ((a + b) | 0) >> n,
  'p.adduNi': (a, b, _c, n) => ((a + b) >>> 0 >>> n) | 0,
  'p.addRNi': (a, b, _c, n) => ((a + b + round(n)) | 0) >> n,
  'p.adduRNi': (a, b, _c, n) => ((a + b + round(n)) >>> 0 >>> n) | 0,
  'p.subNi': (a, b, _c, n) => ((a - b) | 0) >> n,
  'p.subuNi': (a, b, _c, n) => ((a - b) >>> 0 >>> n) | 0,
  'p.subRNi': (a, b, _c, n) => ((a - b + round(n)) | 0) >> n,
  'p.subuRNi': (a, b, _c, n) => ((a - b + round(n)) >>> 0 >>> n) | 0,
  'p.addN': (a, b, c) => ((c + a) | 0) >> (b & 31),
  'p.adduN': (a, b, c) => ((c + a) >>> 0 >>> (b & 31)) | 0,
  'p.addRN': (a, b, c) => ((c + a + round(b & 31)) | 0) >> (b & 31),
  'p.adduRN': (a, b, c) => ((c + a + round(b & 31)) >>> 0 >>> (b & 31)) | 0,
  'p.subN': (a, b, c) => ((c - a) | 0) >> (b & 31),
  'p.subuN': (a, b, c) => ((c - a) >>> 0 >>> (b & 31)) | 0,
  'p.subRN': (a, b, c) => ((c - a + round(b & 31)) | 0) >> (b & 31),
  'p.subuRN': (a, b, c) => ((c - a + round(b & 31)) >>> 0 >>> (b & 31)) | 0,
  // ---- SIMD lane moves ----
  'pv.abs.h': lanes(H, true, (x) => (x < 0 ? -x : x)),
  'pv.abs.b': lanes(B, true, (x) => (x < 0 ? -x : x)),
  'pv.extract.h': (a, _b, _c, imm) => H.get(a, imm & 1, true),
  'pv.extract.b': (a, _b, _c, imm) => B.get(a, imm & 3, true),
  'pv.extractu.h': (a, _b, _c, imm) => H.get(a, imm & 1, false),
  'pv.extractu.b': (a, _b, _c, imm) => B.get(a, imm & 3, false),
  'pv.insert.h': (a, _b, c, imm) => insert(c, a, 16, 16 * (imm & 1)),
  'pv.insert.b': (a, _b, c, imm) => insert(c, a, 8, 8 * (imm & 3)),
  'pv.shuffle.h': (a, b) => shuffleH(a, (i) => b >>> (16 * i)),
  'pv.shuffle.h.sci': (a, _b, _c, imm) => shuffleH(a, (i) => imm >>> i),
  'pv.shuffle.b': (a, b) => shuffleB(a, (i) => b >>> (8 * i)),
  // shufflei<k>: lanes 0..2 from the immediate (2 bits each), lane 3 = rs1 byte k (k in the funct6)
  'pv.shufflei0.b.sci': (a, _b, _c, imm) => shuffleB(a, (i) => (i === 3 ? 0 : imm >>> (2 * i))),
  'pv.shufflei1.b.sci': (a, _b, _c, imm) => shuffleB(a, (i) => (i === 3 ? 1 : imm >>> (2 * i))),
  'pv.shufflei2.b.sci': (a, _b, _c, imm) => shuffleB(a, (i) => (i === 3 ? 2 : imm >>> (2 * i))),
  'pv.shufflei3.b.sci': (a, _b, _c, imm) => shuffleB(a, (i) => (i === 3 ? 3 : imm >>> (2 * i))),
  // shuffle2: selector bit 1 (.h) / bit 2 (.b) of each lane picks rs1 (set) or rd (clear)
  'pv.shuffle2.h': (a, b, c) => shuffleH(a, (i) => b >>> (16 * i), (i) => ((b >>> (16 * i + 1)) & 1 ? a : c)),
  'pv.shuffle2.b': (a, b, c) => shuffleB(a, (i) => b >>> (8 * i), (i) => ((b >>> (8 * i + 2)) & 1 ? a : c)),
  'pv.pack.h': (a, b) => ((a & 0xffff) << 16) | (b & 0xffff),
  'pv.packhi.b': (a, b, c) => ((a & 0xff) << 24) | ((b & 0xff) << 16) | (c & 0xffff),
  'pv.packlo.b': (a, b, c) => ((a & 0xff) << 8) | (b & 0xff) | (c & 0xffff0000),
};

for (const [name, [signed, op]] of Object.entries(VEC_OPS)) {
  for (const [sfx, t] of [['h', H], ['b', B]] as const) {
    xpulpAlu[`pv.${name}.${sfx}`] = lanes(t, signed, (x, y) => op(x, y, t));
    xpulpAlu[`pv.${name}.sc.${sfx}`] = lanes(t, signed, (x, y) => op(x, y, t), SC);
    xpulpAlu[`pv.${name}.sci.${sfx}`] = lanes(t, signed, (x, y) => op(x, y, t), SCI);
  }
}
for (const [name, [sa, sb, acc]] of Object.entries(DOT_OPS)) {
  for (const [sfx, t] of [['h', H], ['b', B]] as const) {
    xpulpAlu[`pv.${name}.${sfx}`] = dot(t, sa, sb, acc);
    xpulpAlu[`pv.${name}.${sfx}.sc`] = dot(t, sa, sb, acc, SC);
    xpulpAlu[`pv.${name}.${sfx}.sci`] = dot(t, sa, sb, acc, SCI);
  }
}
