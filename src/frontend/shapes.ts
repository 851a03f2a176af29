// Shape rules: used by the loader to fill values the file leaves unshaped, and by the executor.
import { InputError } from '../errors.js';
import { toNumberArray } from './dtype.js';
import type { AttrValue, DType, Graph, Node, Tensor, TensorInfo } from './ir.js';

/** NumPy broadcasting of two shapes; null when they do not broadcast. */
export function broadcastShapes(a: readonly number[], b: readonly number[]): number[] | null {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) return null;
    out[i] = x === 1 ? y : x;
  }
  return out;
}

export function normAxis(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}

export function attrNumber(node: Node, name: string, fallback?: number): number {
  const v: AttrValue | undefined = node.attrs[name];
  if (v === undefined) {
    if (fallback === undefined) throw new InputError(`node '${node.name}' (${node.op}) has no attribute '${name}'`);
    return fallback;
  }
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  // Custom ops (RequantShift, iSoftmax, ...) store scalars as one-element tensors.
  if (typeof v === 'object' && !Array.isArray(v) && 'data' in v && v.data.length === 1) return Number(v.data[0]);
  throw new InputError(`node '${node.name}' (${node.op}): attribute '${name}' is not a scalar`);
}

export function attrInts(node: Node, name: string): number[] | undefined {
  const v = node.attrs[name];
  if (v === undefined) return undefined;
  if (Array.isArray(v)) return (v as number[]).map(Number);
  if (typeof v === 'number') return [v];
  if (typeof v === 'object' && 'data' in (v as object)) return Array.from(toNumberArray((v as Tensor).data));
  throw new InputError(`node '${node.name}' (${node.op}): attribute '${name}' is not a list of integers`);
}

/** Output spatial size of a window op (Conv, MaxPool). */
export function windowOut(inSize: number, k: number, stride: number, dil: number, padBegin: number, padEnd: number, ceil = false): number {
  const span = dil * (k - 1) + 1;
  const v = (inSize + padBegin + padEnd - span) / stride;
  return (ceil ? Math.ceil(v) : Math.floor(v)) + 1;
}

/** Integer values of a constant input (shape, axes, pads ...), or undefined if not constant. */
type ConstLookup = (name: string) => number[] | undefined;

type ShapeRule = (node: Node, ins: (TensorInfo | undefined)[], konst: ConstLookup) => { shape: number[]; dtype?: DType } | undefined;

const sameAsFirst: ShapeRule = (_n, ins) => (ins[0] ? { shape: ins[0].shape.slice() } : undefined);
const broadcast: ShapeRule = (_n, ins) => {
  if (ins.some((i) => !i)) return undefined;
  let s: number[] | null = ins[0]!.shape.slice();
  for (const i of ins.slice(1)) s = s && broadcastShapes(s, i!.shape);
  return s ? { shape: s } : undefined;
};

function matmulShape(a: readonly number[], b: readonly number[]): number[] | undefined {
  const a2 = a.length === 1 ? [1, a[0]!] : a;
  const b2 = b.length === 1 ? [b[0]!, 1] : b;
  const batch = broadcastShapes(a2.slice(0, -2), b2.slice(0, -2));
  if (!batch) return undefined;
  const out = [...batch, a2[a2.length - 2]!, b2[b2.length - 1]!];
  if (a.length === 1) out.splice(out.length - 2, 1);
  if (b.length === 1) out.splice(out.length - 1, 1);
  return out;
}

function reduceShape(node: Node, shape: readonly number[], axesIn: number[] | undefined): number[] {
  const keep = attrNumber(node, 'keepdims', 1);
  const axes = (axesIn ?? attrInts(node, 'axes') ?? shape.map((_, i) => i)).map((a) => normAxis(a, shape.length));
  const out: number[] = [];
  shape.forEach((d, i) => {
    if (axes.includes(i)) {
      if (keep) out.push(1);
    } else out.push(d);
  });
  return out;
}

export function resolveReshape(inShape: readonly number[], target: readonly number[], allowZero = false): number[] {
  const out = target.map((d, i) => (d === 0 && !allowZero ? inShape[i]! : d));
  const known = out.reduce((p, d) => (d === -1 ? p : p * d), 1);
  const total = inShape.reduce((p, d) => p * d, 1);
  return out.map((d) => (d === -1 ? total / known : d));
}

export function sliceParams(shape: readonly number[], starts: number[], ends: number[], axes?: number[], steps?: number[]) {
  const rank = shape.length;
  const begin = new Array<number>(rank).fill(0);
  const step = new Array<number>(rank).fill(1);
  const outShape = shape.slice();
  const ax = axes ?? starts.map((_, i) => i);
  ax.forEach((a0, k) => {
    const a = normAxis(a0, rank);
    const d = shape[a]!;
    const st = steps?.[k] ?? 1;
    let s = starts[k]!;
    let e = ends[k]!;
    if (s < 0) s += d;
    if (e < 0) e += d;
    if (st > 0) {
      s = Math.min(Math.max(s, 0), d);
      e = Math.min(Math.max(e, 0), d);
      outShape[a] = Math.max(0, Math.ceil((e - s) / st));
    } else {
      s = Math.min(Math.max(s, -1), d - 1);
      e = Math.min(Math.max(e, -1), d - 1);
      outShape[a] = Math.max(0, Math.ceil((e - s) / st));
    }
    begin[a] = s;
    step[a] = st;
  });
  return { begin, step, outShape };
}

export const SHAPE_RULES: Record<string, ShapeRule> = {
  Identity: sameAsFirst,
  Round: sameAsFirst,
  Relu: sameAsFirst,
  Clip: sameAsFirst,
  Softmax: sameAsFirst,
  RequantShift: sameAsFirst,
  iSoftmax: sameAsFirst,
  ITAMax: sameAsFirst,
  iRMSNorm: sameAsFirst,
  iLayerNorm: sameAsFirst,
  iGELU: sameAsFirst,
  iHardswish: sameAsFirst,
  TrueIntegerDiv: sameAsFirst,
  Cast: (n, ins) => {
    if (!ins[0]) return undefined;
    const to = attrNumber(n, 'to');
    const d = ({ 1: 'float32', 2: 'uint8', 3: 'int8', 4: 'uint16', 5: 'int16', 6: 'int32', 7: 'int64', 9: 'uint8', 11: 'float64', 12: 'uint32' } as Record<number, DType>)[to];
    return { shape: ins[0].shape.slice(), ...(d ? { dtype: d } : {}) };
  },
  Add: broadcast,
  Sub: broadcast,
  Mul: broadcast,
  Div: broadcast,
  IntegerDiv: broadcast,
  MatMul: (_n, ins) => {
    if (!ins[0] || !ins[1]) return undefined;
    const s = matmulShape(ins[0].shape, ins[1].shape);
    return s ? { shape: s } : undefined;
  },
  Gemm: (n, ins) => {
    if (!ins[0] || !ins[1]) return undefined;
    const a = ins[0].shape;
    const b = ins[1].shape;
    const m = attrNumber(n, 'transA', 0) ? a[a.length - 1]! : a[a.length - 2]!;
    const nn = attrNumber(n, 'transB', 0) ? b[b.length - 2]! : b[b.length - 1]!;
    return { shape: [...a.slice(0, -2), m, nn] };
  },
  Transpose: (n, ins) => {
    if (!ins[0]) return undefined;
    const s = ins[0].shape;
    const perm = attrInts(n, 'perm') ?? s.map((_, i) => s.length - 1 - i);
    return { shape: perm.map((p) => s[p]!) };
  },
  Reshape: (n, ins, konst) => {
    const t = konst(n.inputs[1]!);
    if (!ins[0] || !t) return undefined;
    return { shape: resolveReshape(ins[0].shape, t, attrNumber(n, 'allowzero', 0) === 1) };
  },
  Flatten: (n, ins) => {
    if (!ins[0]) return undefined;
    const s = ins[0].shape;
    const axis = normAxis(attrNumber(n, 'axis', 1), s.length);
    return { shape: [s.slice(0, axis).reduce((p, d) => p * d, 1), s.slice(axis).reduce((p, d) => p * d, 1)] };
  },
  Concat: (n, ins) => {
    if (ins.some((i) => !i)) return undefined;
    const s = ins[0]!.shape.slice();
    const axis = normAxis(attrNumber(n, 'axis'), s.length);
    s[axis] = ins.reduce((p, i) => p + i!.shape[axis]!, 0);
    return { shape: s };
  },
  Squeeze: (n, ins, konst) => {
    if (!ins[0]) return undefined;
    const s = ins[0].shape;
    const axes = (attrInts(n, 'axes') ?? (n.inputs[1] ? konst(n.inputs[1]) : undefined))?.map((a) => normAxis(a, s.length));
    return { shape: s.filter((d, i) => (axes ? !axes.includes(i) : d !== 1)) };
  },
  Unsqueeze: (n, ins, konst) => {
    if (!ins[0]) return undefined;
    const axes0 = attrInts(n, 'axes') ?? (n.inputs[1] ? konst(n.inputs[1]) : undefined);
    if (!axes0) return undefined;
    const rank = ins[0].shape.length + axes0.length;
    const axes = axes0.map((a) => normAxis(a, rank));
    const out: number[] = [];
    let j = 0;
    for (let i = 0; i < rank; i++) out.push(axes.includes(i) ? 1 : ins[0].shape[j++]!);
    return { shape: out };
  },
  Conv: (n, ins) => {
    if (!ins[0] || !ins[1]) return undefined;
    const x = ins[0].shape;
    const w = ins[1].shape;
    const sp = x.length - 2;
    const k = attrInts(n, 'kernel_shape') ?? w.slice(2);
    const st = attrInts(n, 'strides') ?? new Array(sp).fill(1);
    const dl = attrInts(n, 'dilations') ?? new Array(sp).fill(1);
    const pd = attrInts(n, 'pads') ?? new Array(2 * sp).fill(0);
    return { shape: [x[0]!, w[0]!, ...x.slice(2).map((d, i) => windowOut(d, k[i]!, st[i]!, dl[i]!, pd[i]!, pd[i + sp]!))] };
  },
  MaxPool: (n, ins) => {
    if (!ins[0]) return undefined;
    const x = ins[0].shape;
    const sp = x.length - 2;
    const k = attrInts(n, 'kernel_shape')!;
    const st = attrInts(n, 'strides') ?? new Array(sp).fill(1);
    const dl = attrInts(n, 'dilations') ?? new Array(sp).fill(1);
    const pd = attrInts(n, 'pads') ?? new Array(2 * sp).fill(0);
    const ceil = attrNumber(n, 'ceil_mode', 0) === 1;
    return { shape: [x[0]!, x[1]!, ...x.slice(2).map((d, i) => windowOut(d, k[i]!, st[i]!, dl[i]!, pd[i]!, pd[i + sp]!, ceil))] };
  },
  Pad: (n, ins, konst) => {
    if (!ins[0]) return undefined;
    const pads = attrInts(n, 'pads') ?? (n.inputs[1] ? konst(n.inputs[1]) : undefined);
    if (!pads) return undefined;
    const r = ins[0].shape.length;
    return { shape: ins[0].shape.map((d, i) => d + pads[i]! + pads[i + r]!) };
  },
  ReduceMean: (n, ins, konst) => (ins[0] ? { shape: reduceShape(n, ins[0].shape, n.inputs[1] ? konst(n.inputs[1]) : undefined) } : undefined),
  ReduceSum: (n, ins, konst) => (ins[0] ? { shape: reduceShape(n, ins[0].shape, n.inputs[1] ? konst(n.inputs[1]) : undefined) } : undefined),
  Slice: (n, ins, konst) => {
    if (!ins[0]) return undefined;
    const starts = attrInts(n, 'starts') ?? konst(n.inputs[1]!);
    const ends = attrInts(n, 'ends') ?? konst(n.inputs[2]!);
    if (!starts || !ends) return undefined;
    const axes = attrInts(n, 'axes') ?? (n.inputs[3] ? konst(n.inputs[3]) : undefined);
    const steps = n.inputs[4] ? konst(n.inputs[4]) : undefined;
    return { shape: sliceParams(ins[0].shape, starts, ends, axes, steps).outShape };
  },
  // deeploy-sim's table lookup (src/reference/ops/llm.ts): output shaped like the indices, typed like the table
  Lut: (_n, ins) => (ins[0] && ins[1] ? { shape: ins[0].shape.slice(), dtype: ins[1].dtype } : undefined),
  ArgMax: (n, ins) => {
    if (!ins[0]) return undefined;
    const s = ins[0].shape;
    const axis = normAxis(attrNumber(n, 'axis', 0), s.length);
    const shape = attrNumber(n, 'keepdims', 1) ? s.map((d, i) => (i === axis ? 1 : d)) : s.filter((_, i) => i !== axis);
    return { shape, dtype: 'int64' };
  },
  Gather: (n, ins) => {
    if (!ins[0] || !ins[1]) return undefined;
    const s = ins[0].shape;
    const axis = normAxis(attrNumber(n, 'axis', 0), s.length);
    return { shape: [...s.slice(0, axis), ...ins[1].shape, ...s.slice(axis + 1)] };
  },
  ...QUANT_SHAPE_RULES(),
};

/** Shape rules of the ops added for the quantized vocabulary (src/reference/ops/deeploy-ext.ts, onnx-quant.ts). */
function QUANT_SHAPE_RULES(): Record<string, ShapeRule> {
  const typed = (rule: ShapeRule, dtypeOf: (ins: (TensorInfo | undefined)[]) => DType | undefined): ShapeRule => (n, ins, k) => {
    const r = rule(n, ins, k);
    const d = dtypeOf(ins);
    return r ? { shape: r.shape, ...(d ? { dtype: d } : {}) } : undefined;
  };
  const pick = (...idx: number[]): ShapeRule => (n, ins, k) => (idx.every((i) => ins[i]) ? (idx.length === 1 ? sameAsFirst(n, [ins[idx[0]!]], k) : SHAPE_RULES.MatMul!(n, idx.map((i) => ins[i]), k)) : undefined);
  const conv: ShapeRule = (n, ins, k) => SHAPE_RULES.Conv!(n, ins, k);
  const pool: ShapeRule = (n, ins, k) => SHAPE_RULES.MaxPool!(n, ins, k);
  const global: ShapeRule = (_n, ins) => (ins[0] ? { shape: [ins[0].shape[0]!, ins[0].shape[1]!, ...ins[0].shape.slice(2).map(() => 1)] } : undefined);
  const reduce: ShapeRule = (n, ins, konst) => (ins[0] ? { shape: reduceShape(n, ins[0].shape, n.inputs[1] ? konst(n.inputs[1]) : undefined) } : undefined);
  const int32 = () => 'int32' as DType;
  return {
    IntegerMean: reduce,
    ITAPartialMax: sameAsFirst,
    RQIntegerDiv: sameAsFirst,
    RequantizediGELU: sameAsFirst,
    RequantizediHardswish: sameAsFirst,
    RequantShiftWide: sameAsFirst,
    Quant: sameAsFirst,
    Dequant: typed(sameAsFirst, () => 'float32'),
    iNoNorm: sameAsFirst,
    AveragePool: pool,
    GlobalAveragePool: global,
    QuantizeLinear: typed(sameAsFirst, (ins) => ins[2]?.dtype ?? 'uint8'),
    DequantizeLinear: typed(sameAsFirst, () => 'float32'),
    MatMulInteger: typed(pick(0, 1), int32),
    ConvInteger: typed(conv, int32),
    QLinearConv: typed((n, ins, k) => conv(n, [ins[0], ins[3]], k), (ins) => ins[7]?.dtype),
    QLinearMatMul: typed(pick(0, 3), (ins) => ins[7]?.dtype),
    QGemm: typed((n, ins, k) => SHAPE_RULES.Gemm!(n, [ins[0], ins[3]], k), (ins) => ins[8]?.dtype ?? 'float32'),
    QLinearAdd: typed((n, ins, k) => broadcast(n, [ins[0], ins[3]], k), (ins) => ins[7]?.dtype),
    QLinearMul: typed((n, ins, k) => broadcast(n, [ins[0], ins[3]], k), (ins) => ins[7]?.dtype),
    QLinearGlobalAveragePool: typed(global, (ins) => ins[4]?.dtype),
    QLinearAveragePool: typed(pool, (ins) => ins[4]?.dtype),
  };
}

/**
 * Fill graph.values for every node output the file leaves unshaped. `declared` holds partial
 * information (e.g. a type without a shape). A value that stays unknown is an error naming it.
 */
export function inferShapes(graph: Graph, declared: Map<string, Partial<TensorInfo>>, source: string): void {
  const konst: ConstLookup = (name) => {
    const t = graph.initializers.get(name);
    return t ? Array.from(toNumberArray(t.data)) : undefined;
  };
  for (const node of graph.nodes) {
    const missing = node.outputs.filter((o) => o !== '' && !graph.values.has(o));
    if (missing.length === 0) continue;
    const rule: ShapeRule | undefined = Object.hasOwn(SHAPE_RULES, node.op) ? SHAPE_RULES[node.op] : undefined;
    const ins = node.inputs.map((i) => (i === '' ? undefined : graph.values.get(i)));
    let res: ReturnType<ShapeRule>;
    try {
      res = rule && missing.length === 1 && missing[0] === node.outputs[0] ? rule(node, ins, konst) : undefined;
    } catch {
      res = undefined;
    }
    if (!res) {
      const why = rule ? 'its inputs are not all shaped/constant' : `shape inference does not cover ${node.op}`;
      throw new InputError(`${source}: tensor '${missing[0]}' (output of node '${node.name}' (${node.op})) has no shape in the file, and ${why}`);
    }
    const name = missing[0]!;
    const dtype = declared.get(name)?.dtype ?? res.dtype ?? ins.find((i) => i)?.dtype ?? 'float32';
    graph.values.set(name, { name, dtype, shape: res.shape });
  }
}
