// The QuantLib / Deeploy integer operators. Formulas: ../shared/spec/operators.md and
// docs/reference.md (one place each); checked against the conformance golden files.
import { InputError } from '../../errors.js';
import { attrNumber, broadcastShapes } from '../../frontend/shapes.js';
import { type OpContext, type OpImpl, type Value, need, floorDiv, truncDiv, SAFE } from '../value.js';

/** Output range of n levels: signed [-n/2, n/2-1], unsigned [0, n-1]. */
export function levels(ctx: OpContext, signedDefault: number): [number, number] {
  const n = ctx.node;
  const nl = n.attrs.n_levels_out !== undefined ? attrNumber(n, 'n_levels_out') : attrNumber(n, 'n_levels', 256);
  const signed = attrNumber(n, 'signed', signedDefault) !== 0;
  return signed ? [-nl / 2, nl / 2 - 1] : [0, nl - 1];
}

export function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

/** Index into a per-channel parameter for element i of x: NumPy broadcasting, else axis 1. */
function paramIndexer(x: Value, p: Value, ctx: OpContext, what: string): (i: number) => number {
  if (p.data.length === 1) return () => 0;
  const b = broadcastShapes(x.shape, p.shape);
  if (b && b.length === x.shape.length && b.every((d, k) => d === x.shape[k])) {
    const rank = x.shape.length;
    const ps = p.shape;
    const off = rank - ps.length;
    const pstr: number[] = new Array(rank).fill(0);
    let acc = 1;
    for (let k = ps.length - 1; k >= 0; k--) {
      pstr[k + off] = ps[k] === 1 ? 0 : acc;
      acc *= ps[k]!;
    }
    const xstr: number[] = new Array(rank);
    acc = 1;
    for (let k = rank - 1; k >= 0; k--) {
      xstr[k] = acc;
      acc *= x.shape[k]!;
    }
    return (i) => {
      let o = 0;
      for (let k = 0; k < rank; k++) if (pstr[k]) o += (Math.floor(i / xstr[k]!) % x.shape[k]!) * pstr[k]!;
      return o;
    };
  }
  // Per-channel values shaped (C,1,...,1) apply along axis 1 (Deeploy's channels-first convention).
  const C = x.shape[1];
  if (C !== undefined && p.data.length === C) {
    const inner = x.shape.slice(2).reduce((a, d) => a * d, 1);
    return (i) => Math.floor(i / inner) % C;
  }
  throw new InputError(`node '${ctx.node.name}' (${ctx.node.op}): ${what} of shape [${p.shape}] fits neither NumPy broadcasting nor the channels of [${x.shape}]`);
}

/** floor((x*m + a + floor(div/2)) / div), exact (BigInt when the product passes 2^53). */
function requant(x: number, m: number, a: number, div: number, half: number, pow2: boolean): number {
  const p = x * m;
  if (Math.abs(p) + Math.abs(a) + half < SAFE) {
    const v = p + a + half;
    return pow2 ? Math.floor(v / div) : floorDiv(v, div);
  }
  const v = BigInt(x) * BigInt(m) + BigInt(a) + BigInt(half);
  const d = BigInt(div);
  let q = v / d;
  if (v % d !== 0n && v < 0n) q -= 1n;
  return Number(q);
}

const RequantShift: OpImpl = (inputs, ctx) => {
  const x = need(inputs, 0, ctx);
  const mul = need(inputs, 1, ctx);
  const add = need(inputs, 2, ctx);
  const div = attrNumber(ctx.node, 'div');
  // integer arithmetic throughout (the C kernel's): a fractional div, mul or add is a bad file
  const where = `node '${ctx.node.name}' (${ctx.node.op})`;
  if (!Number.isSafeInteger(div) || div < 1) throw new InputError(`${where}: div ${div}: expected a positive integer`);
  for (const [what, v] of [['mul', mul], ['add', add]] as const) {
    const bad = v.data.findIndex((e) => !Number.isSafeInteger(e));
    if (bad >= 0) throw new InputError(`${where}: ${what} holds ${v.data[bad]} at index ${bad}: expected integers`);
  }
  const [lo, hi] = levels(ctx, 1);
  const half = Math.floor(div / 2);
  const pow2 = Number.isInteger(Math.log2(div));
  const mi = paramIndexer(x, mul, ctx, 'mul');
  const ai = paramIndexer(x, add, ctx, 'add');
  const out = new Float64Array(x.data.length);
  const md = mul.data;
  const ad = add.data;
  let overflow = 0;
  for (let i = 0; i < out.length; i++) {
    const xv = x.data[i]!;
    const m = md[mi(i)]!;
    const a = ad[ai(i)]!;
    const t = xv * m + a;
    if (!Number.isFinite(t) || (!Number.isInteger(xv) && Math.abs(t) >= SAFE)) throw new InputError(`${where}: input holds ${xv} at index ${i}: expected finite integers`);
    if (t > 2147483647 || t < -2147483648) overflow++;
    out[i] = clamp(requant(xv, m, a, div, half, pow2), lo, hi);
  }
  if (overflow) ctx.warn(`x*mul+add overflows int32 in ${overflow} of ${out.length} elements; the C kernel (int32 intermediate) would wrap`);
  return [{ dtype: ctx.out(0).dtype, shape: x.shape.slice(), data: out }];
};

/** Apply f to each row of the last axis. */
export function rows(x: Value, f: (row: Float64Array, out: Float64Array) => void): Float64Array {
  const L = x.shape[x.shape.length - 1] ?? 1;
  const out = new Float64Array(x.data.length);
  for (let o = 0; o + L <= x.data.length && L > 0; o += L) f(x.data.subarray(o, o + L), out.subarray(o, o + L));
  return out;
}

/** I-BERT integer softmax; the output is the unsigned value in [0, n-1] (as the golden files hold). */
const iSoftmax: OpImpl = (inputs, ctx) => {
  const x = need(inputs, 0, ctx);
  const n = ctx.node;
  const A = attrNumber(n, 'coeffA');
  const B = attrNumber(n, 'coeffB');
  const C = attrNumber(n, 'coeffC');
  const log2 = attrNumber(n, 'log2');
  const nl = attrNumber(n, 'n_levels', 256);
  const data = rows(x, (row, out) => {
    let max = -Infinity;
    for (const v of row) if (v > max) max = v;
    let sum = 0;
    for (let j = 0; j < row.length; j++) {
      const xt = row[j]! - max;
      const z = clamp(truncDiv(-xt, log2), 0, 31);
      const p = xt + z * log2;
      const poly = A * (p + B) * (p + B) + C; // int64 in the C kernel
      const y = Math.abs(poly) < SAFE ? Math.floor(poly / 2 ** z) : Number((BigInt(A) * BigInt(p + B) * BigInt(p + B) + BigInt(C)) >> BigInt(z));
      out[j] = y;
      sum += y;
    }
    if (sum === 0) throw new InputError(`node '${n.name}' (iSoftmax): every exponent term of a row is 0 (coefficients give no mass)`);
    for (let j = 0; j < row.length; j++) out[j] = truncDiv(out[j]! * (nl - 1), sum);
  });
  return [{ dtype: ctx.out(0).dtype, shape: x.shape.slice(), data }];
};

/** ITA's softmax (ITAMax), per row; output signed (minus n/2) as in Deeploy's kernel. */
const ITAMax: OpImpl = (inputs, ctx) => {
  const x = need(inputs, 0, ctx);
  const nl = attrNumber(ctx.node, 'n_levels', 256);
  const data = rows(x, (row, out) => {
    let max = -Infinity;
    for (const v of row) if (v > max) max = v;
    let sum = 0;
    const shifts = new Array<number>(row.length);
    for (let j = 0; j < row.length; j++) {
      const s = Math.floor((max - row[j]! + 16) / 32);
      shifts[j] = s;
      sum += Math.floor(256 / 2 ** s);
    }
    const scale = Math.floor(((nl - 1) * 256) / sum);
    for (let j = 0; j < row.length; j++) out[j] = Math.floor(scale / 2 ** shifts[j]!) - nl / 2;
  });
  return [{ dtype: ctx.out(0).dtype, shape: x.shape.slice(), data }];
};

/** Largest r with r*r <= v (v >= 0). */
export function isqrt(v: number): number {
  let r = Math.floor(Math.sqrt(v));
  while (r * r > v) r--;
  while ((r + 1) * (r + 1) <= v) r++;
  return r;
}

function log2Of(ctx: OpContext, name: string): number {
  const D = attrNumber(ctx.node, name);
  const l = Math.log2(D);
  if (!Number.isInteger(l)) throw new InputError(`node '${ctx.node.name}' (${ctx.node.op}): ${name} = ${D} is not a power of two`);
  return l;
}

const iRMSNorm: OpImpl = (inputs, ctx) => {
  const x = need(inputs, 0, ctx);
  const w = need(inputs, 1, ctx);
  const log2D = log2Of(ctx, 'D');
  const nl = attrNumber(ctx.node, 'n_levels', 256);
  const lo = -nl / 2;
  const hi = nl / 2 - 1;
  const data = rows(x, (row, out) => {
    const N = row.length;
    let sq = 0;
    for (const v of row) sq += v * v;
    const std = isqrt(Math.floor(sq / N) + 1);
    for (let j = 0; j < N; j++) out[j] = clamp(Math.floor(truncDiv(row[j]! * w.data[j % w.data.length]!, std) / 2 ** log2D), lo, hi);
  });
  return [{ dtype: ctx.out(0).dtype, shape: x.shape.slice(), data }];
};

/** Integer LayerNorm (Deeploy's Layernorm_s8: a cast to int8 at the end, no clamp). */
const iLayerNorm: OpImpl = (inputs, ctx) => {
  const x = need(inputs, 0, ctx);
  const w = need(inputs, 1, ctx);
  const b = need(inputs, 2, ctx);
  const log2D = log2Of(ctx, 'D');
  const data = rows(x, (row, out) => {
    const N = row.length;
    let s = 0;
    for (const v of row) s += v;
    const mean = truncDiv(s, N);
    let sq = 0;
    for (const v of row) sq += (v - mean) * (v - mean);
    const std = isqrt(truncDiv(sq, N) + 1);
    for (let j = 0; j < N; j++) {
      const v = Math.floor((truncDiv((row[j]! - mean) * w.data[j % w.data.length]!, std) + b.data[j % b.data.length]!) / 2 ** log2D);
      out[j] = ((((v + 128) % 256) + 256) % 256) - 128; // (int8_t) cast
    }
  });
  return [{ dtype: ctx.out(0).dtype, shape: x.shape.slice(), data }];
};

const iHardswish: OpImpl = (inputs, ctx) => {
  const x = need(inputs, 0, ctx);
  const n = ctx.node;
  const oneOverSix = attrNumber(n, 'one_over_six');
  const three = attrNumber(n, 'three');
  const six = attrNumber(n, 'six');
  const out = new Float64Array(x.data.length);
  for (let i = 0; i < out.length; i++) {
    const v = x.data[i]!;
    out[i] = v * (clamp(v + three, 0, six) * oneOverSix);
  }
  return [{ dtype: ctx.out(0).dtype, shape: x.shape.slice(), data: out }];
};

const iGELU: OpImpl = (inputs, ctx) => {
  const x = need(inputs, 0, ctx);
  const b = attrNumber(ctx.node, 'b');
  const one = attrNumber(ctx.node, 'one');
  const out = new Float64Array(x.data.length);
  for (let i = 0; i < out.length; i++) {
    const v = x.data[i]!;
    const q = Math.min(Math.abs(v), -b);
    const L = Math.sign(v) * (one - (q + b) * (q + b));
    out[i] = v * Math.floor((one + L) / 2);
  }
  return [{ dtype: ctx.out(0).dtype, shape: x.shape.slice(), data: out }];
};

/**
 * TrueIntegerDiv: out = a * floor(Delta*eta / (eta*y + eps)). The integer coefficient comes first:
 * the intermediate tensors in microLlama1/8 activations.npz hold exactly a * 8191 for
 * Delta=16384, eta=200000, y=2, eps=1, where operators.md's floor(Delta*eta*a / (eta*y+eps))
 * gives e.g. -98304 instead of -98292 for a = -12 (both agree after the following RequantShift).
 */
const TrueIntegerDiv: OpImpl = (inputs, ctx) => {
  const x = need(inputs, 0, ctx);
  const n = ctx.node;
  const Delta = attrNumber(n, 'Delta');
  const eta = attrNumber(n, 'eta');
  const eps = attrNumber(n, 'eps');
  const y = attrNumber(n, 'y');
  const den = eta * y + eps;
  if (den === 0) throw new InputError(`node '${n.name}' (TrueIntegerDiv): eta*y + eps is 0`);
  const k = floorDiv(Delta * eta, den);
  const out = new Float64Array(x.data.length);
  for (let i = 0; i < out.length; i++) out[i] = x.data[i]! * k;
  return [{ dtype: ctx.out(0).dtype, shape: x.shape.slice(), data: out }];
};

export const QUANT_OPS: Record<string, OpImpl> = {
  RequantShift,
  iSoftmax,
  ITAMax,
  iRMSNorm,
  iLayerNorm,
  iHardswish,
  iGELU,
  TrueIntegerDiv,
};
