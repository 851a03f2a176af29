// Element-wise and per-row operators: Add/Sub/Mul (+RequantShift), RequantShift, iHardswish,
// TrueIntegerDiv, iSoftmax, iRMSNorm.
import { toNumberArray } from '../../frontend/dtype.js';
import type { DType, Graph, Tensor } from '../../frontend/ir.js';
import { elementCount } from '../../frontend/ir.js';
import { intAttr, scalarAttr } from '../attrs.js';
import type { LNode } from '../graph.js';
import { register, unsupported, type Binding, type Range, type TypeSignature } from '../registry.js';
import { rangeAdd, rangeMul, rangeUnion } from '../types.js';
import { broadcastStrides, cArray, denseStrides, dims6, dkType, HWC_WALK, intValues, inWalkOrder, log2Exact, onlyTypes, parallelCycles, parseRequant, requantRange, requantStrides, rqInit, shapeOfValue, type Requant, parseSoftmax, softmaxArgs, type SoftmaxParams } from './common.js';
import { fixedElem, inElem, mergeDims, outElem, rowsRule, SHAPE_SETUP, stridedRule, unaryRule, type KernelCost, type StridedParam } from './tile-rules.js';
import { constType } from './linear.js';

const INT_IN: readonly DType[] = ['int8', 'uint8', 'int16', 'uint16', 'int32'];

// ---------------------------------------------------------------- binary, broadcasting

type BinaryOp = 'Add' | 'Sub' | 'Mul' | 'Div';
interface BinaryParams {
  layer: string;
  op: BinaryOp;
  outShape: number[];
  /** The walk over the output as the kernel takes it: dims merged where a, b and the requant
   *  vectors allow (tile-rules.ts mergeDims), with the element strides of a and b. */
  shape: number[];
  sa: number[];
  sb: number[];
  /** Strides of the requant mul/add over `shape`. */
  rqs?: [number[], number[]];
  consts: (Tensor | undefined)[];
  rq?: Requant;
  /** HWC_WALK when the activations are pixel-major (the `hwc` view below); else NCHW order */
  walk?: readonly number[];
}

/** Strides of a requant's mul and add over an output shape (none: per-tensor, zeros). */
function rqStrides(rq: Requant | undefined, outShape: number[]): number[][] {
  if (!rq) return [];
  return [rq.mul, rq.add].map((t, k) => {
    const s = requantStrides(t.shape, outShape);
    if (!s) unsupported(`RequantShift ${k ? 'add' : 'mul'} of shape [${t.shape}] does not broadcast to the output [${outShape}]`);
    return s;
  });
}

/** The requant vectors as per-tile parameters of a strided tiling rule. */
const rqParams = (rqs: [number[], number[]] | undefined): StridedParam[] => (rqs ? [{ field: 'rq.mul', strides: rqs[0] }, { field: 'rq.add', strides: rqs[1] }] : []);

const BINARY_KERNEL: Record<BinaryOp, string> = { Add: 'dk_add', Sub: 'dk_sub', Mul: 'dk_mul', Div: 'dk_div' };
const BINARY_RANGE: Record<BinaryOp, (a: Range, b: Range) => Range> = {
  Add: rangeAdd,
  Sub: (a, b) => ({ lo: a.lo - b.hi, hi: a.hi - b.lo }),
  Mul: rangeMul,
  // ONNX Div on float32-declared values is a float division (the graphs declare every tensor float)
  Div: (a, b) => {
    if (b.lo <= 0 && b.hi >= 0) return { lo: -(2 ** 127), hi: 2 ** 127 };
    const q = [a.lo / b.lo, a.lo / b.hi, a.hi / b.lo, a.hi / b.hi];
    return { lo: Math.min(...q), hi: Math.max(...q) };
  },
};

/** Range of a binary op; float32 when an input is float or the op is Div (values then float32). */
function binaryRange(op: BinaryOp, a: Range, b: Range): Range {
  const r = BINARY_RANGE[op](a, b);
  if (op !== 'Div' && !a.float && !b.float) return r;
  const integral = op !== 'Div' && (a.float ? a.integral === true : true) && (b.float ? b.integral === true : true);
  return { ...r, float: true, integral };
}

/**
 * With `walk` (HWC_WALK) the kernel walks the output pixel-major: runtime inputs are stored like
 * the output (NHWC, so they must have its shape: a broadcast activation has no HWC form here),
 * constants and requant vectors keep their memory and are addressed through their NCHW strides
 * taken in the walk's order.
 */
function parseBinary(node: LNode, g: Graph, op: BinaryOp, fused: boolean, walk?: readonly number[]): BinaryParams {
  const outShape = shapeOfValue(g, node.outputs[0]!);
  if (outShape.length > 6) unsupported(`rank ${outShape.length} > 6`);
  if (walk && outShape.length !== walk.length) unsupported(`rank ${outShape.length}: pixel-major activations are rank ${walk.length} (NCHW)`);
  const strides = [0, 1].map((k) => {
    const shape = shapeOfValue(g, node.inputs[k]!);
    const s = broadcastStrides(shape, outShape);
    if (!s) unsupported(`input ${k} [${shape}] does not broadcast to [${outShape}]`);
    if (!walk || g.initializers.has(node.inputs[k]!)) return inWalkOrder(s, walk);
    if (shape.length !== outShape.length || shape.some((d, i) => d !== outShape[i])) unsupported(`input ${k} [${shape}] is broadcast to [${outShape}] (pixel-major activations must have the output's shape)`);
    return denseStrides(inWalkOrder(outShape, walk));
  });
  const rq = fused ? parseRequant(node, g, 2, 3) : undefined;
  const m = mergeDims(inWalkOrder(outShape, walk), [strides[0]!, strides[1]!, ...rqStrides(rq, outShape).map((s) => inWalkOrder(s, walk))]);
  return {
    layer: node.name,
    op,
    outShape,
    shape: m.shape,
    sa: m.strides[0]!,
    sb: m.strides[1]!,
    rqs: rq ? [m.strides[2]!, m.strides[3]!] : undefined,
    consts: [g.initializers.get(node.inputs[0]!), g.initializers.get(node.inputs[1]!)],
    rq,
    ...(walk ? { walk } : {}),
  };
}

/** dk_add & co. (eltwise.c): one pass over the output, an N-d iterator step per innermost run
 *  when not dense; fitted on the microLlama decoders' layers at the default L1. */
export const BINARY_COST = { call: 280, perElem: 8.2, perElemRequant: 15.4, perRun: 287 };
const binaryCost = (p: BinaryParams): KernelCost => ({
  call: BINARY_COST.call,
  perElem: p.rq ? BINARY_COST.perElemRequant : BINARY_COST.perElem,
  perUnit: p.shape.length > 1 ? BINARY_COST.perRun : 0,
  split: 'elements',
});

const binaryTiling = stridedRule<BinaryParams>((p) => ({
  shape: p.shape,
  operands: [
    { field: 'a', dir: 'in', elem: inElem(0), strides: p.sa },
    { field: 'b', dir: 'in', elem: inElem(1), strides: p.sb },
    { field: 'y', dir: 'out', elem: outElem(0), strides: denseStrides(p.shape) },
  ],
  params: rqParams(p.rqs),
  setup: SHAPE_SETUP,
  cost: binaryCost(p),
}));

function binaryBinding(op: BinaryOp): Binding<BinaryParams> {
  return {
    kernel: BINARY_KERNEL[op],
    tiling: binaryTiling,
    check: (_p, t) =>
      t.outputs[0] === 'float32'
        ? t.inputs.every((d, k) => d === 'float32' || k > 1 || d === undefined || _p.consts[k])
          ? undefined
          : 'float kernels need float32 runtime inputs'
        : onlyTypes([t.inputs[0], t.inputs[1]], INT_IN, 'input'),
    emit(p, ctx) {
      const isFloat = ctx.outputs[0]!.dtype === 'float32';
      const operand = (k: number) => {
        const rt = ctx.inputs[k];
        if (rt) return { ptr: rt.ptr, dtype: rt.dtype };
        const c = p.consts[k]!;
        const name = `${p.layer}_${k === 0 ? 'a' : 'b'}`;
        if (isFloat) return { ptr: ctx.constant(name, 'float32', Array.from(toNumberArray(c.data)), c.shape), dtype: 'float32' as DType };
        const d = constType(c);
        return { ptr: ctx.constant(name, d, intValues(c), c.shape), dtype: d };
      };
      const a = operand(0);
      const b = operand(1);
      const out = ctx.outputs[0]!;
      return {
        argsType: 'dk_binary_args_t',
        fields: {
          a: a.ptr,
          b: b.ptr,
          y: out.ptr,
          ndim: p.shape.length,
          shape: cArray(dims6(p.shape, 1)),
          sa: cArray(dims6(p.sa)),
          sb: cArray(dims6(p.sb)),
          a_off: 0,
          b_off: 0,
          a_type: dkType(a.dtype),
          b_type: dkType(b.dtype),
          y_type: dkType(out.dtype),
          rq: rqInit(p.rq, p.outShape, p.shape, ctx, p.layer, undefined, p.walk),
        },
      };
    },
  };
}

for (const op of ['Add', 'Sub', 'Mul', 'Div'] as const) {
  register<BinaryParams>(op, {
    name: op.toLowerCase(),
    parse: (n, g) => parseBinary(n, g, op, false),
    hwc: (n, g) => parseBinary(n, g, op, false, HWC_WALK),
    range: (_p, ins) => [binaryRange(op, ins[0]!, ins[1]!)],
    inputDomain: (_p, outs) => (outs[0]!.float ? 'float' : 'int'),
    cycles: (p, cores) => parallelCycles(elementCount(p.outShape), 8, cores),
    ops: (p) => elementCount(p.outShape),
    bindings: [binaryBinding(op)],
  });
}
register<BinaryParams>('RQAdd', {
  name: 'requantised add',
  parse: (n, g) => parseBinary(n, g, 'Add', true),
  hwc: (n, g) => parseBinary(n, g, 'Add', true, HWC_WALK),
  range: (p) => [requantRange(p.rq!)],
  cycles: (p, cores) => parallelCycles(elementCount(p.outShape), 14, cores),
  ops: (p) => elementCount(p.outShape),
  bindings: [binaryBinding('Add')],
});

// ---------------------------------------------------------------- RequantShift

interface RequantParams {
  layer: string;
  outShape: number[];
  /** Merged walk (see BinaryParams) and the requant vectors' strides over it. */
  shape: number[];
  rqs: [number[], number[]];
  rq: Requant;
  /** HWC_WALK when input and output are pixel-major (see parseBinary) */
  walk?: readonly number[];
}

/** dk_requant (eltwise.c) per element by input type (int32 and 8-bit inputs: the specialised
 *  loops), fitted on microLlama64's layers at the default L1 (measured 289..5,537 cycles). */
export const REQUANT_COST = { call: 210, perElem: { int32: 10.8, int8: 10.2, uint8: 10.2, other: 22 } as Record<string, number> };
const requantCost = (t: TypeSignature): KernelCost => ({
  call: REQUANT_COST.call,
  perElem: REQUANT_COST.perElem[t.inputs[0]!] ?? REQUANT_COST.perElem.other!,
  split: 'elements',
});

const requantRule = (cost: (t: TypeSignature) => KernelCost) =>
  stridedRule<RequantParams>((p) => ({
    shape: p.shape,
    operands: [
      { field: 'x', dir: 'in', elem: inElem(0), strides: denseStrides(p.shape) },
      { field: 'y', dir: 'out', elem: outElem(0), strides: denseStrides(p.shape) },
    ],
    params: rqParams(p.rqs),
    setup: SHAPE_SETUP,
    cost,
  }));
const requantTiling = requantRule(requantCost);
/** dk_requant_hwc: a pass per channel with stride C over the core's pixels, fitted on a per-channel
 *  RequantShift of 32 x 12 x 12 int8 between NPU convs (7,962 cycles on 8 cores; dk_requant on
 *  the same NCHW: 6,669). */
export const REQUANT_HWC_COST = { call: 210, perElem: { int32: 13.5, int8: 13.5, uint8: 13.5, other: 25 } as Record<string, number> };
const requantHwcTiling = requantRule((t) => ({
  call: REQUANT_HWC_COST.call,
  perElem: REQUANT_HWC_COST.perElem[t.inputs[0]!] ?? REQUANT_HWC_COST.perElem.other!,
  split: 'elements',
}));

function parseRequantShift(n: LNode, g: Graph, walk?: readonly number[]): RequantParams {
  if (g.initializers.has(n.inputs[0]!)) unsupported('RequantShift of a constant (should have been folded)');
  const outShape = shapeOfValue(g, n.outputs[0]!);
  if (walk && outShape.length !== walk.length) unsupported(`rank ${outShape.length}: pixel-major activations are rank ${walk.length} (NCHW)`);
  const rq = parseRequant(n, g, 1, 2);
  const dense = denseStrides(inWalkOrder(outShape, walk));
  const m = mergeDims(inWalkOrder(outShape, walk), [dense, ...rqStrides(rq, outShape).map((s) => inWalkOrder(s, walk))]);
  return { layer: n.name, outShape, shape: m.shape, rqs: [m.strides[1]!, m.strides[2]!], rq, ...(walk ? { walk } : {}) };
}

/** Why dk_requant_hwc cannot take these params (undefined: it can): a pixel-major walk whose
 *  requant vectors step along the channels (the innermost dim) and nowhere else. */
function perChannelHwc(p: RequantParams): string | undefined {
  if (!p.walk) return 'channel-major data (dk_requant_hwc takes pixel-major activations)';
  const last = p.shape.length - 1;
  if (p.rqs.some((s) => s.some((x, d) => d < last && x !== 0))) return 'requant vectors vary along the pixels';
  if (p.rqs.every((s) => s[last] === 0)) return 'one mul and add (dk_requant runs that as one flat loop)';
  return undefined;
}

function requantBinding(kernel: string, tiling: typeof requantTiling, only?: (p: RequantParams) => string | undefined): Binding<RequantParams> {
  return {
    kernel,
    tiling,
    check: (p, t) => only?.(p) ?? onlyTypes([t.inputs[0]], INT_IN, 'x'),
    emit(p, ctx) {
      const x = ctx.inputs[0]!;
      const y = ctx.outputs[0]!;
      if (p.shape.length > 6) unsupported(`rank ${p.shape.length} > 6`);
      return {
        argsType: 'dk_requant_args_t',
        fields: {
          x: x.ptr,
          y: y.ptr,
          ndim: p.shape.length,
          shape: cArray(dims6(p.shape, 1)),
          x_type: dkType(x.dtype),
          y_type: dkType(y.dtype),
          rq: rqInit(p.rq, p.outShape, p.shape, ctx, p.layer, undefined, p.walk),
        },
      };
    },
  };
}

register<RequantParams>('RequantShift', {
  name: 'requant shift',
  parse: (n, g) => parseRequantShift(n, g),
  hwc: (n, g) => parseRequantShift(n, g, HWC_WALK),
  range: (p) => [requantRange(p.rq)],
  cycles: (p, cores) => parallelCycles(elementCount(p.shape), 10, cores),
  ops: (p) => elementCount(p.shape),
  // dk_requant_hwc only takes pixel-major walks with per-channel vectors (npu/layout.ts picks it)
  bindings: [requantBinding('dk_requant_hwc', requantHwcTiling, perChannelHwc), requantBinding('dk_requant', requantTiling)],
});

// ---------------------------------------------------------------- iHardswish

interface HardswishParams {
  layer: string;
  rq?: Requant;
  n: number;
  oneOverSix: number;
  three: number;
  six: number;
}

function parseHardswish(n: LNode, g: Graph, fused: boolean): HardswishParams {
  return {
    layer: n.name,
    n: elementCount(shapeOfValue(g, n.outputs[0]!)),
    oneOverSix: intAttr(n, 'one_over_six'),
    three: intAttr(n, 'three'),
    six: intAttr(n, 'six'),
    rq: fused ? parseRequant(n, g, 1, 2) : undefined,
  };
}

/** dk_ihardswish (eltwise.c): n elements split evenly, per-tensor requant. */
export const HARDSWISH_COST: KernelCost = { call: 244, perElem: 44, split: 'elements' };

const hardswishBinding: Binding<HardswishParams> = {
  kernel: 'dk_ihardswish',
  tiling: unaryRule((p) => p.n, HARDSWISH_COST),
  check: (_p, t) => onlyTypes([t.inputs[0]], INT_IN, 'x'),
  emit: (p, ctx) => ({
    argsType: 'dk_hardswish_args_t',
    fields: {
      x: ctx.inputs[0]!.ptr,
      y: ctx.outputs[0]!.ptr,
      n: p.n,
      one_over_six: p.oneOverSix,
      three: p.three,
      six: p.six,
      in_off: 0,
      x_type: dkType(ctx.inputs[0]!.dtype),
      y_type: dkType(ctx.outputs[0]!.dtype),
      rq: rqInit(p.rq, [p.n], [p.n], ctx, p.layer),
    },
  }),
};

register<HardswishParams>('RQHardswish', {
  name: 'requantised integer hardswish',
  parse: (n, g) => parseHardswish(n, g, true),
  range: (p) => [requantRange(p.rq!)],
  cycles: (p, cores) => parallelCycles(p.n, 16, cores),
  ops: (p) => p.n,
  bindings: [hardswishBinding],
});

register<HardswishParams>('iHardswish', {
  name: 'integer hardswish',
  parse: (n, g) => parseHardswish(n, g, false),
  range(p, ins) {
    const x = ins[0]!;
    const t = rangeMul({ lo: 0, hi: p.six }, { lo: p.oneOverSix, hi: p.oneOverSix });
    return [rangeMul(x, t)];
  },
  cycles: (p, cores) => parallelCycles(p.n, 10, cores),
  ops: (p) => p.n,
  bindings: [hardswishBinding],
});

// ---------------------------------------------------------------- TrueIntegerDiv

interface TrueDivParams {
  n: number;
  Delta: number;
  eta: number;
  eps: number;
  y: number;
}

const floorDiv = (a: number, b: number) => Math.floor(a / b);

/** dk_trueintegerdiv (eltwise.c): one 64-bit division per call, then a multiply per element. */
export const TRUEDIV_COST: KernelCost = { call: 684, perElem: 26.8, split: 'elements' };

register<TrueDivParams>('TrueIntegerDiv', {
  name: 'true integer div',
  parse(n, g) {
    if (n.inputs.filter((i) => i).length !== 1) unsupported('TrueIntegerDiv with more than one input');
    const p = { n: elementCount(shapeOfValue(g, n.outputs[0]!)), Delta: intAttr(n, 'Delta'), eta: intAttr(n, 'eta'), eps: intAttr(n, 'eps'), y: intAttr(n, 'y') };
    for (const k of ['Delta', 'eta', 'eps', 'y'] as const) if (Math.abs(p[k]) > 2 ** 31 - 1) unsupported(`${k} = ${p[k]} beyond int32`);
    if (p.eta * p.y + p.eps === 0) unsupported('eta * y + eps is 0');
    return p;
  },
  range(p, ins) {
    const den = p.eta * p.y + p.eps;
    const f = (x: number) => floorDiv(p.Delta * p.eta * x, den);
    return [rangeUnion([{ lo: Math.min(f(ins[0]!.lo), f(ins[0]!.hi)), hi: Math.max(f(ins[0]!.lo), f(ins[0]!.hi)) }])];
  },
  cycles: (p, cores) => parallelCycles(p.n, 60, cores),
  ops: (p) => p.n,
  bindings: [
    {
      kernel: 'dk_trueintegerdiv',
      tiling: unaryRule((p) => p.n, TRUEDIV_COST),
      check: (_p, t) => onlyTypes([t.inputs[0]], INT_IN, 'x'),
      emit: (p, ctx) => ({
        argsType: 'dk_trueintdiv_args_t',
        fields: {
          x: ctx.inputs[0]!.ptr,
          y: ctx.outputs[0]!.ptr,
          n: p.n,
          Delta: p.Delta,
          eta: p.eta,
          eps: p.eps,
          yv: p.y,
          x_type: dkType(ctx.inputs[0]!.dtype),
          y_type: dkType(ctx.outputs[0]!.dtype),
        },
      }),
    },
  ],
});

// ---------------------------------------------------------------- iSoftmax

/** dk_isoftmax (rows.c): whole rows over the cores; max, exp and sum passes, then the division pass. */
export const SOFTMAX_COST: KernelCost = { call: 300, perElem: 60, perUnit: 540, split: 'units' };

register<SoftmaxParams>('iSoftmax', {
  name: 'integer softmax',
  parse(n, g) {
    const p = parseSoftmax(n, g);
    if (p.log2 <= 0) unsupported(`log2 = ${p.log2} must be positive`);
    return p;
  },
  // The golden files hold the unsigned value in [0, n-1] (operators.md).
  range: (p) => [{ lo: 0, hi: p.nLevels - 1 }],
  cycles: (p, cores) => parallelCycles(p.rows * p.len, 80, Math.min(cores, p.rows)),
  ops: (p) => p.rows * p.len,
  bindings: [
    {
      kernel: 'dk_isoftmax',
      tiling: rowsRule((p) => p, SOFTMAX_COST),
      check: (_p, t) => onlyTypes([t.inputs[0]], ['int8', 'uint8', 'int32'], 'x'),
      emit: softmaxArgs,
    },
  ],
});

// ---------------------------------------------------------------- iRMSNorm

/** dk_irmsnorm (rows.c): rows (cut into column chunks below 8 rows) over the cores; per row a
 *  sum of squares and an isqrt, per output a division; fitted on the microLlama decoders. */
export const RMSNORM_COST: KernelCost = { call: 300, perElem: 36.4, perRowElem: 3, perUnit: 573, split: 'chunks' };

interface RmsParams {
  layer: string;
  rows: number;
  len: number;
  w: Tensor;
  log2d: number;
  lo: number;
  hi: number;
}

register<RmsParams>('iRMSNorm', {
  name: 'integer RMS norm',
  parse(n, g) {
    const shape = shapeOfValue(g, n.outputs[0]!);
    const w = g.initializers.get(n.inputs[1] ?? '');
    if (!w) unsupported('iRMSNorm weight must be a constant');
    const len = shape[shape.length - 1]!;
    if (elementCount(w.shape) !== len) unsupported(`weight of ${elementCount(w.shape)} elements for rows of ${len}`);
    const nl = n.attrs.n_levels === undefined ? 256 : intAttr(n, 'n_levels');
    return { layer: n.name, rows: elementCount(shape) / len, len, w, log2d: log2Exact(scalarAttr(n, 'D'), 'iRMSNorm D'), lo: -nl / 2, hi: nl / 2 - 1 };
  },
  range: (p) => [{ lo: p.lo, hi: p.hi }],
  cycles: (p, cores) => parallelCycles(p.rows * p.len, 30, Math.min(cores, p.rows)) + 400,
  ops: (p) => p.rows * p.len,
  bindings: [
    {
      kernel: 'dk_irmsnorm',
      tiling: rowsRule((p) => ({ rows: p.rows, len: p.len, whole: [{ field: 'w', dir: 'in', whole: p.len, elem: fixedElem(4) }] }), RMSNORM_COST),
      check: (_p, t) => onlyTypes([t.inputs[0]], INT_IN, 'x'),
      emit(p, ctx) {
        const w = ctx.constant(`${p.layer}_w`, 'int32', intValues(p.w), p.w.shape);
        return {
          argsType: 'dk_rmsnorm_args_t',
          fields: {
            x: ctx.inputs[0]!.ptr,
            w,
            y: ctx.outputs[0]!.ptr,
            rows: p.rows,
            len: p.len,
            log2d: p.log2d,
            in_off: 0,
            lo: p.lo,
            hi: p.hi,
            x_type: dkType(ctx.inputs[0]!.dtype),
            w_type: 'DK_I32',
            y_type: dkType(ctx.outputs[0]!.dtype),
          },
        };
      },
    },
  ],
});
