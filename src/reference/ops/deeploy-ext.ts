// The rest of Deeploy's integer vocabulary (Generic / PULPOpen / Snitch parsers): IntegerMean,
// ITAPartialMax, IntegerDiv, RQIntegerDiv, RequantizediGELU, RequantizediHardswish, iNoNorm, and
// the pools (AveragePool 1D/2D, GlobalAveragePool). Formulas and their sources: docs/reference.md.
// Values are the real integers (Deeploy's unsigned type offsets do not appear, as everywhere in
// the executor).
import { InputError } from '../../errors.js';
import { attrInts, attrNumber, broadcastShapes, normAxis, windowOut } from '../../frontend/shapes.js';
import { DTYPES } from '../../frontend/dtype.js';
import { type OpContext, type OpImpl, type Value, need, size, strides, truncDiv, floorDiv, isFloat, roundTo } from '../value.js';
import { stridesFor } from './elementwise.js';
import { clamp, levels, rows } from './quant.js';

/** An attribute that must lie in [lo, hi] (exit 2 naming node, attribute and range). */
export function attrInRange(ctx: OpContext, name: string, lo: number, hi: number, fallback?: number): number {
  const v = attrNumber(ctx.node, name, fallback);
  if (!Number.isInteger(v) || v < lo || v > hi)
    throw new InputError(`node '${ctx.node.name}' (${ctx.node.op}): attribute ${name} = ${v} is outside the supported range [${lo}, ${hi}]`);
  return v;
}

/** Output range of a requantising op: n_levels / signed as RequantShift (default int8). */
const rqLevels = (ctx: OpContext) => levels(ctx, 1);

/** C's (intN_t) cast of an exact integer to the declared type (wraps). */
export function wrapTo(ctx: OpContext, v: number): number {
  const d = DTYPES[ctx.out(0).dtype];
  if (!d.integer || d.bytes > 4) return v;
  const span = 2 ** (8 * d.bytes);
  let r = ((v % span) + span) % span;
  if (d.min < 0 && r > d.max) r -= span;
  return r;
}

/** Deeploy's requant epilogue with a shift: (y*mul + add + 2^(shift-1)) >> shift. */
function rqShift(y: number, mul: number, add: number, shift: number): number {
  const t = y * mul + add;
  if (Math.abs(t) >= Number.MAX_SAFE_INTEGER) throw new InputError(`requant intermediate ${y}*${mul}+${add} is beyond 2^53`);
  return shift > 0 ? Math.floor((t + 2 ** (shift - 1)) / 2 ** shift) : t;
}

/** Scalar requant parameter given as an input (RQIntegerDiv, RequantizediGELU) or attribute. */
function scalarParam(inputs: (Value | undefined)[], i: number, ctx: OpContext, attr: string): number {
  const v = inputs[i];
  if (v) {
    if (v.data.length !== 1) throw new InputError(`node '${ctx.node.name}' (${ctx.node.op}): input ${i} (${attr}) must hold one value, it has shape [${v.shape}]`);
    return v.data[0]!;
  }
  return attrNumber(ctx.node, attr);
}

// ------------------------------------------------------------------ IntegerMean

/** Mean over `axes` with Deeploy's ReduceMean template rounding (see docs/reference.md). */
export function integerMean(sum: number, count: number): number {
  const log2 = Math.log2(count);
  if (Number.isInteger(log2)) return log2 === 0 ? sum : Math.floor((sum + 2 ** (log2 - 1)) / count);
  const sgn = sum >= 0 ? 1 : -1;
  return truncDiv(sum + sgn * Math.floor(count / 2), count);
}

const IntegerMean: OpImpl = (inputs, ctx) => {
  const x = need(inputs, 0, ctx);
  const n = ctx.node;
  const rank = x.shape.length;
  const axesRaw = attrInts(n, 'axes') ?? (inputs[1] ? Array.from(inputs[1].data) : undefined);
  if (!axesRaw || axesRaw.length === 0) throw new InputError(`node '${n.name}' (IntegerMean): no axes`);
  for (const a of axesRaw)
    if (a < -rank || a >= rank) throw new InputError(`node '${n.name}' (IntegerMean): attribute axes = [${axesRaw}] is outside the supported range [${-rank}, ${rank - 1}]`);
  const axes = axesRaw.map((a) => normAxis(a, rank));
  const keep = attrNumber(n, 'keepdims', 1) === 1;
  const kept = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const count = axes.reduce((p, a) => p * x.shape[a]!, 1);
  const out = new Float64Array(size(kept));
  const ks = stridesFor(kept, x.shape);
  const is = strides(x.shape);
  for (let i = 0; i < x.data.length; i++) {
    let o = 0;
    for (let d = 0; d < rank; d++) o += (Math.floor(i / is[d]!) % x.shape[d]!) * ks[d]!;
    out[o]! += x.data[i]!;
  }
  for (let i = 0; i < out.length; i++) out[i] = wrapTo(ctx, integerMean(out[i]!, count));
  return [{ dtype: ctx.out(0).dtype, shape: keep ? kept : x.shape.filter((_, i) => !axes.includes(i)), data: out }];
};

// ------------------------------------------------------------------ ITAPartialMax

/**
 * ITA's streaming softmax: the row is read in groups of group_width; the running sum is shifted
 * right when a later group raises the maximum. Output signed (minus n/2) like ITAMax.
 */
const ITAPartialMax: OpImpl = (inputs, ctx) => {
  const x = need(inputs, 0, ctx);
  const L = x.shape[x.shape.length - 1] ?? 1;
  const nl = attrInRange(ctx, 'n_levels', 2, 256, 256);
  const gw = attrInRange(ctx, 'group_width', 1, L);
  if (L % gw !== 0) throw new InputError(`node '${ctx.node.name}' (ITAPartialMax): attribute group_width = ${gw} is outside the supported range (a divisor of the row length ${L})`);
  for (const v of x.data) if (v < -128 || v > 127) throw new InputError(`node '${ctx.node.name}' (ITAPartialMax): input value ${v} is not int8 (the kernel is int8 only)`);
  const data = rows(x, (row, out) => {
    let sum = 0;
    let gmax = -128;
    for (let g = 0; g < L / gw; g++) {
      let cmax = -128;
      for (let k = 0; k < gw; k++) cmax = Math.max(cmax, row[g * gw + k]!);
      const shiftSum = cmax > gmax ? (cmax - gmax + 16) >> 5 : 0;
      gmax = Math.max(gmax, cmax);
      let s = 0;
      for (let k = 0; k < gw; k++) s += 256 >> ((gmax - row[g * gw + k]! + 16) >> 5);
      sum = Math.floor(sum / 2 ** shiftSum) + s;
    }
    const inv = Math.floor(((nl / 2 - 1) * 256) / sum);
    for (let j = 0; j < L; j++) out[j] = wrapTo(ctx, (inv >> ((gmax - row[j]! + 16) >> 5)) - nl / 2);
  });
  return [{ dtype: ctx.out(0).dtype, shape: x.shape.slice(), data }];
};

// ------------------------------------------------------------------ IntegerDiv / RQIntegerDiv

/** Deeploy's Div_s32: round half away from zero of Delta*eta*a / (eta*b + eps), 64-bit. */
export function integerDivide(a: number, b: number, Delta: number, eta: number, eps: number): number {
  const nom = BigInt(Delta) * BigInt(eta) * BigInt(a);
  const den = BigInt(eta) * BigInt(b) + BigInt(eps);
  if (den === 0n) throw new InputError(`eta*b + eps is 0 for b = ${b}`);
  const sgn = nom >= 0n ? 1n : -1n;
  return Number((nom + sgn * (den >> 1n)) / den);
}

function divAttrs(ctx: OpContext): { Delta: number; eta: number; eps: number } {
  const Delta = attrInRange(ctx, 'Delta', -(2 ** 31), 2 ** 31 - 1);
  const eta = attrInRange(ctx, 'eta', -(2 ** 31), 2 ** 31 - 1);
  const eps = attrInRange(ctx, 'eps', -(2 ** 31), 2 ** 31 - 1);
  // The kernel forms Delta*eta in int32 before widening.
  if (Math.abs(Delta * eta) > 2 ** 31 - 1)
    throw new InputError(`node '${ctx.node.name}' (${ctx.node.op}): attribute Delta*eta = ${Delta * eta} is outside the supported range [-2^31+1, 2^31-1] (the kernel multiplies them in int32)`);
  return { Delta, eta, eps };
}

function divide(inputs: (Value | undefined)[], ctx: OpContext, post: (q: number) => number): Value {
  const a = need(inputs, 0, ctx);
  const b = need(inputs, 1, ctx);
  const { Delta, eta, eps } = divAttrs(ctx);
  const shape = broadcastShapes(a.shape, b.shape);
  if (!shape || shape.length !== a.shape.length || shape.some((d, k) => d !== a.shape[k]))
    throw new InputError(`node '${ctx.node.name}' (${ctx.node.op}): the denominator [${b.shape}] must broadcast to the numerator [${a.shape}]`);
  const sb = stridesFor(b.shape, shape);
  const os = strides(shape);
  const out = new Float64Array(a.data.length);
  for (let i = 0; i < out.length; i++) {
    let bi = 0;
    for (let d = 0; d < shape.length; d++) bi += (Math.floor(i / os[d]!) % shape[d]!) * sb[d]!;
    try {
      out[i] = post(integerDivide(a.data[i]!, b.data[bi]!, Delta, eta, eps));
    } catch (e) {
      if (e instanceof InputError) throw new InputError(`node '${ctx.node.name}' (${ctx.node.op}): ${e.message}`);
      throw e;
    }
  }
  return { dtype: ctx.out(0).dtype, shape, data: out };
}

const IntegerDiv: OpImpl = (inputs, ctx) => [divide(inputs, ctx, (q) => wrapTo(ctx, q))];

/** RQIntegerDiv(a, b, mul, add, shift): the 5th input is the shift (log2 of RequantShift's div). */
const RQIntegerDiv: OpImpl = (inputs, ctx) => {
  const mul = scalarParam(inputs, 2, ctx, 'mul');
  const add = scalarParam(inputs, 3, ctx, 'add');
  const shift = scalarParam(inputs, 4, ctx, 'shift');
  if (!Number.isInteger(shift) || shift < 0 || shift > 31) throw new InputError(`node '${ctx.node.name}' (RQIntegerDiv): shift = ${shift} is outside the supported range [0, 31]`);
  const [lo, hi] = rqLevels(ctx);
  return [divide(inputs, ctx, (q) => clamp(rqShift(wrapInt32(q), mul, add, shift), lo, hi))];
};

function wrapInt32(v: number): number {
  return ((((v + 2 ** 31) % 2 ** 32) + 2 ** 32) % 2 ** 32) - 2 ** 31;
}

// ------------------------------------------------------------------ RequantizediGELU / RequantizediHardswish

/** I-BERT GELU on one integer (the iGELU formula of docs/reference.md). */
export function igelu(v: number, b: number, one: number): number {
  const q = Math.min(Math.abs(v), -b);
  const L = Math.sign(v) * (one - (q + b) * (q + b));
  return v * Math.floor((one + L) / 2);
}

/** RequantizediGELU(x, mul, add, shift; b, one): iGELU then the shift requant. */
const RequantizediGELU: OpImpl = (inputs, ctx) => {
  const x = need(inputs, 0, ctx);
  const b = attrNumber(ctx.node, 'b');
  const one = attrNumber(ctx.node, 'one');
  const mul = scalarParam(inputs, 1, ctx, 'mul');
  const add = scalarParam(inputs, 2, ctx, 'add');
  const shift = scalarParam(inputs, 3, ctx, 'shift');
  if (!Number.isInteger(shift) || shift < 0 || shift > 31) throw new InputError(`node '${ctx.node.name}' (RequantizediGELU): shift = ${shift} is outside the supported range [0, 31]`);
  const [lo, hi] = rqLevels(ctx);
  const out = new Float64Array(x.data.length);
  for (let i = 0; i < out.length; i++) out[i] = clamp(rqShift(igelu(x.data[i]!, b, one), mul, add, shift), lo, hi);
  return [{ dtype: ctx.out(0).dtype, shape: x.shape.slice(), data: out }];
};

/** RequantizediHardswish(x; one_over_six, three, six, mul, add, shift). */
const RequantizediHardswish: OpImpl = (inputs, ctx) => {
  const x = need(inputs, 0, ctx);
  const n = ctx.node;
  const oneOverSix = attrNumber(n, 'one_over_six');
  const three = attrNumber(n, 'three');
  const six = attrNumber(n, 'six');
  const mul = attrNumber(n, 'mul');
  const add = attrNumber(n, 'add');
  const shift = attrInRange(ctx, 'shift', 0, 31);
  const [lo, hi] = rqLevels(ctx);
  const out = new Float64Array(x.data.length);
  for (let i = 0; i < out.length; i++) {
    const v = x.data[i]!;
    out[i] = clamp(rqShift(v * (clamp(v + three, 0, six) * oneOverSix), mul, add, shift), lo, hi);
  }
  return [{ dtype: ctx.out(0).dtype, shape: x.shape.slice(), data: out }];
};

// ------------------------------------------------------------------ iNoNorm

/** iNoNorm(x, w, b; D, mul): (int8)(((x*w + b) * mul) >> log2 D) (a cast, no clamp). */
const iNoNorm: OpImpl = (inputs, ctx) => {
  const x = need(inputs, 0, ctx);
  const w = need(inputs, 1, ctx);
  const b = need(inputs, 2, ctx);
  const D = attrNumber(ctx.node, 'D');
  const log2D = Math.log2(D);
  if (!Number.isInteger(log2D) || log2D < 0 || log2D > 31) throw new InputError(`node '${ctx.node.name}' (iNoNorm): attribute D = ${D} is outside the supported range (a power of two in [1, 2^31])`);
  const mul = attrNumber(ctx.node, 'mul');
  for (const p of [w, b]) {
    const s = broadcastShapes(x.shape, p.shape);
    if (!s || s.some((d, k) => d !== x.shape[k]) || s.length !== x.shape.length) throw new InputError(`node '${ctx.node.name}' (iNoNorm): [${p.shape}] does not broadcast to the input [${x.shape}]`);
  }
  const ws = stridesFor(w.shape, x.shape);
  const bs = stridesFor(b.shape, x.shape);
  const os = strides(x.shape);
  const out = new Float64Array(x.data.length);
  for (let i = 0; i < out.length; i++) {
    let wi = 0;
    let bi = 0;
    for (let d = 0; d < x.shape.length; d++) {
      const c = Math.floor(i / os[d]!) % x.shape[d]!;
      wi += c * ws[d]!;
      bi += c * bs[d]!;
    }
    // Deeploy's kernel stores (int8_t) of the shifted value whatever the declared type.
    const v = floorDiv((x.data[i]! * w.data[wi]! + b.data[bi]!) * mul, 2 ** log2D);
    out[i] = ((((v + 128) % 256) + 256) % 256) - 128;
  }
  return [{ dtype: ctx.out(0).dtype, shape: x.shape.slice(), data: out }];
};

// ------------------------------------------------------------------ AveragePool / GlobalAveragePool

interface PoolGeometry {
  B: number;
  C: number;
  H: number;
  W: number;
  KH: number;
  KW: number;
  SH: number;
  SW: number;
  PT: number;
  PL: number;
  OH: number;
  OW: number;
  includePad: boolean;
}

function poolGeometry(x: Value, ctx: OpContext): PoolGeometry {
  const n = ctx.node;
  const sp = x.shape.length - 2;
  if (sp < 1 || sp > 2) throw new InputError(`node '${n.name}' (${n.op}): ${sp}D pooling is not supported (1D and 2D are)`);
  const k = attrInts(n, 'kernel_shape');
  if (!k || k.length !== sp) throw new InputError(`node '${n.name}' (${n.op}): kernel_shape must have ${sp} entries`);
  const ap = typeof n.attrs.auto_pad === 'string' ? n.attrs.auto_pad : 'NOTSET';
  if (ap !== 'NOTSET' && ap !== 'VALID') throw new InputError(`node '${n.name}' (${n.op}): attribute auto_pad = '${ap}' is outside the supported range {NOTSET, VALID}`);
  if (attrNumber(n, 'ceil_mode', 0) !== 0) throw new InputError(`node '${n.name}' (${n.op}): attribute ceil_mode = ${attrNumber(n, 'ceil_mode')} is outside the supported range [0, 0]`);
  const dl = attrInts(n, 'dilations');
  if (dl && dl.some((d) => d !== 1)) throw new InputError(`node '${n.name}' (${n.op}): attribute dilations = [${dl}] is outside the supported range (all 1)`);
  const st = attrInts(n, 'strides') ?? new Array<number>(sp).fill(1);
  const pads = attrInts(n, 'pads') ?? new Array<number>(2 * sp).fill(0);
  const [H, W] = sp === 1 ? [1, x.shape[2]!] : [x.shape[2]!, x.shape[3]!];
  const [KH, KW] = sp === 1 ? [1, k[0]!] : [k[0]!, k[1]!];
  const [SH, SW] = sp === 1 ? [1, st[0]!] : [st[0]!, st[1]!];
  const [PT, PL, PB, PR] = sp === 1 ? [0, pads[0]!, 0, pads[1]!] : [pads[0]!, pads[1]!, pads[2]!, pads[3]!];
  return {
    B: x.shape[0]!, C: x.shape[1]!, H, W, KH, KW, SH, SW, PT, PL,
    OH: windowOut(H, KH, SH, 1, PT, PB), OW: windowOut(W, KW, SW, 1, PL, PR),
    includePad: attrNumber(n, 'count_include_pad', 0) === 1,
  };
}

/** Window sums and element counts of an average pool (in input units). */
export function poolSums(x: Float64Array, g: PoolGeometry): { sums: Float64Array; counts: Float64Array } {
  const sums = new Float64Array(g.B * g.C * g.OH * g.OW);
  const counts = new Float64Array(sums.length);
  for (let bc = 0; bc < g.B * g.C; bc++)
    for (let oh = 0; oh < g.OH; oh++)
      for (let ow = 0; ow < g.OW; ow++) {
        let s = 0;
        let cnt = 0;
        for (let kh = 0; kh < g.KH; kh++) {
          const ih = oh * g.SH - g.PT + kh;
          for (let kw = 0; kw < g.KW; kw++) {
            const iw = ow * g.SW - g.PL + kw;
            const inside = ih >= 0 && ih < g.H && iw >= 0 && iw < g.W;
            if (inside) s += x[(bc * g.H + ih) * g.W + iw]!;
            if (inside || g.includePad) cnt++;
          }
        }
        const o = (bc * g.OH + oh) * g.OW + ow;
        sums[o] = s;
        counts[o] = cnt;
      }
  return { sums, counts };
}

export { poolGeometry, type PoolGeometry };

/** Float output: ONNX (sum / count in float32); integer output: IntegerMean's rounding. */
function poolOut(ctx: OpContext, sums: Float64Array, counts: Float64Array): Float64Array {
  const dt = ctx.out(0).dtype;
  const out = new Float64Array(sums.length);
  for (let i = 0; i < out.length; i++) out[i] = isFloat(dt) ? roundTo(dt, roundTo(dt, sums[i]!) / counts[i]!) : integerMean(sums[i]!, counts[i]!);
  return out;
}

const AveragePool: OpImpl = (inputs, ctx) => {
  const x = need(inputs, 0, ctx);
  const g = poolGeometry(x, ctx);
  const { sums, counts } = poolSums(x.data, g);
  const shape = x.shape.length === 3 ? [g.B, g.C, g.OW] : [g.B, g.C, g.OH, g.OW];
  return [{ dtype: ctx.out(0).dtype, shape, data: poolOut(ctx, sums, counts) }];
};

const GlobalAveragePool: OpImpl = (inputs, ctx) => {
  const x = need(inputs, 0, ctx);
  const BC = (x.shape[0] ?? 1) * (x.shape[1] ?? 1);
  const N = x.shape.slice(2).reduce((p, d) => p * d, 1);
  const sums = new Float64Array(BC);
  for (let i = 0; i < BC; i++) {
    let s = 0;
    for (let k = 0; k < N; k++) s += x.data[i * N + k]!;
    sums[i] = s;
  }
  const shape = [x.shape[0]!, x.shape[1]!, ...x.shape.slice(2).map(() => 1)];
  return [{ dtype: ctx.out(0).dtype, shape, data: poolOut(ctx, sums, new Float64Array(BC).fill(N)) }];
};

// ------------------------------------------------------------------ Quant / Dequant (Deeploy's float <-> integer ops)

const f32 = Math.fround;

/** Quant(x; scale, zero_point, bit_width, signed): trunc(f(v + f(0.5*sgn v))), v = f(f(x*scale) + zero_point), clamped. */
const Quant: OpImpl = (inputs, ctx) => {
  const x = need(inputs, 0, ctx);
  const n = ctx.node;
  const scale = f32(attrNumber(n, 'scale'));
  const zp = f32(attrNumber(n, 'zero_point'));
  const bits = attrInRange(ctx, 'bit_width', 2, 16);
  const signed = attrNumber(n, 'signed', 1) !== 0;
  const [lo, hi] = signed ? [-(2 ** (bits - 1)), 2 ** (bits - 1) - 1] : [0, 2 ** bits - 1];
  const out = new Float64Array(x.data.length);
  for (let i = 0; i < out.length; i++) {
    const v = f32(f32(x.data[i]! * scale) + zp);
    out[i] = clamp(Math.trunc(f32(v + (v >= 0 ? 0.5 : -0.5))), lo, hi);
  }
  return [{ dtype: ctx.out(0).dtype, shape: x.shape.slice(), data: out }];
};

/** Dequant(q; scale, zero_point): f(f(q - zero_point) * scale). */
const Dequant: OpImpl = (inputs, ctx) => {
  const x = need(inputs, 0, ctx);
  const scale = f32(attrNumber(ctx.node, 'scale'));
  const zp = attrNumber(ctx.node, 'zero_point');
  const out = new Float64Array(x.data.length);
  for (let i = 0; i < out.length; i++) out[i] = f32(f32(x.data[i]! - zp) * scale);
  return [{ dtype: 'float32', shape: x.shape.slice(), data: out }];
};

export const DEEPLOY_EXT_OPS: Record<string, OpImpl> = {
  Quant,
  Dequant,
  IntegerMean,
  ITAPartialMax,
  IntegerDiv,
  RQIntegerDiv,
  RequantizediGELU,
  RequantizediHardswish,
  iNoNorm,
  AveragePool,
  GlobalAveragePool,
};
