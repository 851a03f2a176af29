// Data-movement operators: values are copied, never changed.
import { InputError } from '../../errors.js';
import { attrInts, attrNumber, normAxis, resolveReshape, sliceParams } from '../../frontend/shapes.js';
import { toNumberArray } from '../../frontend/dtype.js';
import { type OpImpl, type Value, need, ints, size, strides } from '../value.js';

const Reshape: OpImpl = (inputs, ctx) => {
  const x = need(inputs, 0, ctx);
  const target = ints(inputs[1]) ?? attrInts(ctx.node, 'shape');
  if (!target) throw new InputError(`node '${ctx.node.name}' (Reshape): no shape input`);
  const shape = resolveReshape(x.shape, target, attrNumber(ctx.node, 'allowzero', 0) === 1);
  if (size(shape) !== x.data.length) throw new InputError(`node '${ctx.node.name}' (Reshape): cannot reshape [${x.shape}] to [${target}]`);
  return [{ dtype: ctx.out(0).dtype, shape, data: x.data }];
};

const Flatten: OpImpl = (inputs, ctx) => {
  const x = need(inputs, 0, ctx);
  const axis = normAxis(attrNumber(ctx.node, 'axis', 1), x.shape.length);
  const outer = size(x.shape.slice(0, axis));
  return [{ dtype: ctx.out(0).dtype, shape: [outer, size(x.shape.slice(axis))], data: x.data }];
};

function reshapeTo(inputs: (Value | undefined)[], ctx: Parameters<OpImpl>[1]): Value[] {
  const x = need(inputs, 0, ctx);
  return [{ dtype: ctx.out(0).dtype, shape: ctx.out(0).shape.slice(), data: x.data }];
}

export function transpose(x: Value, perm: number[]): Value {
  const rank = x.shape.length;
  const shape = perm.map((p) => x.shape[p]!);
  const n = x.data.length;
  const out = new Float64Array(n);
  const inStr = strides(x.shape);
  const s = perm.map((p) => inStr[p]!); // input stride per output axis
  const idx = new Array<number>(rank).fill(0);
  let src = 0;
  for (let i = 0; i < n; i++) {
    out[i] = x.data[src]!;
    for (let k = rank - 1; k >= 0; k--) {
      idx[k]!++;
      src += s[k]!;
      if (idx[k]! < shape[k]!) break;
      src -= s[k]! * shape[k]!;
      idx[k] = 0;
    }
  }
  return { dtype: x.dtype, shape, data: out };
}

const Transpose: OpImpl = (inputs, ctx) => {
  const x = need(inputs, 0, ctx);
  const perm = attrInts(ctx.node, 'perm') ?? x.shape.map((_, i) => x.shape.length - 1 - i);
  return [{ ...transpose(x, perm), dtype: ctx.out(0).dtype }];
};

const Concat: OpImpl = (inputs, ctx) => {
  const xs = inputs.filter((v): v is Value => !!v);
  const rank = xs[0]!.shape.length;
  const axis = normAxis(attrNumber(ctx.node, 'axis'), rank);
  const shape = xs[0]!.shape.slice();
  shape[axis] = xs.reduce((p, v) => p + v.shape[axis]!, 0);
  for (const v of xs)
    if (v.shape.length !== rank || v.shape.some((d, k) => k !== axis && d !== shape[k]))
      throw new InputError(`node '${ctx.node.name}' (Concat): input shapes [${xs.map((x) => `[${x.shape}]`).join(', ')}] do not concatenate on axis ${axis}`);
  const outer = size(shape.slice(0, axis));
  const inner = size(shape.slice(axis + 1));
  const out = new Float64Array(size(shape));
  let o = 0;
  for (let i = 0; i < outer; i++)
    for (const v of xs) {
      const len = v.shape[axis]! * inner;
      out.set(v.data.subarray(i * len, (i + 1) * len), o);
      o += len;
    }
  return [{ dtype: ctx.out(0).dtype, shape, data: out }];
};

/** Copy a strided window: out[i0..] = x[begin + i*step] per axis. */
function gatherWindow(x: Value, begin: number[], step: number[], outShape: number[]): Float64Array {
  const n = size(outShape);
  const out = new Float64Array(n);
  if (n === 0) return out;
  const rank = outShape.length;
  const s = strides(x.shape);
  const idx = new Array<number>(rank).fill(0);
  let src = begin.reduce((p, b, k) => p + b * s[k]!, 0);
  for (let i = 0; i < n; i++) {
    out[i] = x.data[src]!;
    for (let k = rank - 1; k >= 0; k--) {
      idx[k]!++;
      src += step[k]! * s[k]!;
      if (idx[k]! < outShape[k]!) break;
      src -= step[k]! * s[k]! * outShape[k]!;
      idx[k] = 0;
    }
  }
  return out;
}

const Slice: OpImpl = (inputs, ctx) => {
  const x = need(inputs, 0, ctx);
  const n = ctx.node;
  const starts = attrInts(n, 'starts') ?? ints(inputs[1]);
  const ends = attrInts(n, 'ends') ?? ints(inputs[2]);
  if (!starts || !ends) throw new InputError(`node '${n.name}' (Slice): starts/ends missing`);
  const axes = attrInts(n, 'axes') ?? ints(inputs[3]);
  const steps = ints(inputs[4]);
  const { begin, step, outShape } = sliceParams(x.shape, starts, ends, axes, steps);
  return [{ dtype: ctx.out(0).dtype, shape: outShape, data: gatherWindow(x, begin, step, outShape) }];
};

const Pad: OpImpl = (inputs, ctx) => {
  const x = need(inputs, 0, ctx);
  const n = ctx.node;
  const mode = typeof n.attrs.mode === 'string' ? n.attrs.mode : 'constant';
  if (mode !== 'constant') throw new InputError(`node '${n.name}' (Pad): mode '${mode}' is not supported (constant is)`);
  const rank = x.shape.length;
  let pads = attrInts(n, 'pads') ?? ints(inputs[1]);
  if (!pads) throw new InputError(`node '${n.name}' (Pad): no pads`);
  const axesIn = ints(inputs[3]);
  if (axesIn) {
    const full = new Array<number>(2 * rank).fill(0);
    axesIn.forEach((a, k) => {
      const ax = normAxis(a, rank);
      full[ax] = pads![k]!;
      full[ax + rank] = pads![k + axesIn.length]!;
    });
    pads = full;
  }
  const value = inputs[2] ? inputs[2].data[0]! : attrNumber(n, 'value', 0);
  const shape = x.shape.map((d, i) => d + pads![i]! + pads![i + rank]!);
  const out = new Float64Array(size(shape)).fill(value);
  const os = strides(shape);
  const is = strides(x.shape);
  const total = x.data.length;
  for (let i = 0; i < total; i++) {
    let o = 0;
    let ok = true;
    for (let k = 0; k < rank; k++) {
      const c = Math.floor(i / is[k]!) % x.shape[k]! + pads[k]!;
      if (c < 0 || c >= shape[k]!) {
        ok = false;
        break;
      }
      o += c * os[k]!;
    }
    if (ok) out[o] = x.data[i]!;
  }
  return [{ dtype: ctx.out(0).dtype, shape, data: out }];
};

const Gather: OpImpl = (inputs, ctx) => {
  const x = need(inputs, 0, ctx);
  const ind = need(inputs, 1, ctx);
  const axis = normAxis(attrNumber(ctx.node, 'axis', 0), x.shape.length);
  const outer = size(x.shape.slice(0, axis));
  const inner = size(x.shape.slice(axis + 1));
  const dim = x.shape[axis]!;
  const shape = [...x.shape.slice(0, axis), ...ind.shape, ...x.shape.slice(axis + 1)];
  const out = new Float64Array(size(shape));
  let o = 0;
  for (let i = 0; i < outer; i++)
    for (let j = 0; j < ind.data.length; j++) {
      let k = ind.data[j]!;
      if (k < 0) k += dim;
      if (k < 0 || k >= dim) throw new InputError(`node '${ctx.node.name}' (Gather): index ${ind.data[j]} out of range for axis of size ${dim}`);
      out.set(x.data.subarray((i * dim + k) * inner, (i * dim + k + 1) * inner), o);
      o += inner;
    }
  return [{ dtype: ctx.out(0).dtype, shape, data: out }];
};

/** Constant nodes are folded into initializers by the loader; graphs built in memory may keep them. */
const Constant: OpImpl = (_inputs, ctx) => {
  const a = ctx.node.attrs;
  const v = a.value;
  if (v && typeof v === 'object' && !Array.isArray(v)) return [{ dtype: ctx.out(0).dtype, shape: v.shape.slice(), data: toNumberArray(v.data) }];
  for (const [k, scalar] of [['value_float', true], ['value_int', true], ['value_floats', false], ['value_ints', false]] as const) {
    const x = a[k];
    if (x === undefined) continue;
    const list = (Array.isArray(x) ? x : [x]).map(Number);
    return [{ dtype: ctx.out(0).dtype, shape: scalar ? [] : [list.length], data: Float64Array.from(list) }];
  }
  throw new InputError(`node '${ctx.node.name}' (Constant): no value attribute`);
};

export const LAYOUT_OPS: Record<string, OpImpl> = {
  Constant,
  Reshape,
  Flatten,
  Squeeze: reshapeTo,
  Unsqueeze: reshapeTo,
  Transpose,
  Concat,
  Slice,
  Pad,
  Gather,
};
