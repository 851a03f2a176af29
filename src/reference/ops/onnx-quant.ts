// ONNX's standard quantization operators and the com.microsoft QOperator ops that onnxruntime's
// quantizer writes, with their own float semantics: float32 scales, round half to even,
// saturation to the 8-bit type. The integer core (MatMulInteger, ConvInteger, the accumulators of
// QLinearConv / QLinearMatMul / QGemm) is exact; the float requantisation is computed the way
// onnxruntime's CPU kernels do (acc converted to float32, times the float32 ratio of the scales,
// rounded half to even). Formulas: docs/reference.md.
import { InputError } from '../../errors.js';
import type { DType, Node } from '../../frontend/ir.js';
import { DTYPES } from '../../frontend/dtype.js';
import { attrNumber, normAxis } from '../../frontend/shapes.js';
import { type OpContext, type OpImpl, type Value, need, size } from '../value.js';
import { LINALG_OPS } from './linalg.js';
import { broadcastBinary } from './elementwise.js';
import { poolGeometry, poolSums } from './deeploy-ext.js';
import { QUANT_OPS } from './quant.js';

const f32 = Math.fround;

/** Round half to even (ONNX QuantizeLinear, MLAS's float-to-int conversion). */
export function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v - Math.trunc(v)) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** saturate(round_half_even(v) + zp) into dtype. */
export function saturateTo(dtype: DType, v: number, zp: number): number {
  const d = DTYPES[dtype];
  const q = roundHalfEven(v) + zp;
  return q < d.min ? d.min : q > d.max ? d.max : q;
}

function quantType(ctx: OpContext, zp: Value | undefined): DType {
  const t = zp?.dtype ?? ctx.out(0).dtype;
  if (t !== 'int8' && t !== 'uint8' && t !== 'int32') throw new InputError(`node '${ctx.node.name}' (${ctx.node.op}): quantized type ${t} is not supported (int8, uint8)`);
  return t;
}

/** Per-element index into a per-tensor or per-axis parameter (QuantizeLinear's axis). */
export function axisIndexer(x: Value, p: Value | undefined, node: Node, defaultAxis = 1): (i: number) => number {
  if (!p || p.data.length === 1) return () => 0;
  const axis = normAxis(attrNumber(node, 'axis', defaultAxis), x.shape.length);
  if (x.shape[axis] !== p.data.length)
    throw new InputError(`node '${node.name}' (${node.op}): ${p.data.length} per-axis parameters for axis ${axis} of [${x.shape}]`);
  const inner = x.shape.slice(axis + 1).reduce((a, d) => a * d, 1);
  const C = x.shape[axis]!;
  return (i) => Math.floor(i / inner) % C;
}

function checkScales(ctx: OpContext, s: Value): void {
  for (const v of s.data) if (!(v > 0) || !Number.isFinite(v)) throw new InputError(`node '${ctx.node.name}' (${ctx.node.op}): scale ${v} is not a positive finite float`);
}

const QuantizeLinear: OpImpl = (inputs, ctx) => {
  const x = need(inputs, 0, ctx);
  const s = need(inputs, 1, ctx);
  const zp = inputs[2];
  checkScales(ctx, s);
  const t = quantType(ctx, zp);
  const si = axisIndexer(x, s, ctx.node);
  const zi = axisIndexer(x, zp, ctx.node);
  const out = new Float64Array(x.data.length);
  for (let i = 0; i < out.length; i++) out[i] = saturateTo(t, f32(x.data[i]! / s.data[si(i)]!), zp ? zp.data[zi(i)]! : 0);
  return [{ dtype: t, shape: x.shape.slice(), data: out }];
};

const DequantizeLinear: OpImpl = (inputs, ctx) => {
  const x = need(inputs, 0, ctx);
  const s = need(inputs, 1, ctx);
  const zp = inputs[2];
  checkScales(ctx, s);
  const si = axisIndexer(x, s, ctx.node);
  const zi = axisIndexer(x, zp, ctx.node);
  const out = new Float64Array(x.data.length);
  for (let i = 0; i < out.length; i++) out[i] = f32((x.data[i]! - (zp ? zp.data[zi(i)]! : 0)) * s.data[si(i)]!);
  return [{ dtype: 'float32', shape: x.shape.slice(), data: out }];
};

/** x - zero point (per tensor, or per axis `axis` for weights). */
function shifted(x: Value, zp: Value | undefined, axis: number): Value {
  if (!zp) return x;
  const data = new Float64Array(x.data.length);
  if (zp.data.length === 1) for (let i = 0; i < data.length; i++) data[i] = x.data[i]! - zp.data[0]!;
  else {
    const a = normAxis(axis, x.shape.length);
    const inner = x.shape.slice(a + 1).reduce((p, d) => p * d, 1);
    const C = x.shape[a]!;
    if (C !== zp.data.length) throw new InputError(`zero point of ${zp.data.length} values does not fit axis ${a} of [${x.shape}]`);
    for (let i = 0; i < data.length; i++) data[i] = x.data[i]! - zp.data[Math.floor(i / inner) % C]!;
  }
  return { dtype: 'int32', shape: x.shape.slice(), data };
}

/** Run an integer op of linalg on zero-point-shifted operands (int32 out). */
function integerCore(op: 'MatMul' | 'Conv' | 'Gemm', ins: (Value | undefined)[], ctx: OpContext, outShapeOf = 0): Value {
  const inner: OpContext = { node: ctx.node, out: () => ({ name: '', dtype: 'int32', shape: ctx.out(outShapeOf).shape }), warn: ctx.warn };
  return LINALG_OPS[op]!(ins, inner)[0]!;
}

const MatMulInteger: OpImpl = (inputs, ctx) => {
  const a = need(inputs, 0, ctx);
  const b = need(inputs, 1, ctx);
  // b's zero point is per column (last axis) when it has several values.
  const r = integerCore('MatMul', [shifted(a, inputs[2], 0), shifted(b, inputs[3], -1)], ctx);
  return [{ ...r, dtype: ctx.out(0).dtype }];
};

const ConvInteger: OpImpl = (inputs, ctx) => {
  const x = need(inputs, 0, ctx);
  const w = need(inputs, 1, ctx);
  // Padding is zero in the shifted domain (the input zero point), as onnxruntime pads.
  const r = integerCore('Conv', [shifted(x, inputs[2], 1), shifted(w, inputs[3], 0)], ctx);
  return [{ ...r, dtype: ctx.out(0).dtype }];
};

/** Requantise an int32 accumulator tensor with a float32 multiplier (per tensor or per channel). */
function requantizeFloat(acc: Value, mult: (i: number) => number, zp: number, dtype: DType): Float64Array {
  const out = new Float64Array(acc.data.length);
  for (let i = 0; i < out.length; i++) out[i] = saturateTo(dtype, f32(f32(acc.data[i]!) * mult(i)), zp);
  return out;
}

/** onnxruntime's ratio of scales: float32(float32(sa*sb) / sy). */
function ratio(sa: number, sb: number, sy: number): number {
  return f32(f32(sa * sb) / sy);
}

function one(v: Value | undefined, what: string, ctx: OpContext): number {
  if (!v) return 0;
  if (v.data.length !== 1) throw new InputError(`node '${ctx.node.name}' (${ctx.node.op}): ${what} must be per tensor (1 value), it has ${v.data.length}`);
  return v.data[0]!;
}

const QLinearConv: OpImpl = (inputs, ctx) => {
  const [x, xs, xz, w, ws, wz, ys, yz, bias] = inputs;
  need(inputs, 0, ctx);
  need(inputs, 3, ctx);
  const acc = integerCore('Conv', [shifted(x!, xz, 1), shifted(w!, wz, 0), bias], ctx);
  const K = acc.shape[1]!;
  const inner = size(acc.shape.slice(2));
  const sx = one(xs, 'x_scale', ctx);
  const sy = one(ys, 'y_scale', ctx);
  const wsd = need(inputs, 4, ctx).data;
  const m = Array.from({ length: K }, (_, k) => ratio(sx, wsd[wsd.length === 1 ? 0 : k]!, sy));
  const t = quantType(ctx, yz);
  return [{ dtype: t, shape: acc.shape, data: requantizeFloat(acc, (i) => m[Math.floor(i / inner) % K]!, one(yz, 'y_zero_point', ctx), t) }];
};

const QLinearMatMul: OpImpl = (inputs, ctx) => {
  const [a, as, az, b, bs, bz, ys, yz] = inputs;
  need(inputs, 0, ctx);
  need(inputs, 3, ctx);
  const acc = integerCore('MatMul', [shifted(a!, az, 0), shifted(b!, bz, -1)], ctx);
  const N = acc.shape[acc.shape.length - 1]!;
  const bsd = need(inputs, 4, ctx).data;
  const sa = one(as, 'a_scale', ctx);
  const sy = one(ys, 'y_scale', ctx);
  const m = Array.from({ length: N }, (_, n) => ratio(sa, bsd[bsd.length === 1 ? 0 : n]!, sy));
  const t = quantType(ctx, yz);
  return [{ dtype: t, shape: acc.shape, data: requantizeFloat(acc, (i) => m[i % N]!, one(yz, 'y_zero_point', ctx), t) }];
};

/** com.microsoft QGemm(A, a_s, a_zp, B, b_s, b_zp, C(int32), y_s, y_zp; alpha, transA, transB). */
const QGemm: OpImpl = (inputs, ctx) => {
  const [a, as, az, b, bs, bz, c, ys, yz] = inputs;
  need(inputs, 0, ctx);
  need(inputs, 3, ctx);
  const tB = attrNumber(ctx.node, 'transB', 0) === 1;
  const gemmNode: Node = { ...ctx.node, attrs: { transA: attrNumber(ctx.node, 'transA', 0), transB: tB ? 1 : 0 } };
  const inner: OpContext = { node: gemmNode, out: () => ({ name: '', dtype: 'int32', shape: ctx.out(0).shape }), warn: ctx.warn };
  const acc = LINALG_OPS.Gemm!([shifted(a!, az, 0), shifted(b!, bz, tB ? 0 : -1), c], inner)[0]!;
  const alpha = f32(attrNumber(ctx.node, 'alpha', 1));
  const N = acc.shape[acc.shape.length - 1]!;
  const bsd = need(inputs, 4, ctx).data;
  const sa = one(as, 'a_scale', ctx);
  if (!ys) {
    const out = new Float64Array(acc.data.length);
    for (let i = 0; i < out.length; i++) out[i] = f32(f32(acc.data[i]!) * f32(f32(alpha * sa) * bsd[bsd.length === 1 ? 0 : i % N]!));
    return [{ dtype: 'float32', shape: acc.shape, data: out }];
  }
  const sy = one(ys, 'y_scale', ctx);
  const m = Array.from({ length: N }, (_, n) => f32(f32(f32(alpha * sa) * bsd[bsd.length === 1 ? 0 : n]!) / sy));
  const t = quantType(ctx, yz);
  return [{ dtype: t, shape: acc.shape, data: requantizeFloat(acc, (i) => m[i % N]!, one(yz, 'y_zero_point', ctx), t) }];
};

/**
 * com.microsoft QLinearAdd / QLinearMul, as MLAS computes them in float32:
 * Add: y = q(sa/sy * a + sb/sy * b + (zy - sa/sy*za - sb/sy*zb)); Mul: y = q((a-za)(b-zb) * (sa*sb/sy) + zy).
 */
function qlinearBinary(kind: 'add' | 'mul'): OpImpl {
  return (inputs, ctx) => {
    const a = need(inputs, 0, ctx);
    const b = need(inputs, 3, ctx);
    const sa = one(inputs[1], 'A_scale', ctx);
    const za = one(inputs[2], 'A_zero_point', ctx);
    const sb = one(inputs[4], 'B_scale', ctx);
    const zb = one(inputs[5], 'B_zero_point', ctx);
    const sy = one(inputs[6], 'C_scale', ctx);
    const zy = one(inputs[7], 'C_zero_point', ctx);
    const t = quantType(ctx, inputs[7]);
    let f: (x: number, y: number) => number;
    if (kind === 'add') {
      const ra = f32(sa / sy);
      const rb = f32(sb / sy);
      const bias = f32(f32(zy - f32(ra * za)) - f32(rb * zb));
      f = (x, y) => saturateTo(t, f32(f32(f32(ra * x) + f32(rb * y)) + bias), 0);
    } else {
      const r = f32(f32(sa * sb) / sy);
      f = (x, y) => saturateTo(t, f32((x - za) * (y - zb) * r), zy);
    }
    const { shape, data } = broadcastBinary(a, b, f, ctx);
    return [{ dtype: t, shape, data }];
  };
}

/** The (x, x_scale, x_zp, y_scale, y_zp) inputs of the com.microsoft pools (NCHW only). */
function poolQuant(inputs: (Value | undefined)[], ctx: OpContext) {
  if (attrNumber(ctx.node, 'channels_last', 0) !== 0) throw new InputError(`node '${ctx.node.name}' (${ctx.node.op}): attribute channels_last = 1 is outside the supported range [0, 0]`);
  return {
    x: need(inputs, 0, ctx),
    sx: one(inputs[1], 'x_scale', ctx),
    zx: one(inputs[2], 'x_zero_point', ctx),
    sy: one(inputs[3], 'y_scale', ctx),
    zy: one(inputs[4], 'y_zero_point', ctx),
    t: quantType(ctx, inputs[4]),
  };
}

/** com.microsoft QLinearGlobalAveragePool (NCHW): q((sum - N*zx) * sx/(sy*N)) + zy. */
const QLinearGlobalAveragePool: OpImpl = (inputs, ctx) => {
  const { x, sx, zx, sy, zy, t } = poolQuant(inputs, ctx);
  const BC = x.shape[0]! * x.shape[1]!;
  const N = size(x.shape.slice(2));
  const m = f32(sx / f32(sy * N));
  const out = new Float64Array(BC);
  for (let i = 0; i < BC; i++) {
    let s = -N * zx;
    for (let k = 0; k < N; k++) s += x.data[i * N + k]!;
    out[i] = saturateTo(t, f32(f32(s) * m), zy);
  }
  return [{ dtype: t, shape: [x.shape[0]!, x.shape[1]!, ...x.shape.slice(2).map(() => 1)], data: out }];
};

/** com.microsoft QLinearAveragePool (NCHW): dequantize, average in float32, quantize. */
const QLinearAveragePool: OpImpl = (inputs, ctx) => {
  const { x, sx, zx, sy, zy, t } = poolQuant(inputs, ctx);
  const g = poolGeometry(x, ctx);
  const deq = new Float64Array(x.data.length);
  for (let i = 0; i < deq.length; i++) deq[i] = f32((x.data[i]! - zx) * sx);
  const { sums, counts } = poolSums(deq, g);
  const out = new Float64Array(sums.length);
  for (let i = 0; i < out.length; i++) out[i] = saturateTo(t, f32(f32(f32(sums[i]!) / counts[i]!) / sy), zy);
  const shape = x.shape.length === 3 ? [g.B, g.C, g.OW] : [g.B, g.C, g.OH, g.OW];
  return [{ dtype: t, shape, data: out }];
};

/**
 * RequantShiftWide(x, mul, in_off, out_off; div, n_levels, signed): the lowering's requant with a
 * 64-bit product, y = clamp(floor(((x + in_off) * mul + floor(div/2)) / div) + out_off, lo, hi);
 * mul and in_off per tensor or per channel (NumPy broadcast or (C,1,..,1) along axis 1), out_off
 * a scalar. Equal to RequantShift with add = in_off*mul + out_off*div, whose add would not fit int32.
 */
const RequantShiftWide: OpImpl = (inputs, ctx) => {
  const x = need(inputs, 0, ctx);
  const mul = need(inputs, 1, ctx);
  const inOff = need(inputs, 2, ctx);
  const outOff = need(inputs, 3, ctx);
  const div = attrNumber(ctx.node, 'div');
  if (!Number.isInteger(Math.log2(div))) throw new InputError(`node '${ctx.node.name}' (RequantShiftWide): attribute div = ${div} is outside the supported range (a power of two)`);
  if (outOff.data.length !== 1) throw new InputError(`node '${ctx.node.name}' (RequantShiftWide): out_off must be one value`);
  // add = in_off*mul + out_off*div, exact as a BigInt-capable RequantShift input.
  const add = new Float64Array(Math.max(mul.data.length, inOff.data.length));
  const addShape = mul.data.length >= inOff.data.length ? mul.shape : inOff.shape;
  for (let c = 0; c < add.length; c++) add[c] = inOff.data[inOff.data.length === 1 ? 0 : c]! * mul.data[mul.data.length === 1 ? 0 : c]! + outOff.data[0]! * div;
  const m = mul.data.length === add.length ? mul : { ...mul, shape: addShape, data: new Float64Array(add.length).fill(mul.data[0]!) };
  return QUANT_OPS.RequantShift!([x, m, { dtype: 'int64', shape: addShape, data: add }], { ...ctx, warn: () => undefined });
};

export const ONNX_QUANT_OPS: Record<string, OpImpl> = {
  RequantShiftWide,
  QuantizeLinear,
  DequantizeLinear,
  MatMulInteger,
  ConvInteger,
  QLinearConv,
  QLinearMatMul,
  QGemm,
  QLinearAdd: qlinearBinary('add'),
  QLinearMul: qlinearBinary('mul'),
  QLinearGlobalAveragePool,
  QLinearAveragePool,
};
