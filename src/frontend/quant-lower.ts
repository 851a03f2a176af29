// Standard ONNX quantization -> the integer IR the compiler deploys (QuantLib style).
//
// Recognises what onnxruntime's static quantizer writes:
//   QDQ format: DequantizeLinear -> float op -> QuantizeLinear groups (per-tensor and per-channel
//   weights, int8/uint8, symmetric or asymmetric zero points), and
//   QOperator format: QLinearConv, QLinearMatMul, MatMulInteger, ConvInteger and the
//   com.microsoft QGemm, QLinearAdd, QLinearMul, QLinearGlobalAveragePool, QLinearAveragePool,
// and lowers every group to an integer op (Conv/Gemm/MatMul/Add/Mul/ReduceSum on the stored
// integers) followed by RequantShift(mul, add, div = 2^shift): the float ratio of scales becomes
// an integer multiplier and shift, zero points fold into biases (weights' zero points into the
// weights themselves). Graph inputs and outputs stay float: the QuantizeLinear of a float input
// and the DequantizeLinear of an output stay (per tensor; dk_quantize / dk_dequantize run them).
// A group that has no exact integer form (a float op between DequantizeLinear and QuantizeLinear,
// a non-constant or non-float32 scale, ...) is an InputError (exit 2) naming the node and why.
// Formulas and the deviation from the float semantics: docs/reference.md.
import { InputError } from '../errors.js';
import { DTYPES, fromNumbers, toNumberArray } from './dtype.js';
import type { AttrValue, DType, Graph, Node, Tensor, TensorInfo } from './ir.js';
import { elementCount } from './ir.js';
import { attrInts, attrNumber } from './shapes.js';

/** Op types this pass rewrites: a graph without them is returned unchanged. */
export const STANDARD_QUANT_OPS = new Set([
  'QuantizeLinear', 'DequantizeLinear', 'QLinearConv', 'QLinearMatMul', 'MatMulInteger', 'ConvInteger',
  'QGemm', 'QLinearAdd', 'QLinearMul', 'QLinearGlobalAveragePool', 'QLinearAveragePool',
]);

/** Ops that only move or select data: on a dequantized tensor they run on the integers. */
const MOVE_OPS = new Set(['Reshape', 'Flatten', 'Transpose', 'Squeeze', 'Unsqueeze', 'Identity', 'MaxPool']);

const MAX_SHIFT = 30;
/** Fewest multiplier bits of a 32-bit RequantShift before the lowering takes the 64-bit one. */
const MIN_MUL_BITS = 14;
const WIDE_MUL_BITS = 24;
const MAX_WIDE_SHIFT = 62;
const INT32_MAX = 2 ** 31 - 1;

/** A quantized tensor: the stored integers and the (per-tensor or per-channel) parameters. */
interface QTensor {
  name: string;
  dtype: DType;
  scale: number[];
  zp: number[];
  /** Axis of per-channel parameters (only weights). */
  axis: number;
  /** Constant values (weights, biases), else undefined. */
  values?: Float64Array;
  shape: number[];
}

/** A float op whose output waits for its QuantizeLinear: emits the integer op and the requant. */
type Pending = (out: QOut) => void;

interface QOut {
  name: string;
  scale: number;
  zp: number;
  dtype: DType;
  /** Output floored at the zero point (a Relu folded in). */
  relu?: boolean;
  /** Node name for errors and for the emitted nodes. */
  by: string;
}

export function needsQuantLowering(g: Graph): boolean {
  return g.nodes.some((n) => STANDARD_QUANT_OPS.has(n.op));
}

export interface QuantLowerOptions {
  /**
   * QuantLib form: graph inputs that feed a QuantizeLinear become integer inputs (the quantized
   * values) and dequantized graph outputs stay integer, and every requant is a 32-bit
   * RequantShift where one fits (as QuantLib exports). For comparing with the float-I/O deployment.
   */
  quantlibForm?: boolean;
}

export function lowerStandardQuantization(g: Graph, source = g.name || '<graph>', opts: QuantLowerOptions = {}): Graph {
  if (!needsQuantLowering(g)) return g;
  return new Lowering(g, source, opts.quantlibForm === true).run();
}

class Lowering {
  private nodes: Node[] = [];
  private inits = new Map<string, Tensor>();
  private values = new Map<string, TensorInfo>();
  private dq = new Map<string, QTensor>();
  private pending = new Map<string, Pending>();
  private uses = new Map<string, Node[]>();
  private counter = 0;

  private newInputs = new Map<string, TensorInfo>();

  constructor(private readonly g: Graph, private readonly source: string, private readonly quantlib = false) {
    for (const n of g.nodes) for (const i of n.inputs) if (i) this.uses.set(i, [...(this.uses.get(i) ?? []), n]);
    for (const i of g.inputs) this.values.set(i.name, i);
  }

  private fail(n: Node, why: string): never {
    throw new InputError(`${this.source}: node '${n.name}' (${n.op}) cannot be lowered to integer arithmetic exactly: ${why}`);
  }

  private shapeOf(name: string): number[] {
    const v = this.g.values.get(name) ?? this.g.initializers.get(name) ?? this.values.get(name);
    if (!v) throw new InputError(`${this.source}: value '${name}' has no shape`);
    return v.shape;
  }

  private konst(base: string, dtype: DType, shape: number[], values: ArrayLike<number>): string {
    const name = this.fresh(base);
    this.inits.set(name, { name, dtype, shape, data: fromNumbers(dtype, Array.from(values)) });
    this.values.set(name, { name, dtype, shape });
    return name;
  }

  private fresh(base: string): string {
    let name = base;
    while (this.values.has(name) || this.g.values.has(name) || this.inits.has(name)) name = `${base}_${++this.counter}`;
    return name;
  }

  private emit(op: string, inputs: string[], attrs: Record<string, AttrValue>, out: { name: string; dtype: DType; shape: number[] }, nodeName: string): string {
    this.nodes.push({ name: this.fresh(nodeName), op, domain: '', inputs, outputs: [out.name], attrs });
    this.values.set(out.name, { name: out.name, dtype: out.dtype, shape: out.shape.slice() });
    return out.name;
  }

  private constOf(n: Node, name: string | undefined, what: string): Tensor | undefined {
    if (!name) return undefined;
    const t = this.g.initializers.get(name);
    if (!t) this.fail(n, `${what} '${name}' is not a constant`);
    return t;
  }

  /** Scale / zero point inputs of a quantize/dequantize or QLinear op. */
  private params(n: Node, si: number, zi: number): { scale: number[]; zp: number[]; dtype?: DType } {
    const s = this.constOf(n, n.inputs[si], 'the scale');
    if (!s) this.fail(n, `input ${si} (scale) is missing`);
    if (s.dtype !== 'float32') this.fail(n, `scale '${s.name}' is ${s.dtype}, only float32 scales are supported`);
    const scale = Array.from(toNumberArray(s.data));
    if (scale.some((v) => !(v > 0) || !Number.isFinite(v))) this.fail(n, `scale '${s.name}' holds a value that is not a positive finite number`);
    const z = this.constOf(n, n.inputs[zi], 'the zero point');
    if (z && z.dtype !== 'int8' && z.dtype !== 'uint8' && z.dtype !== 'int32') this.fail(n, `zero point '${z.name}' is ${z.dtype}, only int8/uint8 (int32 for biases) are supported`);
    const zp = z ? Array.from(toNumberArray(z.data)) : new Array<number>(scale.length).fill(0);
    if (zp.length !== scale.length) this.fail(n, `${scale.length} scales but ${zp.length} zero points`);
    return { scale, zp, ...(z ? { dtype: z.dtype } : {}) };
  }

  run(): Graph {
    for (const n of this.g.nodes) this.lowerNode(n);
    const outputs = this.g.outputs.map((o) => this.finishOutput(o));
    // Initializers still referenced by emitted nodes.
    for (const n of this.nodes)
      for (const i of n.inputs) {
        const t = this.g.initializers.get(i);
        if (t && !this.inits.has(i)) {
          this.inits.set(i, t);
          this.values.set(i, { name: i, dtype: t.dtype, shape: t.shape });
        }
      }
    const opsets = { ...(this.g.opsets ?? { '': 13 }) };
    delete opsets['com.microsoft'];
    const inputs = this.g.inputs.map((i) => this.newInputs.get(i.name) ?? i);
    return { ...this.g, nodes: this.nodes, inputs, initializers: this.inits, values: this.values, outputs, opsets };
  }

  /** A graph output: integer tensors stay, dequantized ones are computed in float32. */
  private finishOutput(o: TensorInfo): TensorInfo {
    const q = this.dq.get(o.name);
    if (q && this.quantlib) return this.values.get(q.name) ?? this.g.values.get(q.name)!;
    if (q && !this.values.has(o.name)) {
      const p = this.g.nodes.find((n) => n.outputs.includes(o.name))!;
      this.materializeFloat(p, o.name, q);
    }
    if (this.pending.has(o.name)) this.fail(this.g.nodes.find((n) => n.outputs.includes(o.name))!, `its float output '${o.name}' is a graph output without a QuantizeLinear after it`);
    const v = this.values.get(o.name);
    if (!v) throw new InputError(`${this.source}: graph output '${o.name}' was not produced by the lowered graph`);
    return v;
  }

  /** A dequantized tensor used as float: one per-tensor DequantizeLinear (its ONNX meaning is exact in float32). */
  private materializeFloat(n: Node, out: string, q: QTensor): void {
    if (q.scale.length !== 1) this.fail(n, `a per-channel dequantized tensor ('${out}') is used as float`);
    const zp = this.konst(`${out}_zero_point`, q.dtype, [], [q.zp[0]!]);
    this.emit('DequantizeLinear', [q.name, this.konst(`${out}_scale`, 'float32', [], [q.scale[0]!]), zp], {}, { name: out, dtype: 'float32', shape: q.shape }, `${n.name}_float`);
  }

  private lowerNode(n: Node): void {
    switch (n.op) {
      case 'DequantizeLinear':
        return this.dequantize(n);
      case 'QuantizeLinear':
        return this.quantize(n);
      case 'QLinearConv':
      case 'QLinearMatMul':
      case 'QGemm':
      case 'QLinearAdd':
      case 'QLinearMul':
      case 'QLinearGlobalAveragePool':
      case 'QLinearAveragePool':
        return this.qoperator(n);
      case 'MatMulInteger':
      case 'ConvInteger':
        return this.integerOp(n);
    }
    const qins = n.inputs.map((i) => (i ? this.dq.get(i) : undefined));
    if (n.inputs.some((i) => this.pending.has(i))) {
      if (n.op === 'Relu' && n.inputs.length === 1) {
        const p = this.pending.get(n.inputs[0]!)!;
        this.pending.set(n.outputs[0]!, (out) => p({ ...out, relu: true }));
        return;
      }
      const from = n.inputs.find((i) => this.pending.has(i))!;
      this.fail(n, `it reads '${from}', the float result of a quantized group that has no QuantizeLinear in between (only Relu may follow before the QuantizeLinear)`);
    }
    if (qins.every((q) => !q)) {
      // Not part of a quantized group: copied as it is (integer data or plain float data).
      this.nodes.push(n);
      for (const o of n.outputs) {
        const v = this.g.values.get(o);
        if (v) this.values.set(o, v);
      }
      return;
    }
    if (MOVE_OPS.has(n.op)) return this.move(n, qins[0]!);
    const lower = GROUP_RULES[n.op];
    if (!lower) this.fail(n, `float ${n.op} on dequantized values (after DequantizeLinear) has no exact integer form (supported: ${Object.keys(GROUP_RULES).sort().join(', ')}, and data movement ${[...MOVE_OPS].join(', ')})`);
    const ins = n.inputs.map((i, k) => {
      if (!i) return undefined;
      const q = qins[k];
      if (!q) this.fail(n, `input '${i}' is float but not the output of a DequantizeLinear`);
      return q;
    });
    this.pending.set(n.outputs[0]!, lower(this, n, ins));
  }

  private dequantize(n: Node): void {
    const x = n.inputs[0]!;
    const { scale, zp } = this.params(n, 1, 2);
    const shape = this.shapeOf(x);
    const c = this.g.initializers.get(x);
    const dtype = c?.dtype ?? this.values.get(x)?.dtype ?? this.g.values.get(x)?.dtype ?? 'uint8';
    if (!DTYPES[dtype].integer) this.fail(n, `input '${x}' is ${dtype}, not an integer tensor`);
    const axisRaw = attrNumber(n, 'axis', 1);
    const axis = axisRaw < 0 ? axisRaw + shape.length : axisRaw;
    if (scale.length > 1 && shape[axis] !== scale.length) this.fail(n, `${scale.length} scales for axis ${axis} of [${shape}]`);
    const q: QTensor = { name: x, dtype, scale, zp, axis, shape, ...(c ? { values: toNumberArray(c.data) } : {}) };
    this.dq.set(n.outputs[0]!, q);
    // A dequantized value read by something that is not lowered with it: compute it in float.
    const users = this.uses.get(n.outputs[0]!) ?? [];
    if (!c && users.some((u) => u.op === 'QuantizeLinear' ? false : !GROUP_RULES[u.op] && !MOVE_OPS.has(u.op) && u.op !== 'Relu'))
      this.materializeFloat(n, n.outputs[0]!, q);
  }

  private quantize(n: Node): void {
    const x = n.inputs[0]!;
    const { scale, zp, dtype } = this.params(n, 1, 2);
    const t: DType = dtype ?? 'uint8';
    if (t !== 'int8' && t !== 'uint8') this.fail(n, `output type ${t}: only int8 and uint8 are supported`);
    if (scale.length !== 1) this.fail(n, 'per-channel quantization of an activation is not supported (per tensor only)');
    const out: QOut = { name: n.outputs[0]!, scale: scale[0]!, zp: zp[0]!, dtype: t, by: n.name };
    const p = this.pending.get(x);
    if (p) return p(out);
    const q = this.dq.get(x);
    if (q) return this.requantTensor(n, q, out);
    // A float tensor (a graph input, or float computation outside any group).
    const shape = this.shapeOf(x);
    if (this.quantlib && this.g.inputs.some((i) => i.name === x)) {
      const info = { name: out.name, dtype: t, shape };
      this.newInputs.set(x, info);
      this.values.set(out.name, info);
      return;
    }
    // Float in, integers out: one per-tensor QuantizeLinear (exact ONNX semantics in float32).
    this.emit('QuantizeLinear', [x, this.konst(`${out.name}_scale`, 'float32', [], [out.scale]), this.konst(`${out.name}_zero_point`, t, [], [out.zp])], {}, { name: out.name, dtype: t, shape }, n.name);
  }

  /** DQ -> (data movement) -> Q with other parameters: one RequantShift (or nothing). */
  private requantTensor(n: Node, q: QTensor, out: QOut): void {
    if (q.scale.length !== 1) this.fail(n, 'a per-channel tensor is requantized');
    const same = q.scale[0] === out.scale && q.zp[0] === out.zp && q.dtype === out.dtype && !out.relu;
    if (same) {
      this.emit('Identity', [q.name], {}, { name: out.name, dtype: out.dtype, shape: q.shape }, `${n.name}_same`);
      return;
    }
    const r = DTYPES[q.dtype];
    this.requant(n, q.name, q.shape, [q.scale[0]! / out.scale], [-q.zp[0]!], Math.max(Math.abs(r.min - q.zp[0]!), Math.abs(r.max - q.zp[0]!)), out);
  }

  /** Data movement on a dequantized tensor runs on the stored integers (MaxPool: per tensor, monotone). */
  private move(n: Node, q: QTensor): void {
    if (q.values) this.fail(n, `data movement of the constant '${q.name}' between DequantizeLinear and its consumer is not supported`);
    if (n.op === 'MaxPool' && q.scale.length !== 1) this.fail(n, 'MaxPool of a per-channel quantized tensor');
    const outShape = this.shapeOf(n.outputs[0]!);
    const name = this.fresh(`${n.outputs[0]!}_q`);
    this.nodes.push({ ...n, inputs: [q.name, ...n.inputs.slice(1)], outputs: [name] });
    this.values.set(name, { name, dtype: q.dtype, shape: outShape });
    this.dq.set(n.outputs[0]!, { ...q, name, shape: outShape });
    const users = this.uses.get(n.outputs[0]!) ?? [];
    if (users.some((u) => u.op !== 'QuantizeLinear' && !GROUP_RULES[u.op] && !MOVE_OPS.has(u.op)) || this.g.outputs.some((o) => o.name === n.outputs[0]))
      this.materializeFloat(n, n.outputs[0]!, this.dq.get(n.outputs[0]!)!);
  }

  // ---------------------------------------------------------------- integer building blocks

  /** Emit `x - zp` (int16) when zp != 0, for products of two runtime tensors. */
  shifted(n: Node, q: QTensor): { name: string; lo: number; hi: number } {
    const r = DTYPES[q.dtype];
    if (q.scale.length !== 1) this.fail(n, `input '${q.name}' is quantized per channel; only constant weights may be`);
    if (q.values) return this.constShifted(n, q, 0);
    const z = q.zp[0]!;
    if (z === 0) return { name: q.name, lo: r.min, hi: r.max };
    const name = this.emit('Sub', [q.name, this.konst(`${q.name}_zp`, 'int16', [], [z])], {}, { name: this.fresh(`${q.name}_centered`), dtype: 'int16', shape: q.shape }, `${n.name}_center_${q.name}`);
    return { name, lo: r.min - z, hi: r.max - z };
  }

  /** A constant with its zero point(s) subtracted, as int8 when it fits, else int16. */
  constShifted(n: Node, q: QTensor, channelAxis: number): { name: string; dtype: DType; lo: number; hi: number; values: Float64Array } {
    const v = q.values!;
    const out = new Float64Array(v.length);
    const C = q.shape[channelAxis] ?? 1;
    const inner = q.shape.slice(channelAxis + 1).reduce((a, d) => a * d, 1);
    if (q.zp.length > 1 && q.axis !== channelAxis) this.fail(n, `per-channel parameters of '${q.name}' lie along axis ${q.axis}, the output channels along axis ${channelAxis}`);
    for (let i = 0; i < v.length; i++) out[i] = v[i]! - q.zp[q.zp.length === 1 ? 0 : Math.floor(i / inner) % C]!;
    let lo = 0;
    let hi = 0;
    for (const x of out) {
      lo = Math.min(lo, x);
      hi = Math.max(hi, x);
    }
    const dtype: DType = lo >= -128 && hi <= 127 ? 'int8' : 'int16';
    const name = q.zp.every((z) => z === 0) && q.dtype === dtype ? q.name : this.konst(`${q.name}_centered`, dtype, q.shape, out);
    return { name, dtype, lo, hi, values: out };
  }

  /**
   * RequantShift(acc) -> out: out = clamp(floor((acc*mul_c + add_c + 2^(s-1)) / 2^s)) with
   * mul_c = round(M_c 2^s), add_c = round(offset_c mul_c) + zp 2^s; the largest s <= 30 that keeps
   * |acc|*mul + |add| + 2^(s-1) inside int32 (the C kernels compute in int32).
   */
  requant(n: Node, acc: string, accShape: number[], M: number[], offset: number[], accMax: number, out: QOut, channelShape?: number[]): void {
    const fit = (s: number, limit: number) => {
      const mul = M.map((m) => Math.round(m * 2 ** s));
      const add = mul.map((m, c) => Math.round(offset[offset.length === 1 ? 0 : c]! * m) + out.zp * 2 ** s);
      const ok = mul.every((m, c) => m <= INT32_MAX && accMax * m + Math.abs(add[c]!) + 2 ** Math.max(s - 1, 0) < limit) && mul.some((m) => m > 0);
      return ok ? { s, mul, add } : undefined;
    };
    let chosen: { s: number; mul: number[]; add: number[] } | undefined;
    for (let s = MAX_SHIFT; s >= 0 && !chosen; s--) chosen = fit(s, INT32_MAX);
    // RequantShift computes in int32: with fewer than MIN_MUL_BITS bits in the multiplier the
    // result drifts from the float scale; the 64-bit RequantShiftWide keeps WIDE_MUL_BITS.
    const wide = !chosen || (!this.quantlib && Math.min(...chosen.mul.filter((m) => m > 0)) < 2 ** MIN_MUL_BITS);
    const pshape = M.length === 1 ? [] : channelShape ?? [M.length];
    const attrsOf = (s: number) => ({ div: 2 ** s, n_levels: 256, signed: out.dtype === 'int8' ? 1 : 0 });
    let inputs: string[];
    let attrs: Record<string, AttrValue>;
    if (wide) {
      const top = Math.max(...M);
      const s = Math.min(MAX_WIDE_SHIFT, Math.floor(WIDE_MUL_BITS - Math.log2(top)));
      const mul = M.map((m) => Math.round(m * 2 ** s));
      const inMax = Math.max(...offset.map(Math.abs));
      if (s < 0 || (accMax + inMax) * Math.max(...mul) + 2 ** s >= 2 ** 62) this.fail(n, `the accumulator (up to ${accMax}) times the scale ratio ${top} does not fit a 64-bit requantization`);
      if (offset.some((o) => !Number.isInteger(o) || Math.abs(o) > INT32_MAX)) this.fail(n, 'a zero-point offset beyond int32');
      const off = offset.length === 1 ? [] : channelShape ?? [offset.length];
      inputs = [acc, this.konst(`${out.name}_rq_mul`, 'int32', pshape, mul), this.konst(`${out.name}_rq_in_off`, 'int32', off, offset), this.konst(`${out.name}_rq_out_off`, 'int32', [], [out.zp])];
      attrs = attrsOf(s);
    } else {
      if (!chosen) this.fail(n, 'no 32-bit requantization fits');
      inputs = [acc, this.konst(`${out.name}_rq_mul`, 'int32', pshape, chosen.mul), this.konst(`${out.name}_rq_add`, 'int32', pshape, chosen.add)];
      attrs = attrsOf(chosen.s);
    }
    const op = wide ? 'RequantShiftWide' : 'RequantShift';
    if (!out.relu || out.zp <= DTYPES[out.dtype].min) {
      this.emit(op, inputs, attrs, { name: out.name, dtype: out.dtype, shape: accShape }, `${out.by}_rq`);
      return;
    }
    const rq = this.emit(op, inputs, attrs, { name: this.fresh(`${out.name}_prerelu`), dtype: out.dtype, shape: accShape }, `${out.by}_rq`);
    const lo = this.konst(`${out.name}_relu_lo`, out.dtype, [], [out.zp]);
    const hi = this.konst(`${out.name}_relu_hi`, out.dtype, [], [DTYPES[out.dtype].max]);
    this.emit('Clip', [rq, lo, hi], {}, { name: out.name, dtype: out.dtype, shape: accShape }, `${out.by}_relu`);
  }

  // ---------------------------------------------------------------- QOperator format

  private qtensor(n: Node, xi: number, si: number, zi: number): QTensor {
    const x = n.inputs[xi]!;
    const { scale, zp } = this.params(n, si, zi);
    const c = this.g.initializers.get(x);
    const shape = this.shapeOf(x);
    const dtype = c?.dtype ?? this.values.get(x)?.dtype ?? this.g.values.get(x)?.dtype ?? 'uint8';
    if (!DTYPES[dtype].integer) this.fail(n, `input '${x}' is ${dtype}, not an integer tensor`);
    return { name: x, dtype, scale, zp, axis: 0, shape, ...(c ? { values: toNumberArray(c.data) } : {}) };
  }

  private qoperator(n: Node): void {
    const outQ = (si: number, zi: number): QOut => {
      const { scale, zp, dtype } = this.params(n, si, zi);
      if (scale.length !== 1) this.fail(n, 'a per-channel output scale is not supported');
      const t = dtype ?? 'uint8';
      if (t !== 'int8' && t !== 'uint8') this.fail(n, `output type ${t}: only int8 and uint8 are supported`);
      return { name: n.outputs[0]!, scale: scale[0]!, zp: zp[0]!, dtype: t, by: n.name };
    };
    // Present the op as its QDQ group and reuse the group rules.
    const asNode = (op: string, inputs: string[], attrs = n.attrs): Node => ({ ...n, op, inputs, attrs });
    switch (n.op) {
      case 'QLinearConv': {
        const x = this.qtensor(n, 0, 1, 2);
        const w = { ...this.qtensor(n, 3, 4, 5), axis: 0 };
        const b = n.inputs[8] ? this.biasTensor(n, n.inputs[8]!) : undefined;
        return GROUP_RULES.Conv!(this, asNode('Conv', [x.name, w.name, b?.name ?? '']), [x, w, b])(outQ(6, 7));
      }
      case 'QLinearMatMul': {
        const a = this.qtensor(n, 0, 1, 2);
        const bq = this.qtensor(n, 3, 4, 5);
        const b = { ...bq, axis: bq.shape.length - 1 };
        return GROUP_RULES.MatMul!(this, asNode('MatMul', [a.name, b.name]), [a, b])(outQ(6, 7));
      }
      case 'QGemm': {
        if (!n.inputs[7]) this.fail(n, 'QGemm without y_scale produces float output');
        const a = this.qtensor(n, 0, 1, 2);
        const bq = this.qtensor(n, 3, 4, 5);
        const b = { ...bq, axis: attrNumber(n, 'transB', 0) === 1 ? 0 : bq.shape.length - 1 };
        const c = n.inputs[6] ? this.biasTensor(n, n.inputs[6]!) : undefined;
        return GROUP_RULES.Gemm!(this, asNode('Gemm', [a.name, b.name, c?.name ?? '']), [a, b, c])(outQ(7, 8));
      }
      case 'QLinearAdd':
      case 'QLinearMul': {
        const a = this.qtensor(n, 0, 1, 2);
        const b = this.qtensor(n, 3, 4, 5);
        const op = n.op === 'QLinearAdd' ? 'Add' : 'Mul';
        return GROUP_RULES[op]!(this, asNode(op, [a.name, b.name]), [a, b])(outQ(6, 7));
      }
      case 'QLinearGlobalAveragePool':
      case 'QLinearAveragePool': {
        if (attrNumber(n, 'channels_last', 0) !== 0) this.fail(n, 'attribute channels_last = 1 is outside the supported range [0, 0] (NCHW only)');
        const x = this.qtensor(n, 0, 1, 2);
        const op = n.op === 'QLinearAveragePool' ? 'AveragePool' : 'GlobalAveragePool';
        return GROUP_RULES[op]!(this, asNode(op, [x.name]), [x])(outQ(3, 4));
      }
    }
  }

  /** An int32 bias of a QOperator op (scale = input scale x weight scale, zero point 0). */
  private biasTensor(n: Node, name: string): QTensor {
    const t = this.constOf(n, name, 'the bias')!;
    return { name, dtype: t.dtype, scale: [NaN], zp: [0], axis: 0, shape: t.shape, values: toNumberArray(t.data) };
  }

  /** MatMulInteger / ConvInteger: the exact int32 accumulator, zero points folded. */
  private integerOp(n: Node): void {
    const q = (xi: number, zi: number, axis: number): QTensor => {
      const x = n.inputs[xi]!;
      const c = this.g.initializers.get(x);
      const z = this.constOf(n, n.inputs[zi], 'the zero point');
      const zp = z ? Array.from(toNumberArray(z.data)) : [0];
      const shape = this.shapeOf(x);
      const dtype = c?.dtype ?? this.values.get(x)?.dtype ?? this.g.values.get(x)?.dtype ?? 'uint8';
      return { name: x, dtype, scale: zp.map(() => 1), zp, axis, shape, ...(c ? { values: toNumberArray(c.data) } : {}) };
    };
    const out = n.outputs[0]!;
    const shape = this.shapeOf(out);
    if (n.op === 'MatMulInteger') {
      const a = q(0, 2, 0);
      const bRaw = q(1, 3, 0);
      const b = { ...bRaw, axis: bRaw.shape.length - 1 };
      const acc = matmulAccumulator(this, n, a, b, out);
      if (acc.name !== out) this.emit('Identity', [acc.name], {}, { name: out, dtype: 'int32', shape }, `${n.name}_out`);
    } else {
      const x = q(0, 2, 1);
      const w = q(1, 3, 0);
      const acc = convAccumulator(this, n, x, w, undefined, out);
      if (acc.name !== out) this.emit('Identity', [acc.name], {}, { name: out, dtype: 'int32', shape }, `${n.name}_out`);
    }
  }

  // ---------------------------------------------------------------- helpers for the rules

  emitNode(op: string, inputs: string[], attrs: Record<string, AttrValue>, out: { name: string; dtype: DType; shape: number[] }, nodeName: string): string {
    return this.emit(op, inputs, attrs, out, nodeName);
  }
  constant(base: string, dtype: DType, shape: number[], values: ArrayLike<number>): string {
    return this.konst(base, dtype, shape, values);
  }
  freshName(base: string): string {
    return this.fresh(base);
  }
  shape(name: string): number[] {
    return this.shapeOf(name);
  }
  error(n: Node, why: string): never {
    return this.fail(n, why);
  }
}

type GroupRule = (l: Lowering, n: Node, ins: (QTensor | undefined)[]) => Pending;

/** The first `k` inputs of a group, which must be present. */
function req(l: Lowering, n: Node, ins: (QTensor | undefined)[], k: number): QTensor[] {
  const out: QTensor[] = [];
  for (let i = 0; i < k; i++) {
    const q = ins[i];
    if (!q) return l.error(n, `input ${i} is missing`);
    out.push(q);
  }
  return out;
}

function scalarOf(q: QTensor): number {
  return q.scale[0]!;
}

/** Bias of a QDQ or QOperator group as exact int32 in accumulator units (scale sx*sw_c). */
function biasValues(l: Lowering, n: Node, b: QTensor | undefined, sx: number, sw: number[], K: number): number[] {
  const out = new Array<number>(K).fill(0);
  if (!b) return out;
  const v = b.values;
  if (!v) l.error(n, `the bias '${b.name}' is not a constant`);
  if (v.length !== K) l.error(n, `the bias has ${v.length} values for ${K} output channels`);
  for (let c = 0; c < K; c++) {
    const s = Number.isNaN(b.scale[0]!) ? undefined : b.scale[b.scale.length === 1 ? 0 : c]!;
    const accScale = Math.fround(sx * sw[sw.length === 1 ? 0 : c]!);
    const z = b.zp[b.zp.length === 1 ? 0 : c]!;
    // QDQ biases are written with scale sx*sw: the stored integers are the accumulator units.
    if (s === undefined || Math.abs(s - accScale) <= 1e-6 * accScale) out[c] = v[c]! - z;
    else l.error(n, `bias scale ${s} differs from input scale x weight scale ${accScale}: not an exact integer bias`);
  }
  return out;
}

/** Largest |acc| of a dot product with constant rows `w` (per output channel) and inputs in [lo, hi] (interval arithmetic). */
function dotBound(w: Float64Array, K: number, inner: number, lo: number, hi: number, bias: number[]): number {
  let worst = 0;
  for (let c = 0; c < K; c++) {
    let top = bias[c]!;
    let bottom = bias[c]!;
    for (let i = 0; i < inner; i++) {
      const v = w[c * inner + i]!;
      top += Math.max(v * lo, v * hi);
      bottom += Math.min(v * lo, v * hi);
    }
    worst = Math.max(worst, Math.abs(top), Math.abs(bottom));
  }
  return worst;
}

/** Integer conv of x (uint8/int8, zero point folded into the bias) and centred weights. */
function convAccumulator(l: Lowering, n: Node, x: QTensor, w: QTensor, b: QTensor | undefined, outName?: string, biasIn?: number[]): { name: string; bound: number } {
  if (x.values) l.error(n, 'the convolution input is a constant');
  if (!w.values) l.error(n, 'the convolution weights are not constant');
  if (x.scale.length !== 1) l.error(n, 'the input is quantized per channel');
  const K = w.shape[0]!;
  const inner = elementCount(w.shape.slice(1));
  const wc = l.constShifted(n, w, 0);
  const zx = x.zp[0]!;
  const group = attrNumber(n, 'group', 1);
  const Cg = w.shape[1]!;
  const bias = biasIn ?? new Array<number>(K).fill(0);
  // sum over (x - zx) w = sum x w - zx sum w: exact where the window lies inside the input.
  const folded = bias.map((v, c) => {
    let s = 0;
    for (let i = 0; i < inner; i++) s += wc.values[c * inner + i]!;
    return v - zx * s;
  });
  let xin = x.name;
  const attrs: Record<string, AttrValue> = { ...n.attrs };
  const pads = attrInts(n, 'pads');
  const sp = x.shape.length - 2;
  if (typeof attrs.auto_pad === 'string' && attrs.auto_pad !== 'NOTSET' && attrs.auto_pad !== 'VALID') l.error(n, `attribute auto_pad = '${attrs.auto_pad}' is outside the supported range {NOTSET, VALID}`);
  if (pads && pads.some((p) => p !== 0) && zx !== 0) {
    // The padding is 0.0 in float, the zero point in integers: pad explicitly with it.
    const padded = x.shape.map((d, i) => (i < 2 ? d : d + pads[i - 2]! + pads[i - 2 + sp]!));
    const padsAll = [0, 0, ...pads.slice(0, sp), 0, 0, ...pads.slice(sp)];
    xin = l.emitNode('Pad', [x.name, l.constant(`${n.name}_pads`, 'int64', [padsAll.length], padsAll), l.constant(`${n.name}_padval`, x.dtype, [], [zx])], { mode: 'constant' }, { name: l.freshName(`${x.name}_padded`), dtype: x.dtype, shape: padded }, `${n.name}_pad_zp`);
    delete attrs.pads;
  }
  const r = DTYPES[x.dtype];
  const bound = dotBound(wc.values, K, inner, r.min, r.max, folded);
  const biasT = folded.some((v) => v !== 0) ? l.constant(`${n.name}_bias`, 'int32', [K], folded) : '';
  const name = outName ?? l.freshName(`${n.outputs[0]!}_acc`);
  const convAttrs: Record<string, AttrValue> = { kernel_shape: w.shape.slice(2), group, ...(attrs.strides ? { strides: attrs.strides } : {}), ...(attrs.dilations ? { dilations: attrs.dilations } : {}), ...(attrs.pads ? { pads: attrs.pads } : {}) };
  if (Cg * group !== x.shape[1]) l.error(n, `weights [${w.shape}] with group ${group} do not fit the input [${x.shape}]`);
  l.emitNode('Conv', biasT ? [xin, wc.name, biasT] : [xin, wc.name], convAttrs, { name, dtype: 'int32', shape: l.shape(n.outputs[0]!) }, `${n.name}_int`);
  return { name, bound };
}

/** Integer MatMul: constant B (per-column parameters) or two runtime operands (per tensor). */
function matmulAccumulator(l: Lowering, n: Node, a: QTensor, b: QTensor, outName?: string, transB = false, biasIn?: number[]): { name: string; bound: number } {
  const outShape = l.shape(n.outputs[0]!);
  const name = outName ?? l.freshName(`${n.outputs[0]!}_acc`);
  if (a.values) l.error(n, 'the left operand is a constant');
  if (b.values) {
    const K = transB ? b.shape[1]! : b.shape[b.shape.length - 2]!;
    const N = transB ? b.shape[0]! : b.shape[b.shape.length - 1]!;
    if (b.shape.length !== 2) l.error(n, `constant right operand of rank ${b.shape.length} (2 supported)`);
    // Columns first (rows of B^T), so the bound and the bias fold walk contiguous rows.
    const centred = l.constShifted(n, { ...b, shape: b.shape }, transB ? 0 : 1);
    const rows = new Float64Array(N * K);
    for (let k = 0; k < K; k++) for (let c = 0; c < N; c++) rows[c * K + k] = transB ? centred.values[c * K + k]! : centred.values[k * N + c]!;
    const za = a.zp[0]!;
    const bias = (biasIn ?? new Array<number>(N).fill(0)).map((v, c) => {
      let s = 0;
      for (let k = 0; k < K; k++) s += rows[c * K + k]!;
      return v - za * s;
    });
    const r = DTYPES[a.dtype];
    const bound = dotBound(rows, N, K, r.min, r.max, bias);
    const hasBias = bias.some((v) => v !== 0);
    if (centred.name !== b.name && DTYPES[b.dtype].bytes === 1 && transB && DTYPES[centred.dtype].bytes > 1) {
      // 8-bit weights whose centred values need 16 bits (uint8 with a zero point): keep the stored
      // weights for the SIMD GEMM and fold the weight zero points by the row sums of A:
      // sum_k a (w - zw) = a.w - zw rowsum(a).
      const zw = b.zp.length === 1 ? new Array<number>(N).fill(b.zp[0]!) : b.zp;
      const raw = K * Math.max(Math.abs(r.min), r.max) * Math.max(Math.abs(DTYPES[b.dtype].min), DTYPES[b.dtype].max) + Math.max(...bias.map(Math.abs));
      if (raw >= INT32_MAX) l.error(n, `the 8-bit product before the weight zero-point correction can reach ${raw}, beyond int32`);
      const biasT = hasBias ? l.constant(`${n.name}_bias`, 'int32', [N], bias) : '';
      const mm = l.emitNode('Gemm', biasT ? [a.name, b.name, biasT] : [a.name, b.name], { transB: 1 }, { name: l.freshName(`${name}_raw`), dtype: 'int32', shape: outShape }, `${n.name}_int`);
      const rsShape = [...outShape.slice(0, -1), 1];
      const rs = l.emitNode('ReduceSum', [a.name, l.constant(`${n.name}_rowsum_axes`, 'int64', [1], [a.shape.length - 1])], { keepdims: 1 }, { name: l.freshName(`${name}_rowsum`), dtype: 'int32', shape: rsShape }, `${n.name}_rowsum`);
      const corr = l.emitNode('Mul', [rs, l.constant(`${n.name}_wzp`, 'int32', [N], zw.map((z) => -z))], {}, { name: l.freshName(`${name}_wzp`), dtype: 'int32', shape: outShape }, `${n.name}_wzp`);
      l.emitNode('Add', [mm, corr], {}, { name, dtype: 'int32', shape: outShape }, `${n.name}_wzp_fold`);
      return { name, bound };
    }
    if (transB) {
      const biasT = hasBias ? l.constant(`${n.name}_bias`, 'int32', [N], bias) : '';
      l.emitNode('Gemm', biasT ? [a.name, centred.name, biasT] : [a.name, centred.name], { transB: 1 }, { name, dtype: 'int32', shape: outShape }, `${n.name}_int`);
    } else if (hasBias) {
      const mm = l.emitNode('MatMul', [a.name, centred.name], {}, { name: l.freshName(`${name}_nobias`), dtype: 'int32', shape: outShape }, `${n.name}_int`);
      l.emitNode('Add', [mm, l.constant(`${n.name}_bias`, 'int32', [N], bias)], {}, { name, dtype: 'int32', shape: outShape }, `${n.name}_bias`);
    } else l.emitNode('MatMul', [a.name, centred.name], {}, { name, dtype: 'int32', shape: outShape }, `${n.name}_int`);
    return { name, bound };
  }
  if (biasIn) l.error(n, 'a bias on a product of two runtime tensors');
  if (a.scale.length > 1 || b.scale.length > 1) l.error(n, 'a runtime operand is quantized per channel');
  // sum_k (a - za)(b - zb) = a.b - zb rowsum(a) - za colsum(b) + K za zb: the product stays 8-bit
  // (the SIMD GEMM) and the zero points cost two reductions and broadcast adds.
  const K = a.shape[a.shape.length - 1]!;
  const za = a.zp[0]!;
  const zb = b.zp[0]!;
  const ra = DTYPES[a.dtype];
  const rb = DTYPES[b.dtype];
  const m = (lo: number, hi: number) => Math.max(Math.abs(lo), Math.abs(hi));
  const bound = K * m(ra.min - za, ra.max - za) * m(rb.min - zb, rb.max - zb);
  if (za === 0 && zb === 0) {
    l.emitNode('MatMul', [a.name, b.name], {}, { name, dtype: 'int32', shape: outShape }, `${n.name}_int`);
    return { name, bound };
  }
  let acc = l.emitNode('MatMul', [a.name, b.name], {}, { name: l.freshName(`${name}_raw`), dtype: 'int32', shape: outShape }, `${n.name}_int`);
  const correct = (x: string, axis: number, z: number, what: string) => {
    const sShape = x === a.name ? [...a.shape.slice(0, -1), 1] : [...b.shape.slice(0, -2), 1, b.shape[b.shape.length - 1]!];
    const sum = l.emitNode('ReduceSum', [x, l.constant(`${n.name}_${what}_axes`, 'int64', [1], [axis])], { keepdims: 1 }, { name: l.freshName(`${name}_${what}`), dtype: 'int32', shape: sShape }, `${n.name}_${what}`);
    const scaled = l.emitNode('Mul', [sum, l.constant(`${n.name}_${what}_zp`, 'int32', [], [-z])], {}, { name: l.freshName(`${name}_${what}_zp`), dtype: 'int32', shape: sShape }, `${n.name}_${what}_zp`);
    acc = l.emitNode('Add', [acc, scaled], {}, { name: l.freshName(`${name}_${what}_fold`), dtype: 'int32', shape: outShape }, `${n.name}_${what}_fold`);
  };
  if (zb !== 0) correct(a.name, a.shape.length - 1, zb, 'rowsum');
  if (za !== 0) correct(b.name, b.shape.length - 2, za, 'colsum');
  if (za * zb !== 0) l.emitNode('Add', [acc, l.constant(`${n.name}_zz`, 'int32', [], [K * za * zb])], {}, { name, dtype: 'int32', shape: outShape }, `${n.name}_zp_product`);
  else l.emitNode('Identity', [acc], {}, { name, dtype: 'int32', shape: outShape }, `${n.name}_acc`);
  return { name, bound };
}

/** Output-channel multipliers M_c = sx * sw_c / sy, as onnxruntime forms them (float32). */
function ratios(sx: number, sw: number[], sy: number): number[] {
  return sw.map((s) => Math.fround(Math.fround(sx * s) / sy));
}

const GROUP_RULES: Record<string, GroupRule> = {
  // Relu on a dequantized tensor: a requantization floored at the output zero point.
  Relu: (l, n, ins) => (out) => {
    const [x] = req(l, n, ins, 1);
    if (x.scale.length > 1) l.error(n, 'per-channel input');
    const r = DTYPES[x.dtype];
    l.requant(n, x.name, x.shape, [x.scale[0]! / out.scale], [-x.zp[0]!], Math.max(Math.abs(r.min - x.zp[0]!), Math.abs(r.max - x.zp[0]!)), { ...out, relu: true });
  },
  Conv: (l, n, ins) => (out) => {
    const [x, w] = req(l, n, ins, 2);
    const b = ins[2];
    const K = w.shape[0]!;
    const bias = biasValues(l, n, b, scalarOf(x), w.scale, K);
    const acc = convAccumulator(l, n, x, w, b, undefined, bias);
    const sp = x.shape.length - 2;
    const M = ratios(scalarOf(x), w.scale, out.scale);
    l.requant(n, acc.name, l.shape(n.outputs[0]!), M, [0], acc.bound, out, [M.length, ...new Array<number>(sp).fill(1)]);
  },
  Gemm: (l, n, ins) => (out) => {
    const [a, b] = req(l, n, ins, 2);
    const c = ins[2];
    for (const [k, lo, hi] of [['alpha', 1, 1], ['beta', 1, 1], ['transA', 0, 0]] as const) {
      const v = attrNumber(n, k, k === 'transA' ? 0 : 1);
      if (v < lo || v > hi) l.error(n, `attribute ${k} = ${v} is outside the supported range [${lo}, ${hi}]`);
    }
    const transB = attrNumber(n, 'transB', 0) === 1;
    const N = transB ? b.shape[0]! : b.shape[1]!;
    const bAxis = transB ? 0 : 1;
    if (b.scale.length > 1 && b.axis !== bAxis) l.error(n, `per-channel weights along axis ${b.axis}, the output columns are axis ${bAxis}`);
    const bias = biasValues(l, n, c, scalarOf(a), b.scale, N);
    const acc = matmulAccumulator(l, n, a, b, undefined, transB, bias);
    l.requant(n, acc.name, l.shape(n.outputs[0]!), ratios(scalarOf(a), b.scale, out.scale), [0], acc.bound, out);
  },
  MatMul: (l, n, ins) => (out) => {
    const [a, b] = req(l, n, ins, 2);
    if (b.values && b.scale.length > 1 && b.axis !== b.shape.length - 1) l.error(n, `per-channel weights along axis ${b.axis}, the output columns are the last axis`);
    const acc = matmulAccumulator(l, n, a, b);
    l.requant(n, acc.name, l.shape(n.outputs[0]!), ratios(scalarOf(a), b.scale, out.scale), [0], acc.bound, out);
  },
  Add: (l, n, ins) => (out) => {
    const [a, b] = req(l, n, ins, 2);
    if (a.scale.length > 1 || b.scale.length > 1) l.error(n, 'per-channel operands of Add');
    // y = ((a*ma + b*mb) + C + 2^(s-1)) >> s with ma = round(sa/sy 2^s), C = zy 2^s - za ma - zb mb.
    const ra = a.scale[0]! / out.scale;
    const rb = b.scale[0]! / out.scale;
    const ma0 = DTYPES[a.dtype];
    const mb0 = DTYPES[b.dtype];
    const span = Math.max(Math.abs(ma0.min), ma0.max) * ra + Math.max(Math.abs(mb0.min), mb0.max) * rb + 256;
    const s = Math.min(MAX_SHIFT - 1, Math.floor(Math.log2((INT32_MAX / 2) / span)));
    if (s < 8) l.error(n, `scale ratios ${ra} and ${rb} leave fewer than 8 fraction bits in 32 bits`);
    const ma = Math.round(ra * 2 ** s);
    const mb = Math.round(rb * 2 ** s);
    const shape = l.shape(n.outputs[0]!);
    const ta = l.emitNode('Mul', [a.name, l.constant(`${n.name}_ma`, 'int32', [], [ma])], {}, { name: l.freshName(`${n.outputs[0]!}_a`), dtype: 'int32', shape: a.shape }, `${n.name}_scale_a`);
    const tb = l.emitNode('Mul', [b.name, l.constant(`${n.name}_mb`, 'int32', [], [mb])], {}, { name: l.freshName(`${n.outputs[0]!}_b`), dtype: 'int32', shape: b.shape }, `${n.name}_scale_b`);
    const acc = l.emitNode('Add', [ta, tb], {}, { name: l.freshName(`${n.outputs[0]!}_acc`), dtype: 'int32', shape }, `${n.name}_int`);
    const C = -a.zp[0]! * ma - b.zp[0]! * mb;
    const mul = l.constant(`${out.name}_rq_mul`, 'int32', [], [1]);
    const add = l.constant(`${out.name}_rq_add`, 'int32', [], [C + out.zp * 2 ** s]);
    const attrs = { div: 2 ** s, n_levels: 256, signed: out.dtype === 'int8' ? 1 : 0 };
    if (!out.relu) {
      l.emitNode('RequantShift', [acc, mul, add], attrs, { name: out.name, dtype: out.dtype, shape }, `${out.by}_rq`);
      return;
    }
    const rq = l.emitNode('RequantShift', [acc, mul, add], attrs, { name: l.freshName(`${out.name}_prerelu`), dtype: out.dtype, shape }, `${out.by}_rq`);
    l.emitNode('Clip', [rq, l.constant(`${out.name}_relu_lo`, out.dtype, [], [out.zp]), l.constant(`${out.name}_relu_hi`, out.dtype, [], [DTYPES[out.dtype].max])], {}, { name: out.name, dtype: out.dtype, shape }, `${out.by}_relu`);
  },
  Mul: (l, n, ins) => (out) => {
    const [a, b] = req(l, n, ins, 2);
    const as = l.shifted(n, a);
    const bs = l.shifted(n, b);
    const shape = l.shape(n.outputs[0]!);
    const acc = l.emitNode('Mul', [as.name, bs.name], {}, { name: l.freshName(`${n.outputs[0]!}_acc`), dtype: 'int32', shape }, `${n.name}_int`);
    const m = (r: { lo: number; hi: number }) => Math.max(Math.abs(r.lo), Math.abs(r.hi));
    l.requant(n, acc, shape, [Math.fround(Math.fround(scalarOf(a) * scalarOf(b)) / out.scale)], [0], m(as) * m(bs), out);
  },
  GlobalAveragePool: (l, n, ins) => (out) => {
    const [x] = req(l, n, ins, 1);
    if (x.scale.length > 1) l.error(n, 'per-channel input');
    const shape = l.shape(n.outputs[0]!);
    const N = elementCount(x.shape.slice(2));
    const axes = x.shape.slice(2).map((_, i) => i + 2);
    const acc = l.emitNode('ReduceSum', [x.name, l.constant(`${n.name}_axes`, 'int64', [axes.length], axes)], { keepdims: 1 }, { name: l.freshName(`${n.outputs[0]!}_sum`), dtype: 'int32', shape }, `${n.name}_sum`);
    const r = DTYPES[x.dtype];
    l.requant(n, acc, shape, [Math.fround(x.scale[0]! / Math.fround(out.scale * N))], [-N * x.zp[0]!], N * Math.max(Math.abs(r.min), r.max), out);
  },
  AveragePool: (l, n, ins) => (out) => {
    const [x] = req(l, n, ins, 1);
    if (x.scale.length > 1) l.error(n, 'per-channel input');
    const k = attrInts(n, 'kernel_shape') ?? l.error(n, 'no kernel_shape');
    const pads = attrInts(n, 'pads') ?? [];
    if (attrNumber(n, 'ceil_mode', 0) !== 0) l.error(n, `attribute ceil_mode = ${attrNumber(n, 'ceil_mode')} is outside the supported range [0, 0]`);
    if (pads.some((p) => p !== 0) && attrNumber(n, 'count_include_pad', 0) === 0) l.error(n, 'padding with count_include_pad = 0 divides border windows by fewer elements (no single requant multiplier)');
    const C = x.shape[1]!;
    const N = k.reduce((a, d) => a * d, 1);
    // A depthwise convolution with all-one weights sums each window (padding handled as in Conv).
    const w: QTensor = { name: l.constant(`${n.name}_ones`, 'int8', [C, 1, ...k], new Array<number>(C * N).fill(1)), dtype: 'int8', scale: [1], zp: [0], axis: 0, shape: [C, 1, ...k], values: new Float64Array(C * N).fill(1) };
    const conv: Node = { ...n, op: 'Conv', attrs: { ...n.attrs, group: C, kernel_shape: k } };
    const acc = convAccumulator(l, conv, x, w, undefined);
    const r = DTYPES[x.dtype];
    l.requant(n, acc.name, l.shape(n.outputs[0]!), [Math.fround(x.scale[0]! / Math.fround(out.scale * N))], [0], N * Math.max(Math.abs(r.min - x.zp[0]!), Math.abs(r.max - x.zp[0]!)), out);
  },
};
