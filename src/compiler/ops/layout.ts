// Data movement and reductions: Alias (no code), Transpose, Concat, Slice, Pad, MaxPool,
// ReduceSum, ReduceMean.
import { DTYPES } from '../../frontend/dtype.js';
import type { Graph } from '../../frontend/ir.js';
import { elementCount } from '../../frontend/ir.js';
import { intAttr, intsAttr, stringAttr } from '../attrs.js';
import type { LNode } from '../graph.js';
import { register, unsupported, type Binding, type Range } from '../registry.js';
import { rangeScale, rangeUnion } from '../types.js';
import { cArray, dims6, DK_MAX_CONCAT, dkType, FORK_OVERHEAD, intValues, parallelCycles, product, shapeOfValue } from './common.js';
import { blockRule, canonicalTranspose, eitherRule, inElem, outElem, rangeRule, reduceRule, transposeRule, windowRule, type KernelCost } from './tile-rules.js';

/** Throughput of these kernels with operands in L1 (tiling rules, tile-rules.ts); transpose fitted
 *  on the microLlama decoders at the default L1, the others estimated. */
export const LAYOUT_COST = {
  concat: { call: 120, perElem: 3, perUnit: 20, split: 'elements' },
  transpose: { call: 380, perElem: 8.5, split: 'elements' },
  slice: { call: 150, perElem: 6, split: 'elements' },
  pad: { call: 150, perElem: 5, split: 'elements' },
  maxpool: { call: 150, perElem: 3, split: 'elements' },
  reduce: { call: 120, perElem: 4, perUnit: 10, split: 'units' },
} satisfies Record<string, KernelCost>;

/** The first axis whose output extent is more than 1 (a tile splits it; the axes before are 1). */
const splitAxis = (out: readonly number[]) => Math.max(0, out.findIndex((d) => d > 1));

const sameRange = (_p: unknown, ins: (Range | undefined)[]) => [rangeUnion(ins)];
const elemSize = (d: keyof typeof DTYPES) => DTYPES[d].bytes;

// ---------------------------------------------------------------- Alias (Reshape & co.)

register<Record<string, never>>('Alias', {
  name: 'alias',
  inputDomain: () => undefined,
  parse: () => ({}),
  range: (_p, ins) => [ins[0]!],
  cycles: () => 0,
  ops: () => 0,
  alias: true,
  sameType: true,
  bindings: [{ kernel: '(alias)', check: (_p, t) => (t.inputs[0] === t.outputs[0] ? undefined : 'alias changes the element type'), emit: () => unsupported('aliases emit no code') }],
});

// ---------------------------------------------------------------- Transpose

/** The transpose as the kernel takes it (tile-rules.ts canonicalTranspose). */
interface TransposeParams {
  inShape: number[];
  perm: number[];
}

register<TransposeParams>('Transpose', {
  name: 'transpose',
  inputDomain: () => undefined,
  parse(n, g) {
    const inShape = shapeOfValue(g, n.inputs[0]!);
    const perm = intsAttr(n, 'perm', inShape.map((_, k) => inShape.length - 1 - k));
    if (inShape.length > 6) unsupported(`rank ${inShape.length} > 6`);
    return canonicalTranspose(inShape, perm);
  },
  range: sameRange,
  cycles: (p, cores) => parallelCycles(elementCount(p.inShape), 6, cores),
  ops: (p) => elementCount(p.inShape),
  bindings: [
    {
      kernel: 'dk_transpose',
      tiling: transposeRule((p) => p, LAYOUT_COST.transpose),
      check: () => undefined,
      emit: (p, ctx) => ({
        argsType: 'dk_transpose_args_t',
        fields: {
          x: ctx.inputs[0]!.ptr,
          y: ctx.outputs[0]!.ptr,
          ndim: p.inShape.length,
          in_shape: cArray(dims6(p.inShape, 1)),
          perm: cArray(dims6(p.perm)),
          elem_size: elemSize(ctx.inputs[0]!.dtype),
        },
      }),
    },
  ],
});

// ---------------------------------------------------------------- Concat

interface ConcatParams {
  outer: number;
  inner: number;
  lens: number[];
}

register<ConcatParams>('Concat', {
  name: 'concat',
  inputDomain: () => undefined,
  sameType: true,
  parse(n, g) {
    const out = shapeOfValue(g, n.outputs[0]!);
    let axis = intAttr(n, 'axis');
    if (axis < 0) axis += out.length;
    if (n.inputs.length > DK_MAX_CONCAT) unsupported(`${n.inputs.length} inputs (the kernel takes ${DK_MAX_CONCAT})`);
    if (n.inputs.some((i) => g.initializers.has(i))) unsupported('constant inputs of Concat');
    return { outer: product(out.slice(0, axis)), inner: product(out.slice(axis + 1)), lens: n.inputs.map((i) => shapeOfValue(g, i)[axis]!) };
  },
  range: sameRange,
  cycles: (p, cores) => parallelCycles(p.outer * p.inner * p.lens.reduce((a, b) => a + b, 0), 4, cores),
  ops: (p) => p.outer * p.inner * p.lens.reduce((a, b) => a + b, 0),
  bindings: [
    {
      kernel: 'dk_concat',
      tiling: blockRule(
        (p) => ({
          outer: p.outer,
          inner: p.inner,
          operands: [
            ...p.lens.map((l, k) => ({ field: `x[${k}]`, dir: 'in' as const, rows: l, elem: inElem(k) })),
            { field: 'y', dir: 'out', rows: p.lens.reduce((a, b) => a + b, 0), elem: outElem(0) },
          ],
        }),
        LAYOUT_COST.concat,
      ),
      check: (_p, t) => (t.inputs.every((d) => d === t.outputs[0]) ? undefined : `inputs of types ${t.inputs.join(', ')} into ${t.outputs[0]}`),
      emit: (p, ctx) => ({
        argsType: 'dk_concat_args_t',
        fields: {
          x: `{ ${ctx.inputs.map((i) => i!.ptr).join(', ')} }`,
          len: cArray(p.lens),
          n_inputs: p.lens.length,
          y: ctx.outputs[0]!.ptr,
          outer: p.outer,
          inner: p.inner,
          elem_size: elemSize(ctx.outputs[0]!.dtype),
        },
      }),
    },
  ],
});

// ---------------------------------------------------------------- Slice (opset >= 10: inputs)

interface SliceParams {
  inShape: number[];
  outShape: number[];
  start: number[];
  step: number[];
}

/**
 * Ranges of output rows along the first axis longer than 1 (positive step): a tile reads the
 * span of input rows start + step * [o0, o0 + t), whole inner blocks; its args start there.
 */
const sliceTiling = rangeRule<SliceParams>((p) => {
  const { ax, folded } = sliceFold(p);
  const inInner = product(p.inShape.slice(ax + 1));
  const outInner = product(p.outShape.slice(ax + 1));
  return {
    name: 'rows',
    size: folded ? p.outShape[ax]! : 1,
    elemsPerUnit: folded ? outInner : product(p.outShape),
    operands: folded
      ? [
          { field: 'x', dir: 'in', unit: p.step[ax]! * inInner, tail: inInner, elem: inElem(0) },
          { field: 'y', dir: 'out', unit: outInner, elem: outElem(0) },
        ]
      : [
          { field: 'x', dir: 'in', unit: product(p.inShape), elem: inElem(0) },
          { field: 'y', dir: 'out', unit: product(p.outShape), elem: outElem(0) },
        ],
    countFields: folded ? [`out_shape[${ax}]`] : [],
    cost: LAYOUT_COST.slice,
  };
});

/**
 * With a positive step on the split axis the args start at the first element read (the starts
 * up to that axis folded into x: elements before it, `offset`), so that a tile of output rows
 * reads the span of input rows from its own first row.
 */
function sliceFold(p: SliceParams): { ax: number; folded: boolean; offset: number } {
  const ax = splitAxis(p.outShape);
  const folded = p.step[ax]! > 0;
  const offset = folded ? p.start.reduce((a, st, j) => (j <= ax ? a + st * product(p.inShape.slice(j + 1)) : a), 0) : 0;
  return { ax, folded, offset };
}

register<SliceParams>('Slice', {
  name: 'slice',
  inputDomain: () => undefined,
  parse(n, g) {
    const inShape = shapeOfValue(g, n.inputs[0]!);
    const outShape = shapeOfValue(g, n.outputs[0]!);
    const constIn = (k: number) => {
      const name = n.inputs[k];
      if (!name) return undefined;
      const t = g.initializers.get(name);
      if (!t) unsupported(`Slice input ${k} must be a constant`);
      return intValues(t);
    };
    const starts = constIn(1) ?? intsAttr(n, 'starts');
    const ends = constIn(2) ?? intsAttr(n, 'ends');
    const axes = constIn(3) ?? (n.attrs.axes !== undefined ? intsAttr(n, 'axes') : starts.map((_, k) => k));
    const steps = constIn(4) ?? starts.map(() => 1);
    const start = inShape.map(() => 0);
    const step = inShape.map(() => 1);
    axes.forEach((a0, k) => {
      const a = a0 < 0 ? a0 + inShape.length : a0;
      const dim = inShape[a]!;
      const st = steps[k]!;
      if (st === 0) unsupported('Slice step 0');
      let s = starts[k]!;
      if (s < 0) s += dim;
      // ONNX clamping: [0, dim] for positive steps, [0, dim-1] for negative ones
      s = st > 0 ? Math.min(Math.max(s, 0), dim) : Math.min(Math.max(s, 0), dim - 1);
      void ends;
      start[a] = s;
      step[a] = st;
    });
    if (inShape.length > 6) unsupported(`rank ${inShape.length} > 6`);
    return { inShape, outShape, start, step };
  },
  range: (_p, ins) => [ins[0]!], // the data only: starts/ends/axes/steps are indices, not values
  cycles: (p, cores) => parallelCycles(elementCount(p.outShape), 6, cores),
  ops: (p) => elementCount(p.outShape),
  bindings: [
    {
      kernel: 'dk_slice',
      tiling: sliceTiling,
      check: () => undefined,
      emit: (p, ctx) => {
        const { ax, folded, offset } = sliceFold(p);
        const es = elemSize(ctx.inputs[0]!.dtype);
        return {
          argsType: 'dk_slice_args_t',
          fields: {
            x: offset ? `(const void *)((const uint8_t *)${ctx.inputs[0]!.ptr} + ${offset * es})` : ctx.inputs[0]!.ptr,
            y: ctx.outputs[0]!.ptr,
            ndim: p.inShape.length,
            in_shape: cArray(dims6(p.inShape, 1)),
            out_shape: cArray(dims6(p.outShape, 1)),
            start: cArray(dims6(p.start.map((st, j) => (folded && j <= ax ? 0 : st)))),
            step: cArray(dims6(p.step, 1)),
            elem_size: es,
          },
        };
      },
    },
  ],
});

// ---------------------------------------------------------------- Pad (constant mode)

interface PadParams {
  inShape: number[];
  outShape: number[];
  begin: number[];
  value: number;
}

/**
 * Output rows along the first padded axis, as a one-row window (tile-rules.ts windowRule: the
 * input rows the tile's rows copy, clipped; a tile of padding only moves one row it ignores),
 * the dims before it as channels.
 */
const padRows = windowRule<PadParams>((p) => {
  const ax = padAxis(p);
  const lead = product(p.outShape.slice(0, Math.max(0, ax - 1)));
  const channels = ax >= 1 ? (lead === 1 ? `T->in_shape[${ax - 1}] = tc; T->out_shape[${ax - 1}] = tc;` : `for (uint32_t j = 0; j < ${ax}u; j++) T->in_shape[j] = T->out_shape[j] = 1;`) : '';
  return {
    N: 1,
    C: product(p.outShape.slice(0, ax)),
    cChoices: lead === 1 ? undefined : [1],
    H: p.inShape[ax]!,
    W: product(p.inShape.slice(ax + 1)),
    OH: p.outShape[ax]!,
    OW: product(p.outShape.slice(ax + 1)),
    KH: 1,
    strideH: 1,
    dilH: 1,
    padT: p.begin[ax]!,
    xField: 'x',
    yField: 'y',
    xElem: inElem(0),
    yElem: outElem(0),
    setup: [`T->in_shape[${ax}] = hh; T->out_shape[${ax}] = toh; T->pad_begin[${ax}] = (int32_t)padt;`, channels],
    cost: (tc, toh, cores) => LAYOUT_COST.pad.call + Math.ceil((tc * toh * product(p.outShape.slice(ax + 1))) / cores) * LAYOUT_COST.pad.perElem,
  };
});

/** The axis a pad's tiles split as window rows: the first padded one (the dims before it are channels). */
function padAxis(p: PadParams): number {
  const k = p.begin.findIndex((b, j) => b !== 0 || p.inShape[j] !== p.outShape[j]);
  return k < 0 ? splitAxis(p.outShape) : k;
}

/** Cropping (a negative pad) on that axis: one tile, everything whole. */
const padWhole = rangeRule<PadParams>((p) => ({
  name: 'rows',
  size: 1,
  elemsPerUnit: product(p.outShape),
  operands: [
    { field: 'x', dir: 'in', unit: product(p.inShape), elem: inElem(0) },
    { field: 'y', dir: 'out', unit: product(p.outShape), elem: outElem(0) },
  ],
  countFields: [],
  cost: LAYOUT_COST.pad,
}));
const padTiling = eitherRule<PadParams>((p) => (p.begin[padAxis(p)]! >= 0 ? padRows : padWhole));

register<PadParams>('Pad', {
  name: 'pad',
  inputDomain: () => undefined,
  parse(n, g) {
    const mode = stringAttr(n, 'mode', 'constant');
    if (mode !== 'constant') unsupported(`mode '${mode}' (constant only)`);
    const inShape = shapeOfValue(g, n.inputs[0]!);
    const padsT = n.inputs[1] ? g.initializers.get(n.inputs[1]) : undefined;
    if (n.inputs[1] && !padsT) unsupported('pads must be a constant');
    const pads = padsT ? intValues(padsT) : intsAttr(n, 'pads');
    const valueT = n.inputs[2] ? g.initializers.get(n.inputs[2]) : undefined;
    const value = valueT ? intValues(valueT)[0]! : n.attrs.value === undefined ? 0 : Number(n.attrs.value);
    if (!Number.isInteger(value)) unsupported(`pad value ${value} is not an integer`);
    if (n.inputs[3]) unsupported('the axes input of Pad');
    return { inShape, outShape: shapeOfValue(g, n.outputs[0]!), begin: pads.slice(0, inShape.length), value };
  },
  range: (p, ins) => [rangeUnion([ins[0], { lo: p.value, hi: p.value }])],
  cycles: (p, cores) => parallelCycles(elementCount(p.outShape), 5, cores),
  ops: (p) => elementCount(p.outShape),
  bindings: [
    {
      kernel: 'dk_pad',
      tiling: padTiling,
      check: () => undefined,
      emit: (p, ctx) => ({
        argsType: 'dk_pad_args_t',
        fields: {
          x: ctx.inputs[0]!.ptr,
          y: ctx.outputs[0]!.ptr,
          ndim: p.inShape.length,
          in_shape: cArray(dims6(p.inShape, 1)),
          out_shape: cArray(dims6(p.outShape, 1)),
          pad_begin: cArray(dims6(p.begin)),
          value: p.value,
          elem_size: elemSize(ctx.outputs[0]!.dtype),
        },
      }),
    },
  ],
});

// ---------------------------------------------------------------- MaxPool

interface PoolParams {
  N: number;
  C: number;
  H: number;
  W: number;
  OH: number;
  OW: number;
  KH: number;
  KW: number;
  strides: [number, number];
  dils: [number, number];
  padT: number;
  padL: number;
}

register<PoolParams>('MaxPool', {
  name: 'max pool',
  parse(n, g) {
    const xs = shapeOfValue(g, n.inputs[0]!);
    const os = shapeOfValue(g, n.outputs[0]!);
    if (n.outputs.length > 1 && n.outputs[1]) unsupported('the Indices output of MaxPool');
    if (stringAttr(n, 'auto_pad', 'NOTSET') !== 'NOTSET') unsupported('auto_pad (explicit pads only)');
    if (intAttr(n, 'storage_order', 0) !== 0) unsupported('storage_order 1');
    const sp = xs.length - 2;
    if (sp !== 1 && sp !== 2) unsupported(`MaxPool over ${sp} spatial dims`);
    const ks = intsAttr(n, 'kernel_shape');
    const st = intsAttr(n, 'strides', ks.map(() => 1));
    const dl = intsAttr(n, 'dilations', ks.map(() => 1));
    const pads = intsAttr(n, 'pads', [...ks, ...ks].map(() => 0));
    const two = (a: number[], fill: number): [number, number] => (sp === 1 ? [fill, a[0]!] : [a[0]!, a[1]!]);
    return {
      N: xs[0]!,
      C: xs[1]!,
      H: sp === 1 ? 1 : xs[2]!,
      W: xs[xs.length - 1]!,
      OH: sp === 1 ? 1 : os[2]!,
      OW: os[os.length - 1]!,
      KH: sp === 1 ? 1 : ks[0]!,
      KW: ks[sp - 1]!,
      strides: two(st, 1),
      dils: two(dl, 1),
      padT: sp === 1 ? 0 : pads[0]!,
      padL: pads[sp - 1]!,
    };
  },
  range: sameRange,
  cycles: (p, cores) => parallelCycles(p.N * p.C * p.OH * p.OW * p.KH * p.KW, 3, cores),
  ops: (p) => p.N * p.C * p.OH * p.OW * p.KH * p.KW,
  bindings: [
    {
      kernel: 'dk_maxpool',
      tiling: windowRule<PoolParams>((p) => ({
        N: p.N,
        C: p.C,
        H: p.H,
        W: p.W,
        OH: p.OH,
        OW: p.OW,
        KH: p.KH,
        strideH: p.strides[0],
        dilH: p.dils[0],
        padT: p.padT,
        xField: 'X',
        yField: 'Y',
        xElem: inElem(0),
        yElem: outElem(0),
        setup: ['T->N = 1; T->C = tc; T->H = hh; T->OH = toh; T->pad_t = padt;'],
        cost: (tc, toh, cores) => LAYOUT_COST.maxpool.call + Math.ceil((tc * toh * p.OW) / cores) * p.KH * p.KW * LAYOUT_COST.maxpool.perElem,
      })),
      check: (_p, t) => (t.inputs[0] === t.outputs[0] ? undefined : 'input and output types differ'),
      emit: (p, ctx) => ({
        argsType: 'dk_maxpool_args_t',
        fields: {
          X: ctx.inputs[0]!.ptr,
          Y: ctx.outputs[0]!.ptr,
          N: p.N,
          C: p.C,
          H: p.H,
          W_in: p.W,
          OH: p.OH,
          OW: p.OW,
          KH: p.KH,
          KW: p.KW,
          stride_h: p.strides[0],
          stride_w: p.strides[1],
          dil_h: p.dils[0],
          dil_w: p.dils[1],
          pad_t: p.padT,
          pad_l: p.padL,
          type: dkType(ctx.inputs[0]!.dtype),
        },
      }),
    },
  ],
});

// ---------------------------------------------------------------- ReduceSum / ReduceMean

interface ReduceParams {
  outer: number;
  red: number;
  inner: number;
}

function parseReduce(n: LNode, g: Graph): ReduceParams {
  const xs = shapeOfValue(g, n.inputs[0]!);
  const axesT = n.inputs[1] ? g.initializers.get(n.inputs[1]) : undefined;
  if (n.inputs[1] && !axesT) unsupported('axes must be a constant');
  let axes = axesT ? intValues(axesT) : n.attrs.axes !== undefined ? intsAttr(n, 'axes') : xs.map((_, k) => k);
  if (axes.length === 0 && intAttr(n, 'noop_with_empty_axes', 0) === 0) axes = xs.map((_, k) => k);
  axes = axes.map((a) => (a < 0 ? a + xs.length : a)).sort((a, b) => a - b);
  for (let k = 1; k < axes.length; k++) if (axes[k] !== axes[k - 1]! + 1) unsupported(`reduction over non-contiguous axes [${axes}]`);
  const a0 = axes[0] ?? 0;
  const a1 = axes.length ? axes[axes.length - 1]! + 1 : 0;
  return { outer: product(xs.slice(0, a0)), red: product(xs.slice(a0, a1)), inner: product(xs.slice(a1)) };
}

function reduceBinding(kernel: string): Binding<ReduceParams> {
  return {
    kernel,
    // the reduced axis stays whole: ranges of the outer extent
    tiling: reduceRule((p) => p, LAYOUT_COST.reduce),
    check: () => undefined,
    emit: (p, ctx) => ({
      argsType: 'dk_reduce_args_t',
      fields: {
        x: ctx.inputs[0]!.ptr,
        y: ctx.outputs[0]!.ptr,
        outer: p.outer,
        red: p.red,
        inner: p.inner,
        x_type: dkType(ctx.inputs[0]!.dtype),
        y_type: dkType(ctx.outputs[0]!.dtype),
      },
    }),
  };
}

register<ReduceParams>('ReduceSum', {
  name: 'reduce sum',
  parse: parseReduce,
  range: (p, ins) => [rangeScale(ins[0]!, p.red)],
  cycles: (p, cores) => FORK_OVERHEAD + Math.round((p.outer * p.red * p.inner * 4) / cores),
  ops: (p) => p.outer * p.red * p.inner,
  bindings: [reduceBinding('dk_reducesum')],
});
register<ReduceParams>('ReduceMean', {
  name: 'reduce mean',
  parse: parseReduce,
  range: sameRange,
  cycles: (p, cores) => FORK_OVERHEAD + Math.round((p.outer * p.red * p.inner * 4) / cores),
  ops: (p) => p.outer * p.red * p.inner,
  bindings: [reduceBinding('dk_reducemean')],
});
