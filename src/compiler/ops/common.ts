// Helpers shared by the operator mappings: kernels.h type tags, broadcasting strides, the
// RequantShift parameters (parsed once, used by every fused and standalone requant).
import { toNumberArray } from '../../frontend/dtype.js';
import type { DType, Graph, Tensor } from '../../frontend/ir.js';
import { elementCount } from '../../frontend/ir.js';
import { intAttr, isPowerOfTwo, scalarAttr } from '../attrs.js';
import type { LNode } from '../graph.js';
import { unsupported, type CValue, type EmitContext, type Range } from '../registry.js';

/** kernels.h dk_type_t tags. */
export const DK_TYPE: Partial<Record<DType, string>> = {
  int8: 'DK_I8',
  uint8: 'DK_U8',
  int16: 'DK_I16',
  uint16: 'DK_U16',
  int32: 'DK_I32',
  uint32: 'DK_U32',
  float32: 'DK_F32',
};
export const DK_MAX_DIMS = 6;
export const DK_MAX_CONCAT = 8;

export function dkType(d: DType): string {
  const t = DK_TYPE[d];
  if (!t) unsupported(`element type ${d} has no kernel type`);
  return t;
}

export const INTEGER_TYPES: readonly DType[] = ['int8', 'uint8', 'int16', 'uint16', 'int32'];
export const is8bit = (d: DType | undefined) => d === 'int8' || d === 'uint8';

/** Reason string when some type is not in `allowed`, else undefined. */
export function onlyTypes(types: (DType | undefined)[], allowed: readonly DType[], what = 'operand'): string | undefined {
  const bad = types.find((t) => t !== undefined && !allowed.includes(t));
  return bad ? `${what} type ${bad} not in {${allowed.join(', ')}}` : undefined;
}

export function shapeOfValue(g: Graph, name: string): number[] {
  const v = g.values.get(name) ?? g.initializers.get(name);
  if (!v) unsupported(name ? `value '${name}' has no shape` : 'a required input is omitted');
  return v.shape;
}

/** Dense row-major element strides. */
export function denseStrides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length).fill(1);
  for (let d = shape.length - 2; d >= 0; d--) s[d] = s[d + 1]! * shape[d + 1]!;
  return s;
}

/**
 * Element strides of a dense tensor of shape `t` read while walking `out` (NumPy broadcasting:
 * right-aligned, size-1 dims get stride 0); undefined when `t` does not broadcast to `out`.
 */
export function broadcastStrides(t: readonly number[], out: readonly number[]): number[] | undefined {
  if (t.length > out.length) {
    // Leading 1s beyond out's rank are harmless.
    const extra = t.slice(0, t.length - out.length);
    if (extra.some((d) => d !== 1)) return undefined;
    t = t.slice(t.length - out.length);
  }
  const ts = denseStrides(t);
  const res = new Array<number>(out.length).fill(0);
  for (let k = 1; k <= t.length; k++) {
    const td = t[t.length - k]!;
    const od = out[out.length - k]!;
    if (td === od) res[out.length - k] = td === 1 ? 0 : ts[t.length - k]!;
    else if (td !== 1) return undefined;
  }
  return res;
}

/**
 * Strides of a RequantShift's mul/add over the output dims: NumPy broadcasting, or QuantLib's
 * per-channel form, C values shaped (C,1,...,1) that apply along axis 1 even where NumPy would
 * not line up (operators.md, Conv/Regular_1D_RQ: (16,1,1) on (1,16,32)).
 */
export function requantStrides(t: readonly number[], out: readonly number[]): number[] | undefined {
  const b = broadcastStrides(t, out);
  if (b) return b;
  const n = elementCount(t);
  const leading = t.findIndex((d) => d !== 1);
  if (out.length >= 2 && n === out[1] && t.slice(leading + 1).every((d) => d === 1)) return out.map((_, d) => (d === 1 ? 1 : 0));
  return undefined;
}

export function log2Exact(x: number, what: string): number {
  if (!isPowerOfTwo(x)) unsupported(`${what} = ${x} is not a power of two`);
  return Math.log2(x);
}

/** Integer values of a constant tensor (throws Unsupported on a non-integer). */
export function intValues(t: Tensor): number[] {
  const v = Array.from(toNumberArray(t.data));
  const bad = v.find((x) => !Number.isInteger(x));
  if (bad !== undefined) unsupported(`constant '${t.name}' holds the non-integer value ${bad}`);
  return v;
}

/** The RequantShift part of a node (standalone or fused): attributes and constant mul/add. */
export interface Requant {
  mul: Tensor;
  add: Tensor;
  log2d: number;
  nLevels: number;
  signed: boolean;
  lo: number;
  hi: number;
}

export function parseRequant(node: LNode, g: Graph, mulIdx: number, addIdx: number): Requant {
  const mul = g.initializers.get(node.inputs[mulIdx] ?? '');
  const add = g.initializers.get(node.inputs[addIdx] ?? '');
  if (!mul || !add) unsupported('RequantShift mul and add must be constants');
  intValues(mul);
  intValues(add);
  const nLevels = node.attrs.n_levels_out !== undefined ? intAttr(node, 'n_levels_out') : intAttr(node, 'n_levels');
  const signed = scalarAttr(node, 'signed', 1) !== 0;
  const log2d = log2Exact(scalarAttr(node, 'div'), 'RequantShift div');
  if (log2d > 31) unsupported(`RequantShift div 2^${log2d} is beyond the kernel's 0..31`);
  if (nLevels < 2 || nLevels > 2 ** 31) unsupported(`RequantShift n_levels ${nLevels} out of range`);
  const lo = signed ? -Math.floor(nLevels / 2) : 0;
  const hi = signed ? Math.floor(nLevels / 2) - 1 : nLevels - 1;
  return { mul, add, log2d, nLevels, signed, lo, hi };
}

export function requantRange(rq: Requant): Range {
  return { lo: rq.lo, hi: rq.hi };
}

/** How a kernel walks a rank-4 NCHW output whose activations are stored pixel-major (NHWC, the
 *  NPU's HWC): batch, rows, columns, channels. */
export const HWC_WALK: readonly number[] = [0, 2, 3, 1];

/** Per-dim values (a shape, strides) in a walk's order; as they are without a walk. */
export const inWalkOrder = (a: readonly number[], walk: readonly number[] | undefined): number[] => (walk ? walk.map((d) => a[d]!) : [...a]);

/**
 * The dk_rq_t initialiser for `rq` over a kernel whose output dims are `kernelDims` (the output
 * shape as the kernel indexes it, e.g. (b0, b1, m, n) for dk_gemm); `outShape` is the tensor's.
 */
export function rqInit(
  rq: Requant | undefined,
  outShape: readonly number[],
  kernelDims: readonly number[],
  ctx: EmitContext,
  layer: string,
  /** Reorders the kernel-dim strides (e.g. when the kernel computes the transposed product). */
  permute: (s: number[]) => number[] = (s) => s,
  /** The order the kernel walks the output's dims in (HWC_WALK for pixel-major activations). */
  walk?: readonly number[],
): string {
  if (!rq) return '{ .mul = 0 }';
  const strides = (t: Tensor, what: string) => {
    const s = requantStrides(t.shape, outShape);
    if (!s) unsupported(`RequantShift ${what} of shape [${t.shape}] does not broadcast to the output [${outShape}]`);
    return toKernelDims(inWalkOrder(s, walk), inWalkOrder(outShape, walk), kernelDims, what);
  };
  const ms = permute(strides(rq.mul, 'mul'));
  const as = permute(strides(rq.add, 'add'));
  const mul = ctx.constant(`${layer}_rq_mul`, 'int32', intValues(rq.mul), rq.mul.shape);
  const add = ctx.constant(`${layer}_rq_add`, 'int32', intValues(rq.add), rq.add.shape);
  return `{ .mul = ${mul}, .add = ${add}, .mul_s = ${cArray(pad6(ms))}, .add_s = ${cArray(pad6(as))}, .log2d = ${rq.log2d}, .in_off = 0, .out_off = 0, .lo = ${rq.lo}, .hi = ${rq.hi} }`;
}

function pad6(a: number[]): number[] {
  return [...a, ...new Array<number>(Math.max(0, DK_MAX_DIMS - a.length)).fill(0)];
}

/**
 * Re-express strides over `outShape` as strides over `kernelDims` (same element count, dims
 * merged or split): kernel dim j takes the stride of the innermost out dim it covers, and dims
 * merged into one must agree (stride chain consistent), else the layout cannot be expressed.
 */
export function toKernelDims(strides: number[], outShape: readonly number[], kernelDims: readonly number[], what: string): number[] {
  if (outShape.length === kernelDims.length && outShape.every((d, k) => d === kernelDims[k])) return strides;
  // Drop size-1 dims from both views, then match runs of dims with equal products.
  const src = outShape.map((d, k) => ({ d, s: strides[k]! })).filter((x) => x.d !== 1);
  const res = kernelDims.map(() => 0);
  let i = 0;
  for (let j = 0; j < kernelDims.length; j++) {
    const kd = kernelDims[j]!;
    if (kd === 1) continue;
    let prod = 1;
    let stride = 0;
    let first = true;
    while (prod < kd && i < src.length) {
      const x = src[i++]!;
      // merging x into the run: the outer dim's stride must equal inner stride * inner size
      if (!first && stride !== 0 && x.s !== 0 && stride !== x.s * x.d) unsupported(`${what} strides cannot be merged into the kernel's dims`);
      if (!first && (stride === 0) !== (x.s === 0)) unsupported(`${what} broadcasts partially across merged dims`);
      stride = x.s;
      prod *= x.d;
      first = false;
    }
    if (prod !== kd) unsupported(`${what}: output [${outShape}] does not map onto kernel dims [${kernelDims}]`);
    res[j] = stride;
  }
  return res;
}

export function cArray(a: readonly number[]): string {
  return `{ ${a.join(', ')} }`;
}

export function dims6(a: readonly number[], fill = 0): number[] {
  if (a.length > DK_MAX_DIMS) unsupported(`rank ${a.length} exceeds the kernels' ${DK_MAX_DIMS}`);
  return pad6(a.map((x) => x)).map((x, k) => (k < a.length ? x : fill));
}

export function fields(f: Record<string, CValue>): Record<string, CValue> {
  return f;
}

export function product(a: readonly number[]): number {
  return a.reduce((x, y) => x * y, 1);
}

/** Cycle model helpers: a fixed fork/dispatch overhead plus per-element work split over cores. */
export const FORK_OVERHEAD = 150;
export function parallelCycles(work: number, perItem: number, cores: number): number {
  return Math.round(FORK_OVERHEAD + (work * perItem) / Math.max(1, cores));
}

// ---------------------------------------------------------------- softmax family (one args struct)

/** Rows of the last axis and the I-BERT coefficients of iSoftmax (ITAMax uses only n_levels). */
export interface SoftmaxParams {
  rows: number;
  len: number;
  coeffA: number;
  coeffB: number;
  coeffC: number;
  log2: number;
  nLevels: number;
}

/** iSoftmax over the last axis (the only axis the kernels do). */
export function parseSoftmax(n: LNode, g: Graph): SoftmaxParams {
  const shape = shapeOfValue(g, n.outputs[0]!);
  const axis = n.attrs.axis === undefined ? -1 : intAttr(n, 'axis');
  if (axis !== -1 && axis !== shape.length - 1) unsupported(`softmax over axis ${axis} (last axis only)`);
  const len = shape[shape.length - 1] ?? 1;
  return {
    rows: elementCount(shape) / Math.max(1, len),
    len,
    coeffA: intAttr(n, 'coeffA'),
    coeffB: intAttr(n, 'coeffB'),
    coeffC: intAttr(n, 'coeffC'),
    log2: intAttr(n, 'log2'),
    nLevels: intAttr(n, 'n_levels'),
  };
}

/** The dk_softmax_args_t call shared by dk_isoftmax, dk_isoftmax_rows and dk_itamax. */
export function softmaxArgs(p: SoftmaxParams, ctx: EmitContext): { argsType: string; fields: Record<string, CValue> } {
  return {
    argsType: 'dk_softmax_args_t',
    fields: {
      x: ctx.inputs[0]!.ptr,
      y: ctx.outputs[0]!.ptr,
      rows: p.rows,
      len: p.len,
      coeffA: p.coeffA,
      coeffB: p.coeffB,
      coeffC: p.coeffC,
      log2: p.log2,
      n_levels: p.nLevels,
      out_off: 0,
      x_type: dkType(ctx.inputs[0]!.dtype),
      y_type: dkType(ctx.outputs[0]!.dtype),
    },
  };
}
