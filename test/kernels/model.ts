// An independent TypeScript model of the integer kernels, written from ../shared/spec/operators.md
// (not from the C code): the expected values of the kernel tests. int32 arithmetic wraps like C
// (Math.imul, |0); 64-bit steps use BigInt.
import seedrandom from 'seedrandom';

export type Rng = () => number;
export function rng(seed: string): Rng {
  return seedrandom(seed);
}
export function randInt(r: Rng, lo: number, hi: number): number {
  return lo + Math.floor(r() * (hi - lo + 1));
}
export function randArray(r: Rng, n: number, lo: number, hi: number): number[] {
  return Array.from({ length: n }, () => randInt(r, lo, hi));
}

/** C cast of an int32 value to a narrower integer type. */
export function castTo(type: string, v: number): number {
  switch (type) {
    case 'int8_t':
      return (v << 24) >> 24;
    case 'uint8_t':
      return v & 0xff;
    case 'int16_t':
      return (v << 16) >> 16;
    case 'uint16_t':
      return v & 0xffff;
    case 'uint32_t':
      return v >>> 0;
    default:
      return v | 0;
  }
}

export interface Rq {
  mul: number[];
  add: number[];
  log2d: number;
  inOff: number;
  outOff: number;
  lo: number;
  hi: number;
}

/** RequantShift of one value (operators.md: rounding on, int32 arithmetic). */
export function requant(acc: number, mul: number, add: number, q: Pick<Rq, 'log2d' | 'inOff' | 'outOff' | 'lo' | 'hi'>): number {
  let v = (Math.imul((acc + q.inOff) | 0, mul) + add) | 0;
  if (q.log2d > 0) v = ((v + 2 ** (q.log2d - 1)) | 0) >> q.log2d;
  v = (v + q.outOff) | 0;
  return Math.min(Math.max(v, q.lo), q.hi);
}

export function levels(n: number, signed: boolean): [number, number] {
  return signed ? [-n / 2, n / 2 - 1] : [0, n - 1];
}

/** Dense row-major strides of a shape. */
export function strides(shape: number[]): number[] {
  const s = new Array<number>(shape.length).fill(1);
  for (let d = shape.length - 2; d >= 0; d--) s[d] = s[d + 1]! * shape[d + 1]!;
  return s;
}

/** NumPy broadcasting strides of an operand shape against an output shape (0 where broadcast). */
export function bcastStrides(opShape: number[], outShape: number[]): number[] {
  const nd = outShape.length;
  const padded = [...new Array<number>(nd - opShape.length).fill(1), ...opShape];
  const st = strides(padded);
  return padded.map((d, i) => (d === 1 && outShape[i] !== 1 ? 0 : st[i]!));
}

/** Visit each multi-index of shape in row-major order. */
export function forEachIndex(shape: number[], fn: (idx: number[], flat: number) => void): void {
  const n = shape.reduce((a, b) => a * b, 1);
  const idx = new Array<number>(shape.length).fill(0);
  for (let f = 0; f < n; f++) {
    fn(idx, f);
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d]! < shape[d]!) break;
      idx[d] = 0;
    }
  }
}
export function dot(idx: number[], st: number[]): number {
  let o = 0;
  for (let i = 0; i < idx.length; i++) o += idx[i]! * st[i]!;
  return o;
}

export interface GemmSpec {
  M: number;
  N: number;
  K: number;
  batch: [number, number];
  aBs: [number, number];
  bBs: [number, number];
  cBs: [number, number];
  cRs: number;
  cCs: number;
  alpha: number;
  beta: number;
  aOff: number;
  bOff: number;
  transA: boolean;
  transB: boolean;
  /** strides of mul/add over (b0, b1, m, n) */
  mulS: number[];
  addS: number[];
}

/** Y (dense b0,b1,M,N) of dk_gemm's definition; rq undefined = raw int32. */
export function gemm(A: number[], B: number[], C: number[] | null, g: GemmSpec, rq?: Rq): number[] {
  const Y: number[] = [];
  for (let b0 = 0; b0 < g.batch[0]; b0++)
    for (let b1 = 0; b1 < g.batch[1]; b1++) {
      const ab = b0 * g.aBs[0] + b1 * g.aBs[1];
      const bb = b0 * g.bBs[0] + b1 * g.bBs[1];
      const cb = b0 * g.cBs[0] + b1 * g.cBs[1];
      for (let m = 0; m < g.M; m++)
        for (let n = 0; n < g.N; n++) {
          let acc = 0;
          for (let k = 0; k < g.K; k++) {
            const a = A[ab + (g.transA ? k * g.M + m : m * g.K + k)]!;
            const b = B[bb + (g.transB ? n * g.K + k : k * g.N + n)]!;
            acc = (acc + Math.imul(a + g.aOff, b + g.bOff)) | 0;
          }
          let v = Math.imul(acc, g.alpha);
          if (C) v = (v + Math.imul(g.beta, C[cb + m * g.cRs + n * g.cCs]!)) | 0;
          if (rq) {
            const i4 = [b0, b1, m, n];
            v = requant(v, rq.mul[dot(i4, g.mulS)]!, rq.add[dot(i4, g.addS)]!, rq);
          }
          Y.push(v);
        }
    }
  return Y;
}

export interface ConvSpec {
  N: number;
  C: number;
  H: number;
  W: number;
  K: number;
  KH: number;
  KW: number;
  sh: number;
  sw: number;
  dh: number;
  dw: number;
  pt: number;
  pl: number;
  pb: number;
  pr: number;
  group: number;
  xOff: number;
  mulS: number[];
  addS: number[];
}
export function convOut(c: ConvSpec): [number, number] {
  const OH = Math.floor((c.H + c.pt + c.pb - c.dh * (c.KH - 1) - 1) / c.sh) + 1;
  const OW = Math.floor((c.W + c.pl + c.pr - c.dw * (c.KW - 1) - 1) / c.sw) + 1;
  return [OH, OW];
}
export function conv(X: number[], Wt: number[], bias: number[] | null, c: ConvSpec, rq?: Rq): number[] {
  const [OH, OW] = convOut(c);
  const Cg = c.C / c.group;
  const Kg = c.K / c.group;
  const Y: number[] = [];
  for (let n = 0; n < c.N; n++)
    for (let k = 0; k < c.K; k++)
      for (let oh = 0; oh < OH; oh++)
        for (let ow = 0; ow < OW; ow++) {
          let acc = bias ? bias[k]! : 0;
          const g = Math.floor(k / Kg);
          for (let ci = 0; ci < Cg; ci++)
            for (let kh = 0; kh < c.KH; kh++)
              for (let kw = 0; kw < c.KW; kw++) {
                const ih = oh * c.sh - c.pt + kh * c.dh;
                const iw = ow * c.sw - c.pl + kw * c.dw;
                if (ih < 0 || ih >= c.H || iw < 0 || iw >= c.W) continue;
                const x = X[((n * c.C + g * Cg + ci) * c.H + ih) * c.W + iw]!;
                const w = Wt[((k * Cg + ci) * c.KH + kh) * c.KW + kw]!;
                acc = (acc + Math.imul(x + c.xOff, w)) | 0;
              }
          if (rq) {
            const i4 = [n, k, oh, ow];
            acc = requant(acc, rq.mul[dot(i4, c.mulS)]!, rq.add[dot(i4, c.addS)]!, rq);
          }
          Y.push(acc);
        }
  return Y;
}

/** floor(a / b) for BigInt */
export function floorDivBig(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

/** iSoftmax of one row (operators.md), unsigned result. */
export function iSoftmaxRow(x: number[], A: number, B: number, C: number, log2: number, n: number): number[] {
  const mx = Math.max(...x);
  const e = x.map((v) => {
    const xt = v - mx;
    let z = Math.trunc(-xt / log2);
    z = Math.min(Math.max(z, 0), 31);
    const p = BigInt(xt + z * log2);
    return (BigInt(A) * (p + BigInt(B)) ** 2n + BigInt(C)) >> BigInt(z);
  });
  let sum = e.reduce((a, b) => a + b, 0n);
  if (sum === 0n) sum = 1n;
  return e.map((v) => Number((v * BigInt(n - 1)) / sum));
}

export function iTAMaxRow(x: number[], n: number): number[] {
  const mx = Math.max(...x);
  const sh = x.map((v) => (mx - v + 16) >> 5);
  const sum = sh.reduce((a, s) => a + (256 >> s), 0);
  const q = Math.trunc(((n - 1) * 256) / sum);
  return sh.map((s) => (q >> s) - n / 2);
}

export function isqrt(s: bigint): bigint {
  let lo = 0n;
  let hi = s;
  while (lo < hi) {
    const mid = (lo + hi + 1n) / 2n;
    if (mid * mid <= s) lo = mid;
    else hi = mid - 1n;
  }
  return lo;
}

export function iRmsNormRow(x: number[], w: number[], log2d: number, inOff: number, lo: number, hi: number): number[] {
  const v = x.map((a) => a + inOff);
  const sq = v.reduce((a, b) => a + BigInt(b) * BigInt(b), 0n);
  const sd = Number(isqrt(sq / BigInt(v.length) + 1n));
  return v.map((a, j) => Math.min(Math.max(Math.trunc(Math.imul(a, w[j]!) / sd) >> log2d, lo), hi));
}

export function iLayerNormRow(x: number[], w: number[], b: number[], log2d: number, inOff: number): number[] {
  const v = x.map((a) => a + inOff);
  const mean = Math.trunc(v.reduce((a, c) => a + c, 0) / v.length);
  const d = v.map((a) => a - mean);
  const vr = d.reduce((a, c) => a + BigInt(c) * BigInt(c), 0n) / BigInt(v.length) + 1n;
  const sd = Number(isqrt(vr));
  return d.map((a, j) => ((Math.trunc(Math.imul(a, w[j]!) / sd) + b[j]!) | 0) >> log2d);
}
