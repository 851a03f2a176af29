// Seeded generator of standard-ONNX quantized networks, written as onnxruntime's static
// quantization (quantize_static, MinMax calibration) writes them:
//   QDQ format:       QuantizeLinear -> DequantizeLinear -> float op (weights DequantizeLinear(int8),
//                     bias DequantizeLinear(int32, scale sx*sw)) -> QuantizeLinear -> ...
//   QOperator format: QuantizeLinear -> QLinearConv / QLinearMatMul / com.microsoft QGemm,
//                     QLinearAdd, QLinearMul, QLinearGlobalAveragePool, QLinearAveragePool -> ...
//                     -> DequantizeLinear.
// A Relu after a layer is folded into the output quantization (range [0, max]) as onnxruntime does.
// Weights are int8 symmetric ([-127, 127]) or uint8 asymmetric, per tensor or per output channel; activations uint8
// asymmetric or int8 (symmetric or asymmetric). Scales come from a float run of the same network
// on calibration inputs (the reference executor). Networks: MLP, conv stack (residual, pools),
// attention block (no softmax: scores -> Relu -> value product, see docs/reference.md).
//   node dist/golden/quant-networks.js <outDir> [seed]
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import seedrandom from 'seedrandom';
import { GraphBuilder } from '../src/frontend/builder.js';
import type { AttrValue, DType, Graph, Tensor } from '../src/frontend/ir.js';
import { formatNpz } from '../src/frontend/npy.js';
import { writeOnnx } from '../src/frontend/onnx.js';
import { execute } from '../src/reference/execute.js';

export const QUANT_SEED = 'deeploy-sim-quant-1';

type Rng = () => number;
export type QuantFormat = 'qdq' | 'qoperator';

export interface ActQuant {
  dtype: 'uint8' | 'int8';
  symmetric: boolean;
}

export interface NetworkSpec {
  name: string;
  format: QuantFormat;
  act: ActQuant;
  perChannel: boolean;
  /** Weights as uint8 with asymmetric zero points (onnxruntime's weight_type=QUInt8) instead of int8 symmetric. */
  weightsU8?: boolean;
  body: Body;
  inputShape: number[];
}

export interface QuantNetwork {
  name: string;
  spec: NetworkSpec;
  graph: Graph;
  inputs: Tensor[];
}

/** The layers of a network, written once against an abstract builder (float or quantized). */
type Body = (ops: Ops, x: string) => string[];

interface Ops {
  conv(x: string, cout: number, k: number, attrs?: { stride?: number; pad?: number; group?: number; relu?: boolean }): string;
  gemm(x: string, n: number, relu?: boolean): string;
  matmul(a: string, b: string): string;
  linear(x: string, n: number): string;
  add(a: string, b: string, relu?: boolean): string;
  mul(a: string, b: string): string;
  relu(x: string): string;
  gap(x: string): string;
  avgpool(x: string, k: number, stride: number): string;
  maxpool(x: string, k: number, stride: number): string;
  flatten(x: string): string;
  transpose(x: string, perm: number[]): string;
}

const BODIES: Record<string, { body: Body; inputShape: number[] }> = {
  mlp: {
    inputShape: [32, 64],
    body: (o, x) => {
      const h = o.gemm(o.gemm(x, 96, true), 64, true);
      return [o.gemm(h, 10), h];
    },
  },
  conv: {
    inputShape: [2, 3, 24, 24],
    body: (o, x) => {
      const c1 = o.conv(x, 8, 3, { pad: 1, relu: true });
      const p1 = o.maxpool(c1, 2, 2);
      const c2 = o.conv(p1, 8, 3, { pad: 1, group: 8, relu: true });
      const c3 = o.conv(c2, 8, 1, {});
      const r = o.add(c3, p1, true);
      const c4 = o.conv(r, 16, 3, { stride: 2, pad: 1, relu: true });
      const a = o.avgpool(c4, 2, 2);
      const m = o.mul(a, a);
      const g = o.gap(m);
      return [o.gemm(o.flatten(g), 10), c4];
    },
  },
  attention: {
    inputShape: [1, 32, 32],
    body: (o, x) => {
      const q = o.linear(x, 32);
      const k = o.linear(x, 32);
      const v = o.linear(x, 32);
      const s = o.relu(o.matmul(q, o.transpose(k, [0, 2, 1])));
      const ctx = o.matmul(s, v);
      const y = o.add(o.linear(ctx, 32), x);
      return [o.linear(y, 16), s];
    },
  },
};

export const NETWORK_SPECS: NetworkSpec[] = [
  { name: 'mlp_qdq_u8', format: 'qdq', act: { dtype: 'uint8', symmetric: false }, perChannel: false, ...BODIES.mlp! },
  { name: 'mlp_qdq_s8_perchannel', format: 'qdq', act: { dtype: 'int8', symmetric: false }, perChannel: true, ...BODIES.mlp! },
  { name: 'mlp_qdq_u8_weights_u8', format: 'qdq', act: { dtype: 'uint8', symmetric: false }, perChannel: true, weightsU8: true, ...BODIES.mlp! },
  { name: 'mlp_qop_u8', format: 'qoperator', act: { dtype: 'uint8', symmetric: false }, perChannel: false, ...BODIES.mlp! },
  { name: 'conv_qdq_u8_perchannel', format: 'qdq', act: { dtype: 'uint8', symmetric: false }, perChannel: true, ...BODIES.conv! },
  { name: 'conv_qdq_s8_symmetric', format: 'qdq', act: { dtype: 'int8', symmetric: true }, perChannel: false, ...BODIES.conv! },
  { name: 'conv_qop_u8_perchannel', format: 'qoperator', act: { dtype: 'uint8', symmetric: false }, perChannel: true, ...BODIES.conv! },
  { name: 'attention_qdq_s8', format: 'qdq', act: { dtype: 'int8', symmetric: true }, perChannel: true, ...BODIES.attention! },
  { name: 'attention_qop_u8', format: 'qoperator', act: { dtype: 'uint8', symmetric: false }, perChannel: false, ...BODIES.attention! },
];

const normal = (rng: Rng) => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());

/** Weights drawn once per network from its own stream, shared by the float and quantized builds. */
class Weights {
  private cache = new Map<string, Float32Array>();
  constructor(private readonly rng: Rng) {}
  get(name: string, n: number, fanIn: number): Float32Array {
    let w = this.cache.get(name);
    if (!w) {
      const s = 1 / Math.sqrt(fanIn);
      w = Float32Array.from({ length: n }, () => normal(this.rng) * s);
      this.cache.set(name, w);
    }
    return w;
  }
}

/** Shape bookkeeping shared by both builders. */
abstract class BaseOps implements Ops {
  protected n = 0;
  constructor(protected readonly b: GraphBuilder, protected readonly w: Weights, protected readonly shapes: Map<string, number[]>) {}
  protected id(kind: string): string {
    return `${kind}${this.n++}`;
  }
  protected shape(x: string): number[] {
    return this.shapes.get(x)!;
  }
  abstract conv(x: string, cout: number, k: number, attrs?: { stride?: number; pad?: number; group?: number; relu?: boolean }): string;
  abstract gemm(x: string, n: number, relu?: boolean): string;
  abstract matmul(a: string, b: string): string;
  abstract linear(x: string, n: number): string;
  abstract add(a: string, b: string, relu?: boolean): string;
  abstract mul(a: string, b: string): string;
  abstract relu(x: string): string;
  abstract gap(x: string): string;
  abstract avgpool(x: string, k: number, stride: number): string;
  abstract maxpool(x: string, k: number, stride: number): string;
  abstract flatten(x: string): string;
  abstract transpose(x: string, perm: number[]): string;

  protected convAttrs(k: number, a: { stride?: number; pad?: number; group?: number }): Record<string, AttrValue> {
    const p = a.pad ?? 0;
    return { kernel_shape: [k, k], strides: [a.stride ?? 1, a.stride ?? 1], pads: [p, p, p, p], group: a.group ?? 1 };
  }
}

/** The float network: calibration runs it and records every tensor's range. */
class FloatOps extends BaseOps {
  private node(op: string, ins: string[], attrs: Record<string, AttrValue>, name: string, shape?: number[]): string {
    const y = this.b.node(op, ins, attrs, { name, dtype: 'float32', ...(shape ? { shape } : {}) });
    this.shapes.set(y, this.b.build().values.get(y)!.shape);
    return y;
  }
  conv(x: string, cout: number, k: number, a: { stride?: number; pad?: number; group?: number; relu?: boolean } = {}): string {
    const id = this.id('conv');
    const cin = this.shape(x)[1]! / (a.group ?? 1);
    const w = this.b.init(`${id}_w`, 'float32', [cout, cin, k, k], this.w.get(`${id}_w`, cout * cin * k * k, cin * k * k));
    const bias = this.b.init(`${id}_b`, 'float32', [cout], this.w.get(`${id}_b`, cout, 16));
    const y = this.node('Conv', [x, w, bias], this.convAttrs(k, a), id);
    return a.relu ? this.node('Relu', [y], {}, `${id}_relu`) : y;
  }
  gemm(x: string, n: number, relu = false): string {
    const id = this.id('fc');
    const k = this.shape(x)[1]!;
    const w = this.b.init(`${id}_w`, 'float32', [n, k], this.w.get(`${id}_w`, n * k, k));
    const bias = this.b.init(`${id}_b`, 'float32', [n], this.w.get(`${id}_b`, n, 16));
    const y = this.node('Gemm', [x, w, bias], { transB: 1 }, id);
    return relu ? this.node('Relu', [y], {}, `${id}_relu`) : y;
  }
  linear(x: string, n: number): string {
    const id = this.id('lin');
    const s = this.shape(x);
    const k = s[s.length - 1]!;
    const w = this.b.init(`${id}_w`, 'float32', [k, n], this.w.get(`${id}_w`, n * k, k));
    return this.node('MatMul', [x, w], {}, id);
  }
  matmul(a: string, b: string): string {
    return this.node('MatMul', [a, b], {}, this.id('mm'));
  }
  add(a: string, b: string, relu = false): string {
    const y = this.node('Add', [a, b], {}, this.id('add'));
    return relu ? this.node('Relu', [y], {}, `${y}_relu`) : y;
  }
  mul(a: string, b: string): string {
    return this.node('Mul', [a, b], {}, this.id('mul'));
  }
  relu(x: string): string {
    return this.node('Relu', [x], {}, this.id('relu'));
  }
  gap(x: string): string {
    return this.node('GlobalAveragePool', [x], {}, this.id('gap'));
  }
  avgpool(x: string, k: number, stride: number): string {
    return this.node('AveragePool', [x], { kernel_shape: [k, k], strides: [stride, stride] }, this.id('avgpool'));
  }
  maxpool(x: string, k: number, stride: number): string {
    return this.node('MaxPool', [x], { kernel_shape: [k, k], strides: [stride, stride] }, this.id('maxpool'));
  }
  flatten(x: string): string {
    return this.node('Flatten', [x], { axis: 1 }, this.id('flatten'));
  }
  transpose(x: string, perm: number[]): string {
    return this.node('Transpose', [x], { perm }, this.id('transpose'));
  }
}

interface QParams {
  scale: number;
  zp: number;
}

/** MinMax calibration as onnxruntime computes it (range always includes 0). */
function actParams(lo: number, hi: number, act: ActQuant): QParams {
  const rmin = Math.min(lo, 0);
  const rmax = Math.max(hi, 0);
  if (act.symmetric) {
    const m = Math.max(Math.abs(rmin), Math.abs(rmax)) || 1;
    return { scale: Math.fround((2 * m) / 254), zp: act.dtype === 'uint8' ? 128 : 0 };
  }
  const [qmin, qmax] = act.dtype === 'uint8' ? [0, 255] : [-128, 127];
  const scale = Math.fround((rmax - rmin) / (qmax - qmin) || 1);
  return { scale, zp: Math.min(qmax, Math.max(qmin, Math.round(qmin - rmin / scale))) };
}

/** int8 symmetric weights in [-127, 127], per tensor or per output channel (axis `axis`). */
/** Weights per tensor or per output channel (axis `axis`): int8 symmetric in [-127, 127], or uint8 asymmetric (MinMax). */
function quantWeights(w: Float32Array, shape: number[], axis: number, perChannel: boolean, u8 = false): { q: number[]; scales: number[]; zps: number[] } {
  const C = perChannel ? shape[axis]! : 1;
  const inner = shape.slice(axis + 1).reduce((a, d) => a * d, 1);
  const chan = (i: number) => (perChannel ? Math.floor(i / inner) % C : 0);
  const lo = new Array<number>(C).fill(0);
  const hi = new Array<number>(C).fill(0);
  w.forEach((v, i) => {
    lo[chan(i)] = Math.min(lo[chan(i)]!, v);
    hi[chan(i)] = Math.max(hi[chan(i)]!, v);
  });
  if (u8) {
    const p = lo.map((l, c) => actParams(l, hi[c]!, { dtype: 'uint8', symmetric: false }));
    const q = Array.from(w, (v, i) => Math.max(0, Math.min(255, roundEven(v / p[chan(i)]!.scale) + p[chan(i)]!.zp)));
    return { q, scales: p.map((x) => x.scale), zps: p.map((x) => x.zp) };
  }
  const scales = lo.map((l, c) => Math.fround((2 * (Math.max(-l, hi[c]!) || 1)) / 254));
  const q = Array.from(w, (v, i) => Math.max(-127, Math.min(127, roundEven(v / scales[chan(i)]!))));
  return { q, scales, zps: scales.map(() => 0) };
}

function roundEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v - Math.trunc(v)) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

const MS = 'com.microsoft';

/** The quantized network, built from the float one's tensor names and calibrated ranges. */
class QuantOps extends BaseOps {
  constructor(b: GraphBuilder, w: Weights, shapes: Map<string, number[]>, private readonly spec: NetworkSpec, private readonly ranges: Map<string, [number, number]>, private readonly qp: Map<string, QParams>) {
    super(b, w, shapes);
  }
  private msNodes = new Set<string>();
  private triples = 0;
  get microsoftNodes(): Set<string> {
    return this.msNodes;
  }

  /** Quantization parameters of a float tensor name (calibrated). */
  params(name: string): QParams {
    let p = this.qp.get(name);
    if (!p) {
      const r = this.ranges.get(name)!;
      p = actParams(r[0], r[1], this.spec.act);
      this.qp.set(name, p);
    }
    return p;
  }
  private scalar(name: string, dtype: DType, v: number): string {
    return this.b.init(name, dtype, [], [v]);
  }
  private qdqScale(name: string): { s: string; z: string } {
    const p = this.params(name);
    return { s: this.scalar(`${name}_scale`, 'float32', p.scale), z: this.scalar(`${name}_zero_point`, this.spec.act.dtype, p.zp) };
  }
  /** In QDQ form every tensor is a float DQ output; in QOperator form it is the integer tensor. */
  private get qdq(): boolean {
    return this.spec.format === 'qdq';
  }
  /** QDQ: Q then DQ of a float result; returns the DQ output (named like the float tensor). */
  private requantize(floatOut: string, name: string): string {
    const { s, z } = this.qdqScale(name);
    const q = this.b.node('QuantizeLinear', [floatOut, s, z], {}, { name: `${name}_quantized`, dtype: this.spec.act.dtype, shape: this.shape(name) });
    return this.b.node('DequantizeLinear', [q, s, z], {}, { name, dtype: 'float32', shape: this.shape(name) });
  }
  private weightsDQ(id: string, shape: number[], axis: number): { w: string; scales: number[] } {
    const fw = this.w.get(`${id}_w`, shape.reduce((a, d) => a * d, 1), 1);
    const u8 = this.spec.weightsU8 === true;
    const { q, scales, zps } = quantWeights(fw, shape, axis, this.spec.perChannel, u8);
    const qw = this.b.init(`${id}_w_quantized`, u8 ? 'uint8' : 'int8', shape, q);
    const s = this.b.init(`${id}_w_scale`, 'float32', scales.length === 1 ? [] : [scales.length], scales);
    const z = this.b.init(`${id}_w_zero_point`, u8 ? 'uint8' : 'int8', scales.length === 1 ? [] : [scales.length], zps);
    if (!this.qdq) return { w: `${qw}|${s}|${z}`, scales };
    const w = this.b.node('DequantizeLinear', [qw, s, z], scales.length === 1 ? {} : { axis }, { name: `${id}_w_dequantized`, dtype: 'float32', shape });
    return { w, scales };
  }
  private biasDQ(id: string, n: number, sx: number, scales: number[]): string {
    const fb = this.w.get(`${id}_b`, n, 16);
    const bs = Array.from({ length: n }, (_, c) => Math.fround(sx * scales[scales.length === 1 ? 0 : c]!));
    const q = Array.from(fb, (v, c) => roundEven(v / bs[c]!));
    const qb = this.b.init(`${id}_b_quantized`, 'int32', [n], q);
    if (!this.qdq) return qb;
    const s = this.b.init(`${id}_b_scale`, 'float32', [n], bs);
    const z = this.b.init(`${id}_b_zero_point`, 'int32', [n], new Array<number>(n).fill(0));
    return this.b.node('DequantizeLinear', [qb, s, z], { axis: 0 }, { name: `${id}_b_dequantized`, dtype: 'float32', shape: [n] });
  }
  /** QOperator: the (x, x_scale, x_zero_point) triple of an integer tensor. */
  private triple(x: string): string[] {
    const p = this.params(x);
    const k = this.triples++;
    return [x, this.b.init(`${x}_scale_${k}`, 'float32', [], [p.scale]), this.b.init(`${x}_zero_point_${k}`, this.spec.act.dtype, [], [p.zp])];
  }
  /** A QOperator node: inputs, then y_scale and y_zero_point, then `tail` (QLinearConv's bias). */
  private qop(op: string, ins: string[], attrs: Record<string, AttrValue>, out: string, ms = false, tail: string[] = []): string {
    const p = this.params(out);
    const y = this.b.node(op, [...ins, this.b.init(`${out}_scale`, 'float32', [], [p.scale]), this.b.init(`${out}_zero_point`, this.spec.act.dtype, [], [p.zp]), ...tail], attrs, { name: out, dtype: this.spec.act.dtype, shape: this.shape(out), nodeName: `${op}_${out}` });
    if (ms) this.msNodes.add(`${op}_${out}`);
    return y;
  }
  /** The float result's name after an optional folded Relu (its range decides the quantization). */
  private outName(id: string, relu: boolean | undefined): string {
    return relu ? `${id}_relu` : id;
  }

  conv(x: string, cout: number, k: number, a: { stride?: number; pad?: number; group?: number; relu?: boolean } = {}): string {
    const id = this.id('conv');
    const cin = this.shape(x)[1]! / (a.group ?? 1);
    const out = this.outName(id, a.relu);
    const { w, scales } = this.weightsDQ(id, [cout, cin, k, k], 0);
    const bias = this.biasDQ(id, cout, this.params(x).scale, scales);
    if (this.qdq) {
      const y = this.b.node('Conv', [x, w, bias], this.convAttrs(k, a), { name: `${out}_float`, dtype: 'float32', shape: this.shape(out) });
      return this.requantize(y, out);
    }
    return this.qop('QLinearConv', [...this.triple(x), ...w.split('|')], this.convAttrs(k, a), out, false, [bias]);
  }
  gemm(x: string, n: number, relu = false): string {
    const id = this.id('fc');
    const k = this.shape(x)[1]!;
    const out = this.outName(id, relu);
    const { w, scales } = this.weightsDQ(id, [n, k], 0);
    const bias = this.biasDQ(id, n, this.params(x).scale, scales);
    if (this.qdq) return this.requantize(this.b.node('Gemm', [x, w, bias], { transB: 1 }, { name: `${out}_float`, dtype: 'float32', shape: this.shape(out) }), out);
    // QGemm's inputs: A, a_scale, a_zp, B, b_scale, b_zp, C, y_scale, y_zp.
    return this.qop('QGemm', [...this.triple(x), ...w.split('|'), bias], { transB: 1 }, out, true);
  }
  linear(x: string, n: number): string {
    const id = this.id('lin');
    const s = this.shape(x);
    const k = s[s.length - 1]!;
    const { w } = this.weightsDQ(id, [k, n], 1);
    if (this.qdq) return this.requantize(this.b.node('MatMul', [x, w], {}, { name: `${id}_float`, dtype: 'float32', shape: this.shape(id) }), id);
    return this.qop('QLinearMatMul', [...this.triple(x), ...w.split('|')], {}, id);
  }
  matmul(a: string, b: string): string {
    const id = this.id('mm');
    if (this.qdq) return this.requantize(this.b.node('MatMul', [a, b], {}, { name: `${id}_float`, dtype: 'float32', shape: this.shape(id) }), id);
    return this.qop('QLinearMatMul', [...this.triple(a), ...this.triple(b)], {}, id);
  }
  add(a: string, b: string, relu = false): string {
    const id = this.id('add');
    const out = relu ? `${id}_relu` : id;
    if (this.qdq) return this.requantize(this.b.node('Add', [a, b], {}, { name: `${out}_float`, dtype: 'float32', shape: this.shape(out) }), out);
    return this.qop('QLinearAdd', [...this.triple(a), ...this.triple(b)], {}, out, true);
  }
  mul(a: string, b: string): string {
    const id = this.id('mul');
    if (this.qdq) return this.requantize(this.b.node('Mul', [a, b], {}, { name: `${id}_float`, dtype: 'float32', shape: this.shape(id) }), id);
    return this.qop('QLinearMul', [...this.triple(a), ...this.triple(b)], {}, id, true);
  }
  relu(x: string): string {
    const id = this.id('relu');
    // onnxruntime folds a Relu into the quantization of its input's producer; a standalone one
    // (after a MatMul of two activations) is a requantization to the Relu's range.
    if (this.qdq) return this.requantize(this.b.node('Relu', [x], {}, { name: `${id}_float`, dtype: 'float32', shape: this.shape(id) }), id);
    const q = this.b.node('DequantizeLinear', this.triple(x), {}, { name: `${id}_dq`, dtype: 'float32', shape: this.shape(id) });
    const r = this.b.node('Relu', [q], {}, { name: `${id}_float`, dtype: 'float32', shape: this.shape(id) });
    const p = this.params(id);
    return this.b.node('QuantizeLinear', [r, this.scalar(`${id}_scale`, 'float32', p.scale), this.scalar(`${id}_zero_point`, this.spec.act.dtype, p.zp)], {}, { name: id, dtype: this.spec.act.dtype, shape: this.shape(id) });
  }
  gap(x: string): string {
    const id = this.id('gap');
    if (this.qdq) return this.requantize(this.b.node('GlobalAveragePool', [x], {}, { name: `${id}_float`, dtype: 'float32', shape: this.shape(id) }), id);
    return this.qop('QLinearGlobalAveragePool', this.triple(x), { channels_last: 0 }, id, true);
  }
  avgpool(x: string, k: number, stride: number): string {
    const id = this.id('avgpool');
    const attrs = { kernel_shape: [k, k], strides: [stride, stride] };
    if (this.qdq) return this.requantize(this.b.node('AveragePool', [x], attrs, { name: `${id}_float`, dtype: 'float32', shape: this.shape(id) }), id);
    return this.qop('QLinearAveragePool', this.triple(x), attrs, id, true);
  }
  /** Data movement keeps its input's quantization (onnxruntime's "direct 8-bit" ops). */
  private direct(op: string, x: string, attrs: Record<string, AttrValue>, kind: string): string {
    const id = this.id(kind);
    this.qp.set(id, this.params(x));
    if (this.qdq) return this.requantize(this.b.node(op, [x], attrs, { name: `${id}_float`, dtype: 'float32', shape: this.shape(id) }), id);
    return this.b.node(op, [x], attrs, { name: id, dtype: this.spec.act.dtype, shape: this.shape(id) });
  }
  maxpool(x: string, k: number, stride: number): string {
    return this.direct('MaxPool', x, { kernel_shape: [k, k], strides: [stride, stride] }, 'maxpool');
  }
  flatten(x: string): string {
    return this.direct('Flatten', x, { axis: 1 }, 'flatten');
  }
  transpose(x: string, perm: number[]): string {
    return this.direct('Transpose', x, { perm }, 'transpose');
  }
}

/** Build the float network (for calibration and shapes). */
function floatNetwork(spec: NetworkSpec, w: Weights): { graph: Graph; shapes: Map<string, number[]> } {
  const b = new GraphBuilder(spec.name);
  const shapes = new Map<string, number[]>();
  b.input('input', 'float32', spec.inputShape);
  shapes.set('input', spec.inputShape);
  const ys = spec.body(new FloatOps(b, w, shapes), 'input');
  return { graph: b.output(...ys).build(), shapes };
}

function randomInput(rng: Rng, shape: number[]): Tensor {
  const n = shape.reduce((a, d) => a * d, 1);
  return { name: 'input', dtype: 'float32', shape, data: Float32Array.from({ length: n }, () => normal(rng)) };
}

export function buildQuantNetwork(spec: NetworkSpec, seed: string = QUANT_SEED): QuantNetwork {
  const rng = seedrandom(`${seed}/${spec.name}`);
  const weights = new Weights(rng);
  const { graph: fg, shapes } = floatNetwork(spec, weights);
  // Calibration: min/max of every tensor (input included) over a few inputs.
  const ranges = new Map<string, [number, number]>();
  const widen = (k: string, data: ArrayLike<number>) => {
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < data.length; i++) {
      lo = Math.min(lo, data[i]!);
      hi = Math.max(hi, data[i]!);
    }
    const prev = ranges.get(k);
    ranges.set(k, prev ? [Math.min(prev[0], lo), Math.max(prev[1], hi)] : [lo, hi]);
  };
  for (let i = 0; i < 4; i++) {
    const x = randomInput(rng, spec.inputShape);
    widen('input', x.data as Float32Array);
    for (const [k, v] of execute(fg, [x], { captureActivations: true }).activations!) widen(k, v.data);
  }
  const b = new GraphBuilder(spec.name);
  b.input('input', 'float32', spec.inputShape);
  const ops = new QuantOps(b, weights, shapes, spec, ranges, new Map());
  const p = ops.params('input');
  const s = b.init('input_scale', 'float32', [], [p.scale]);
  const z = b.init('input_zero_point', spec.act.dtype, [], [p.zp]);
  const xq = b.node('QuantizeLinear', ['input', s, z], {}, { name: 'input_quantized', dtype: spec.act.dtype, shape: spec.inputShape });
  const x = spec.format === 'qdq' ? b.node('DequantizeLinear', [xq, s, z], {}, { name: 'input_dq', dtype: 'float32', shape: spec.inputShape }) : xq;
  // The quantized builder names tensors like the float one; the network input is renamed.
  shapes.set(x, spec.inputShape);
  if (x !== 'input') ranges.set(x, ranges.get('input')!);
  ops.params(x);
  const ys = spec.body(ops, x).map((yq, k) => {
    if (spec.format === 'qdq') return yq;
    const op = ops.params(yq);
    const name = k === 0 ? 'output' : `output_${k}`;
    return b.node('DequantizeLinear', [yq, b.init(`${name}_scale`, 'float32', [], [op.scale]), b.init(`${name}_zero_point`, spec.act.dtype, [], [op.zp])], {}, { name, dtype: 'float32', shape: shapes.get(yq)! });
  });
  const graph = b.output(...ys).build();
  for (const n of graph.nodes) if (ops.microsoftNodes.has(n.name)) n.domain = MS;
  graph.opsets = { '': 13, ...(ops.microsoftNodes.size ? { [MS]: 1 } : {}) };
  const inputs = [randomInput(seedrandom(`${seed}/${spec.name}/input`), spec.inputShape)];
  return { name: spec.name, spec, graph, inputs };
}

export function quantNetworks(seed: string = QUANT_SEED): QuantNetwork[] {
  return NETWORK_SPECS.map((s) => buildQuantNetwork(s, seed));
}

/** Write <outDir>/<name>/{network.onnx, inputs.npz}; expected outputs come from the compiler's reference run. */
export function writeQuantNetworks(outDir: string, seed: string = QUANT_SEED): { name: string; dir: string }[] {
  return quantNetworks(seed).map((q) => {
    const dir = join(outDir, q.name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'network.onnx'), writeOnnx(q.graph, { producer: 'deeploy-sim golden/quant-networks' }));
    writeFileSync(join(dir, 'inputs.npz'), formatNpz(q.inputs));
    return { name: q.name, dir };
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const out = process.argv[2];
  if (!out) {
    console.error('usage: node dist/golden/quant-networks.js <outDir> [seed]');
    process.exit(2);
  }
  for (const c of writeQuantNetworks(out, process.argv[3])) console.log(c.dir);
}
