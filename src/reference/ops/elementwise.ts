// Elementwise ONNX operators on exact values. Integer inputs give exact integer results; as soon
// as a result is not an integer, it is rounded to the declared float type (float32 as ONNX does).
import { InputError } from '../../errors.js';
import type { DType } from '../../frontend/ir.js';
import { attrNumber, broadcastShapes } from '../../frontend/shapes.js';
import { ALL_DTYPES, DTYPES } from '../../frontend/dtype.js';

const ONNX_BOOL = 9;
import { type OpContext, type OpImpl, type Value, need, size, strides, isFloat, truncDiv, roundTo } from '../value.js';

/** Broadcast a binary function over two values (NumPy rules). */
export function broadcastBinary(a: Value, b: Value, f: (x: number, y: number) => number, ctx: OpContext): { shape: number[]; data: Float64Array } {
  const shape = broadcastShapes(a.shape, b.shape);
  if (!shape) throw new InputError(`node '${ctx.node.name}' (${ctx.node.op}): shapes [${a.shape}] and [${b.shape}] do not broadcast`);
  const n = size(shape);
  const out = new Float64Array(n);
  const ad = a.data;
  const bd = b.data;
  if (ad.length === n && bd.length === n) {
    for (let i = 0; i < n; i++) out[i] = f(ad[i]!, bd[i]!);
  } else if (bd.length === 1 && ad.length === n) {
    const y = bd[0]!;
    for (let i = 0; i < n; i++) out[i] = f(ad[i]!, y);
  } else if (ad.length === 1 && bd.length === n) {
    const x = ad[0]!;
    for (let i = 0; i < n; i++) out[i] = f(x, bd[i]!);
  } else if (n > 0) {
    const rank = shape.length;
    const sa = stridesFor(a.shape, shape);
    const sb = stridesFor(b.shape, shape);
    const idx = new Array<number>(rank).fill(0);
    let ia = 0;
    let ib = 0;
    for (let i = 0; i < n; i++) {
      out[i] = f(ad[ia]!, bd[ib]!);
      for (let k = rank - 1; k >= 0; k--) {
        idx[k]!++;
        ia += sa[k]!;
        ib += sb[k]!;
        if (idx[k]! < shape[k]!) break;
        ia -= sa[k]! * shape[k]!;
        ib -= sb[k]! * shape[k]!;
        idx[k] = 0;
      }
    }
  }
  return { shape, data: out };
}

/** Strides of `shape` seen through broadcasting to `target` (0 on broadcast axes). */
export function stridesFor(shape: readonly number[], target: readonly number[]): number[] {
  const s = strides(shape);
  const off = target.length - shape.length;
  return target.map((_, k) => (k < off || shape[k - off] === 1 ? 0 : s[k - off]!));
}

function outType(ctx: OpContext): DType {
  return ctx.out(0).dtype;
}

function arith(f: (x: number, y: number) => number): OpImpl {
  return (inputs, ctx) => {
    const dtype = outType(ctx);
    const float = isFloat(dtype);
    const g = float ? (x: number, y: number) => {
      const r = f(x, y);
      return Number.isInteger(r) ? r : roundTo(dtype, r);
    } : f;
    const r = broadcastBinary(need(inputs, 0, ctx), need(inputs, 1, ctx), g, ctx);
    return [{ dtype, ...r }];
  };
}

const Div: OpImpl = (inputs, ctx) => {
  const dtype = outType(ctx);
  const f = isFloat(dtype)
    ? (x: number, y: number) => roundTo(dtype, x / y)
    : (x: number, y: number) => {
        if (y === 0) throw new InputError(`node '${ctx.node.name}' (Div): integer division by zero`);
        return truncDiv(x, y);
      };
  return [{ dtype, ...broadcastBinary(need(inputs, 0, ctx), need(inputs, 1, ctx), f, ctx) }];
};

/** Round half to even (ONNX Round, NumPy rint). */
export function roundHalfEven(x: number): number {
  const r = Math.round(x); // half up
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function unary(f: (x: number) => number): OpImpl {
  return (inputs, ctx) => {
    const x = need(inputs, 0, ctx);
    const out = new Float64Array(x.data.length);
    for (let i = 0; i < out.length; i++) out[i] = f(x.data[i]!);
    return [{ dtype: outType(ctx), shape: x.shape.slice(), data: out }];
  };
}

const Clip: OpImpl = (inputs, ctx) => {
  const x = need(inputs, 0, ctx);
  const a = ctx.node.attrs;
  const lo = inputs[1] ? inputs[1].data[0]! : typeof a.min === 'number' ? a.min : -Infinity;
  const hi = inputs[2] ? inputs[2].data[0]! : typeof a.max === 'number' ? a.max : Infinity;
  const out = new Float64Array(x.data.length);
  for (let i = 0; i < out.length; i++) out[i] = Math.min(Math.max(x.data[i]!, lo), hi);
  return [{ dtype: outType(ctx), shape: x.shape.slice(), data: out }];
};

/**
 * Cast to the type named by `to` (not the declared output type, which Deeploy graphs leave as
 * float): to an integer type truncates toward zero and wraps like a C cast; to float32 rounds;
 * to bool gives x != 0.
 */
const Cast: OpImpl = (inputs, ctx) => {
  const x = need(inputs, 0, ctx);
  const to = attrNumber(ctx.node, 'to');
  const out = new Float64Array(x.data.length);
  if (to === ONNX_BOOL) {
    for (let i = 0; i < out.length; i++) out[i] = x.data[i] !== 0 ? 1 : 0;
    return [{ dtype: ctx.out(0).dtype, shape: x.shape.slice(), data: out }];
  }
  const target = ALL_DTYPES.find((d) => DTYPES[d].onnx === to);
  if (!target) throw new InputError(`node '${ctx.node.name}' (Cast): cast to ONNX type ${to} is not supported`);
  const info = DTYPES[target];
  if (info.integer && target !== 'int64') {
    const span = 2 ** (8 * info.bytes);
    for (let i = 0; i < out.length; i++) {
      let v = Math.trunc(x.data[i]!);
      if (v < info.min || v > info.max) v = ((((v - info.min) % span) + span) % span) + info.min;
      out[i] = v;
    }
  } else if (target === 'int64') for (let i = 0; i < out.length; i++) out[i] = Math.trunc(x.data[i]!);
  else for (let i = 0; i < out.length; i++) out[i] = roundTo(target, x.data[i]!);
  return [{ dtype: ctx.out(0).dtype, shape: x.shape.slice(), data: out }];
};

const Identity: OpImpl = (inputs, ctx) => {
  const x = need(inputs, 0, ctx);
  return [{ dtype: outType(ctx), shape: x.shape.slice(), data: x.data }];
};

export const ELEMENTWISE_OPS: Record<string, OpImpl> = {
  Add: arith((x, y) => x + y),
  Sub: arith((x, y) => x - y),
  Mul: arith((x, y) => x * y),
  Div,
  Round: unary(roundHalfEven),
  Relu: unary((x) => (x > 0 ? x : 0)),
  Clip,
  Cast,
  Identity,
};
