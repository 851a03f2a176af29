// Less common operators: Clip and Cast on integers, Gather, ITAMax, iGELU, iLayerNorm.
import { DTYPES, toNumberArray } from '../../frontend/dtype.js';
import type { DType, Tensor } from '../../frontend/ir.js';
import { elementCount } from '../../frontend/ir.js';
import { intAttr, scalarAttr } from '../attrs.js';
import { register, unsupported, type Range } from '../registry.js';
import { rangeMul } from '../types.js';
import { dkType, intValues, log2Exact, onlyTypes, parallelCycles, product, shapeOfValue, softmaxArgs } from './common.js';
import { fixedElem, gatherRule, rowsRule, unaryRule, type KernelCost } from './tile-rules.js';

/** Throughput of these kernels with operands in L1 (tiling rules, tile-rules.ts); clip, cast and
 *  round (soft-float) fitted on Transformer_DeepQuant at the default L1, the others estimated. */
export const MISC_COST = {
  clip: { call: 190, perElem: 75, split: 'elements' },
  cast: { call: 300, perElem: 35, split: 'elements' },
  round: { call: 150, perElem: 515, split: 'elements' },
  gather: { call: 150, perElem: 3, perUnit: 40, split: 'elements' },
  itamax: { call: 150, perElem: 40, perUnit: 150, split: 'units' },
  gelu: { call: 110, perElem: 12, split: 'elements' },
  layernorm: { call: 150, perElem: 40, perUnit: 400, split: 'units' },
} satisfies Record<string, KernelCost>;

const INT_IN: readonly DType[] = ['int8', 'uint8', 'int16', 'uint16', 'int32'];
const ONNX_CAST_TYPES: Record<number, DType> = { 1: 'float32', 2: 'uint8', 3: 'int8', 4: 'uint16', 5: 'int16', 6: 'int32', 12: 'uint32' };

// ---------------------------------------------------------------- Clip (integer bounds)

interface ClipParams {
  n: number;
  lo: number;
  hi: number;
}

register<ClipParams>('Clip', {
  name: 'clip',
  parse(n, g) {
    const bound = (k: number, attr: string, fallback: number) => {
      const name = n.inputs[k];
      if (name) {
        const t = g.initializers.get(name);
        if (!t) unsupported(`Clip bound input ${k} must be a constant`);
        return toNumberArray(t.data)[0]!;
      }
      return n.attrs[attr] === undefined ? fallback : scalarAttr(n, attr);
    };
    const lo = Math.max(bound(1, 'min', -(2 ** 31)), -(2 ** 31));
    const hi = Math.min(bound(2, 'max', 2 ** 31 - 1), 2 ** 31 - 1);
    return { n: elementCount(shapeOfValue(g, n.outputs[0]!)), lo, hi };
  },
  // element i from element i, scalar bounds: the same call on pixel-major activations
  hwc(n, g) {
    return this.parse(n, g);
  },
  range(p, ins) {
    const x = ins[0]!;
    const r: Range = { lo: Math.min(Math.max(x.lo, p.lo), p.hi), hi: Math.max(Math.min(x.hi, p.hi), p.lo) };
    const intBounds = Number.isInteger(p.lo) && Number.isInteger(p.hi);
    if (x.float || !intBounds) return [{ ...r, float: true, integral: (!x.float || x.integral === true) && intBounds }];
    return [r];
  },
  inputDomain: (_p, outs) => (outs[0]!.float ? 'float' : 'int'),
  cycles: (p, cores) => parallelCycles(p.n, 5, cores),
  ops: (p) => p.n,
  bindings: [
    {
      kernel: 'dk_clip',
      tiling: unaryRule((p) => p.n, MISC_COST.clip),
      check: (p, t) =>
        t.outputs[0] === 'float32'
          ? t.inputs[0] === 'float32' ? undefined : 'float clip needs a float32 input'
          : onlyTypes([t.inputs[0]], INT_IN, 'x') ?? (Number.isInteger(p.lo) && Number.isInteger(p.hi) ? undefined : 'non-integer bounds on integers'),
      emit: (p, ctx) => ({
        argsType: 'dk_unary_args_t',
        fields: {
          x: ctx.inputs[0]!.ptr,
          y: ctx.outputs[0]!.ptr,
          n: p.n,
          lo: Number.isInteger(p.lo) ? p.lo : 0,
          hi: Number.isInteger(p.hi) ? p.hi : 0,
          flo: cFloat(p.lo),
          fhi: cFloat(p.hi),
          x_type: dkType(ctx.inputs[0]!.dtype),
          y_type: dkType(ctx.outputs[0]!.dtype),
        },
      }),
    },
  ],
});

/** A C float literal of a float32 value. */
function cFloat(x: number): string {
  const f = Math.fround(x);
  if (f >= 3.4e38) return '3.4e38f';
  if (f <= -3.4e38) return '-3.4e38f';
  const t = String(f);
  return /[.e]/.test(t) ? `${t}f` : `${t}.0f`;
}

// ---------------------------------------------------------------- Round (float32, half to even)

interface RoundParams {
  n: number;
}

register<RoundParams>('Round', {
  name: 'round',
  parse: (n, g) => ({ n: elementCount(shapeOfValue(g, n.outputs[0]!)) }),
  range: (_p, ins) => [{ lo: Math.round(ins[0]!.lo) - 1, hi: Math.round(ins[0]!.hi) + 1, float: true, integral: true }],
  inputDomain: () => 'float',
  cycles: (p, cores) => parallelCycles(p.n, 30, cores),
  ops: (p) => p.n,
  bindings: [
    {
      kernel: 'dk_round',
      tiling: unaryRule((p) => p.n, MISC_COST.round),
      check: (_p, t) => (t.inputs[0] === 'float32' ? undefined : 'Round needs a float32 input'),
      emit: (p, ctx) => ({
        argsType: 'dk_unary_args_t',
        fields: { x: ctx.inputs[0]!.ptr, y: ctx.outputs[0]!.ptr, n: p.n, lo: 0, hi: 0, flo: 0, fhi: 0, x_type: 'DK_F32', y_type: 'DK_F32' },
      }),
    },
  ],
});

// ---------------------------------------------------------------- Cast

interface CastParams {
  n: number;
  to: DType;
}

register<CastParams>('Cast', {
  name: 'integer cast',
  parse(n, g) {
    const to = ONNX_CAST_TYPES[intAttr(n, 'to')];
    if (!to) unsupported(`Cast to ONNX type ${intAttr(n, 'to')} (float32 and integer targets only)`);
    return { n: elementCount(shapeOfValue(g, n.outputs[0]!)), to };
  },
  range(p, ins) {
    const x = ins[0]!;
    if (p.to === 'float32') return [{ lo: x.lo, hi: x.hi, float: true, integral: !x.float || x.integral === true }];
    // float -> int truncates toward zero, then wraps like a C cast
    const lo = Math.trunc(x.lo);
    const hi = Math.trunc(x.hi);
    const t = DTYPES[p.to];
    return [lo >= t.min && hi <= t.max ? { lo, hi } : { lo: t.min, hi: t.max }];
  },
  inputDomain: () => undefined,
  cycles: (p, cores) => parallelCycles(p.n, 4, cores),
  ops: (p) => p.n,
  bindings: [
    {
      kernel: 'dk_cast',
      tiling: unaryRule((p) => p.n, MISC_COST.cast),
      check: (_p, t) => onlyTypes([t.inputs[0]], [...INT_IN, 'float32'], 'x'),
      emit: (p, ctx) => ({
        argsType: 'dk_unary_args_t',
        fields: { x: ctx.inputs[0]!.ptr, y: ctx.outputs[0]!.ptr, n: p.n, lo: 0, hi: 0, flo: 0, fhi: 0, x_type: dkType(ctx.inputs[0]!.dtype), y_type: dkType(ctx.outputs[0]!.dtype) },
      }),
    },
  ],
});

// ---------------------------------------------------------------- Gather (constant indices)

interface GatherParams {
  layer: string;
  outer: number;
  axisLen: number;
  inner: number;
  idx: Tensor;
}

register<GatherParams>('Gather', {
  name: 'gather',
  inputDomain: () => undefined,
  parse(n, g) {
    const xs = shapeOfValue(g, n.inputs[0]!);
    const idx = g.initializers.get(n.inputs[1]!);
    if (!idx) unsupported('Gather indices must be a constant');
    let axis = intAttr(n, 'axis', 0);
    if (axis < 0) axis += xs.length;
    return { layer: n.name, outer: product(xs.slice(0, axis)), axisLen: xs[axis]!, inner: product(xs.slice(axis + 1)), idx };
  },
  range: (_p, ins) => [ins[0]!],
  cycles: (p, cores) => parallelCycles(p.outer * elementCount(p.idx.shape) * p.inner, 4, cores),
  ops: (p) => p.outer * elementCount(p.idx.shape) * p.inner,
  bindings: [
    {
      kernel: 'dk_gather',
      tiling: gatherRule<GatherParams>((p) => ({ ...p, nIdx: elementCount(p.idx.shape) }), MISC_COST.gather),
      check: () => undefined,
      emit: (p, ctx) => ({
        argsType: 'dk_gather_args_t',
        fields: {
          x: ctx.inputs[0]!.ptr,
          idx: ctx.constant(`${p.layer}_idx`, 'int32', intValues(p.idx), p.idx.shape),
          y: ctx.outputs[0]!.ptr,
          outer: p.outer,
          axis_len: p.axisLen,
          inner: p.inner,
          n_idx: elementCount(p.idx.shape),
          elem_size: DTYPES[ctx.inputs[0]!.dtype].bytes,
        },
      }),
    },
  ],
});

// ---------------------------------------------------------------- ITAMax

interface ItaParams {
  rows: number;
  len: number;
  nLevels: number;
}

register<ItaParams>('ITAMax', {
  name: 'ITA softmax',
  parse(n, g) {
    const shape = shapeOfValue(g, n.outputs[0]!);
    const len = shape[shape.length - 1] ?? 1;
    return { rows: elementCount(shape) / Math.max(1, len), len, nLevels: n.attrs.n_levels === undefined ? 256 : intAttr(n, 'n_levels') };
  },
  // Deeploy's convention: the unsigned value minus n/2 (operators.md).
  range: (p) => [{ lo: -p.nLevels / 2, hi: p.nLevels / 2 - 1 }],
  cycles: (p, cores) => parallelCycles(p.rows * p.len, 40, Math.min(cores, p.rows)),
  ops: (p) => p.rows * p.len,
  bindings: [
    {
      kernel: 'dk_itamax',
      tiling: rowsRule((p) => p, MISC_COST.itamax),
      check: (_p, t) => onlyTypes([t.inputs[0]], ['int8', 'uint8', 'int32'], 'x'),
      emit: (p, ctx) => softmaxArgs({ ...p, coeffA: 0, coeffB: 0, coeffC: 0, log2: 0 }, ctx),
    },
  ],
});

// ---------------------------------------------------------------- iGELU

interface GeluParams {
  n: number;
  b: number;
  one: number;
}

register<GeluParams>('iGELU', {
  name: 'integer GELU',
  parse: (n, g) => ({ n: elementCount(shapeOfValue(g, n.outputs[0]!)), b: intAttr(n, 'b'), one: intAttr(n, 'one') }),
  range(p, ins) {
    const m = Math.max(Math.abs(p.one), Math.abs(p.one - p.b * p.b));
    const t: Range = { lo: Math.floor((p.one - m) / 2), hi: Math.floor((p.one + m) / 2) };
    return [rangeMul(ins[0]!, t)];
  },
  cycles: (p, cores) => parallelCycles(p.n, 12, cores),
  ops: (p) => p.n,
  bindings: [
    {
      kernel: 'dk_igelu',
      tiling: unaryRule((p) => p.n, MISC_COST.gelu),
      check: (_p, t) => onlyTypes([t.inputs[0]], INT_IN, 'x'),
      emit: (p, ctx) => ({
        argsType: 'dk_gelu_args_t',
        fields: { x: ctx.inputs[0]!.ptr, y: ctx.outputs[0]!.ptr, n: p.n, b: p.b, one: p.one, in_off: 0, x_type: dkType(ctx.inputs[0]!.dtype), y_type: dkType(ctx.outputs[0]!.dtype), rq: '{ .mul = 0 }' },
      }),
    },
  ],
});

// ---------------------------------------------------------------- iLayerNorm

interface LayerNormParams {
  layer: string;
  rows: number;
  len: number;
  w: Tensor;
  b: Tensor;
  log2d: number;
}

register<LayerNormParams>('iLayerNorm', {
  name: 'integer layer norm',
  parse(n, g) {
    const shape = shapeOfValue(g, n.outputs[0]!);
    const w = g.initializers.get(n.inputs[1] ?? '');
    const b = g.initializers.get(n.inputs[2] ?? '');
    if (!w || !b) unsupported('iLayerNorm weight and bias must be constants');
    const len = shape[shape.length - 1]!;
    if (elementCount(w.shape) !== len || elementCount(b.shape) !== len) unsupported(`weight/bias of ${elementCount(w.shape)}/${elementCount(b.shape)} elements for rows of ${len}`);
    return { layer: n.name, rows: elementCount(shape) / len, len, w, b, log2d: log2Exact(scalarAttr(n, 'D'), 'iLayerNorm D') };
  },
  // Deeploy's kernel casts to int8 without clamping.
  range: () => [{ lo: -128, hi: 127 }],
  cycles: (p, cores) => parallelCycles(p.rows * p.len, 40, Math.min(cores, p.rows)),
  ops: (p) => p.rows * p.len,
  bindings: [
    {
      kernel: 'dk_ilayernorm',
      tiling: rowsRule(
        (p) => ({
          rows: p.rows,
          len: p.len,
          whole: [
            { field: 'w', dir: 'in', whole: p.len, elem: fixedElem(4) },
            { field: 'b', dir: 'in', whole: p.len, elem: fixedElem(4) },
          ],
        }),
        MISC_COST.layernorm,
      ),
      check: (_p, t) => onlyTypes([t.inputs[0]], INT_IN, 'x') ?? (t.outputs[0] === 'int8' ? undefined : 'output must be int8'),
      emit: (p, ctx) => ({
        argsType: 'dk_layernorm_args_t',
        fields: {
          x: ctx.inputs[0]!.ptr,
          w: ctx.constant(`${p.layer}_w`, 'int32', intValues(p.w), p.w.shape),
          b: ctx.constant(`${p.layer}_b`, 'int32', intValues(p.b), p.b.shape),
          y: ctx.outputs[0]!.ptr,
          rows: p.rows,
          len: p.len,
          log2d: p.log2d,
          in_off: 0,
          x_type: dkType(ctx.inputs[0]!.dtype),
          y_type: dkType(ctx.outputs[0]!.dtype),
        },
      }),
    },
  ],
});
