// Post-training quantization of a llama2.c model into ONE integer decoder step: a Graph (IR) in
// the conformance networks' op vocabulary plus Lut and ArgMax. Every scale and formula is listed
// in docs/llm.md ("Quantization"); the names below follow it.
//
// Conventions: an integer tensor t stands for s_t * t (symmetric, zero point 0). Weights are int8
// per output channel; activations are per tensor: int8 between layers, int16 for the residual
// stream, 13-bit for the RMSNorm inputs (so that sum(x^2) fits int32), int16 for attention scores.
import type { AttrValue, DType, Graph, Node, Tensor, TensorInfo } from '../frontend/ir.js';
import { fromNumbers } from '../frontend/dtype.js';
import type { Llama2cModel } from '../frontend/llama2c.js';
import type { Calibration } from './calibrate.js';

const f32 = Math.fround;
/** RoPE cos/sin are Q14 int16. */
const ROPE_ONE = 1 << 14;
/** RMSNorm inputs are 13-bit signed: 64 * 4096^2 = 2^30 keeps sum(x^2) inside int32. */
const NORM_IN_LEVELS = 8192;
const NORM_IN_MAX = NORM_IN_LEVELS / 2 - 1;
/** I-BERT's second-order exp polynomial on [-ln2, 0]: exp(x) ~ a (x + b)^2 + c. */
const IBERT = { a: 0.3585, b: 1.353, c: 0.344 };

export interface StepGraphInfo {
  graph: Graph;
  /** Value the mask state starts with (every slot empty); 0 marks a filled slot. */
  maskFill: number;
  /** Float value of one logit unit (logits output is int16). */
  logitScale: number;
  /** Past positions each K/V state holds (seq_len - 1). */
  window: number;
  nLayers: number;
  /** Scales of every quantized activation, for docs and debugging. */
  scales: Record<string, number>;
}

/** Integer multiplier(s) and shift for y = round(x * m): the largest shift whose int32 intermediate cannot overflow. */
export function requantParams(m: readonly number[], bound: readonly number[]): { mul: number[]; shift: number } {
  for (let k = 30; k >= 1; k--) {
    const mul = m.map((v) => Math.round(v * 2 ** k));
    if (mul.every((q, c) => Math.abs(q) * bound[c]! + 2 ** (k - 1) < 2 ** 31 && Math.abs(q) < 2 ** 31)) return { mul, shift: k };
  }
  throw new Error(`requant multiplier ${Math.max(...m)} too large for inputs up to ${Math.max(...bound)}`);
}

class GraphBuilder {
  readonly nodes: Node[] = [];
  readonly initializers = new Map<string, Tensor>();
  readonly values = new Map<string, TensorInfo>();

  constant(name: string, dtype: DType, shape: number[], data: ArrayLike<number>): string {
    const t: Tensor = { name, dtype, shape, data: fromNumbers(dtype, data) };
    this.initializers.set(name, t);
    this.values.set(name, { name, dtype, shape });
    return name;
  }

  value(name: string, dtype: DType, shape: number[]): TensorInfo {
    const v = { name, dtype, shape };
    this.values.set(name, v);
    return v;
  }

  op(op: string, inputs: string[], out: string, dtype: DType, shape: number[], attrs: Record<string, AttrValue> = {}): string {
    this.nodes.push({ name: out, op, domain: '', inputs, outputs: [out], attrs });
    this.value(out, dtype, shape);
    return out;
  }

  shape(name: string): number[] {
    return this.values.get(name)!.shape;
  }
}

/** A one-element float32 tensor attribute, as Deeploy's files store RequantShift/iSoftmax parameters. */
function fattr(v: number, scalar = false): Tensor {
  return { name: '', dtype: 'float32', shape: scalar ? [] : [1], data: Float32Array.of(v) };
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}

interface QuantMatrix {
  /** [in, out] (transposed for MatMul(x[1,in], W[in,out])). */
  qT: Int8Array;
  scale: number[];
  /** Bound on |accumulator| per output channel for int8 inputs (|x| <= 128). */
  bound: number[];
}

/** llama2.c matrices are [out, in]; quantize per output row, symmetric int8. */
function quantRows(w: Float32Array, off: number, rows: number, cols: number): QuantMatrix {
  const qT = new Int8Array(rows * cols);
  const scale: number[] = [];
  const bound: number[] = [];
  for (let r = 0; r < rows; r++) {
    const row = w.subarray(off + r * cols, off + (r + 1) * cols);
    const s = maxAbs(row) / 127 || 1;
    let sum = 0;
    for (let c = 0; c < cols; c++) {
      const q = Math.max(-127, Math.min(127, Math.round(row[c]! / s)));
      qT[c * rows + r] = q;
      sum += Math.abs(q);
    }
    scale.push(s);
    bound.push(128 * sum);
  }
  return { qT, scale, bound };
}

export function buildStepGraph(model: Llama2cModel, cal: Calibration): StepGraphInfo {
  const { config: c, weights: w } = model;
  const { dim: D, hiddenDim: H, nHeads, nKvHeads, headSize: hs, kvDim, vocabSize: V, seqLen: S, nLayers } = c;
  const kvMul = nHeads / nKvHeads;
  const W = S - 1;
  const g = new GraphBuilder();
  const scales: Record<string, number> = {};
  const amax = (key: string): number => {
    const v = cal.maxAbs.get(key);
    if (v === undefined) throw new Error(`calibration has no range for ${key}`);
    return v;
  };
  const zero = g.constant('zero_i32', 'int32', [], [0]);

  /** RequantShift to `levels` (signed), per-tensor when m has one entry. */
  const rq = (x: string, m: number[], bound: number[], levels: number, out: string, dtype: DType): string => {
    const { mul, shift } = requantParams(m, bound);
    const mulName = g.constant(`${out}.mul`, 'int32', m.length === 1 ? [] : [m.length], mul);
    return g.op('RequantShift', [x, mulName, zero], out, dtype, g.shape(x).slice(), {
      div: fattr(2 ** shift, true),
      n_levels_out: fattr(levels),
      signed: fattr(1),
    });
  };
  const per = (n: number, v: number) => new Array<number>(n).fill(v);
  const int64 = (name: string, v: number[]) => g.constant(name, 'int64', [v.length], v);

  // Residual stream: int16, one scale for all layers (headroom x2 over the calibrated maximum).
  let resMax = 0;
  for (let l = 0; l <= nLayers; l++) resMax = Math.max(resMax, amax(`x_in.${l}`));
  for (let l = 0; l < nLayers; l++) resMax = Math.max(resMax, amax(`resid_attn.${l}`));
  const sR = (2 * resMax) / 32767;
  scales.residual = sR;

  // ---- inputs and state
  const token = g.value('token', 'int64', [1]).name;
  const pos = g.value('pos', 'int64', [1]).name;
  const maskIn = g.value('mask_in', 'int16', [1, 1, W]).name;
  const kIn: string[] = [];
  const vIn: string[] = [];
  for (let l = 0; l < nLayers; l++) {
    kIn.push(g.value(`k_in_${l}`, 'int8', [nKvHeads, hs, W]).name);
    vIn.push(g.value(`v_in_${l}`, 'int8', [nKvHeads, W, hs]).name);
  }

  // ---- embedding: int8 table, per-tensor scale, then into the int16 residual
  const sE = maxAbs(w.tokenEmbedding) / 127;
  scales.embedding = sE;
  const embQ = Array.from(w.tokenEmbedding, (v) => Math.round(v / sE));
  g.constant('tok_embedding', 'int8', [V, D], embQ);
  const emb = g.op('Gather', ['tok_embedding', token], 'embed', 'int8', [1, D], { axis: 0 });
  let x = rq(emb, [sE / sR], [128], 65536, 'x_0', 'int16');

  // ---- RoPE tables (Q14), rows gathered by position once per step
  const cosT: number[] = [];
  const sinT: number[] = [];
  for (let p = 0; p < S; p++)
    for (let j = 0; j < hs; j++) {
      const headDim = j - (j % 2);
      const freq = f32(1 / f32(Math.pow(10000, f32(headDim / hs))));
      const val = f32(p * freq);
      cosT.push(Math.round(f32(Math.cos(val)) * ROPE_ONE));
      sinT.push((j % 2 === 0 ? -1 : 1) * Math.round(f32(Math.sin(val)) * ROPE_ONE));
    }
  g.constant('rope_cos', 'int16', [S, hs], cosT);
  g.constant('rope_sin', 'int16', [S, hs], sinT);
  const cosRow = g.op('Gather', ['rope_cos', pos], 'rope_cos_row', 'int16', [1, hs], { axis: 0 });
  const sinRow = g.op('Gather', ['rope_sin', pos], 'rope_sin_row', 'int16', [1, hs], { axis: 0 });
  const swapIdx = int64('rope_swap', Array.from({ length: hs }, (_, j) => j ^ 1));
  const rope = (v: string, heads: number, sIn: number, sOut: number, out: string): string => {
    const vh = g.op('Reshape', [v, int64(`${out}.shape`, [heads, hs])], `${out}.heads`, 'int8', [heads, hs]);
    const a = g.op('Mul', [vh, cosRow], `${out}.cos`, 'int32', [heads, hs]);
    const sw = g.op('Gather', [vh, swapIdx], `${out}.swap`, 'int8', [heads, hs], { axis: 1 });
    const b = g.op('Mul', [sw, sinRow], `${out}.sin`, 'int32', [heads, hs]);
    const sum = g.op('Add', [a, b], `${out}.sum`, 'int32', [heads, hs]);
    return rq(sum, [sIn / (ROPE_ONE * sOut)], [2 * 128 * ROPE_ONE], 256, out, 'int8');
  };

  // ---- the mask state: W past slots, 0 = filled; the new position is always filled
  const maskAll = g.op('Concat', [maskIn, g.constant('mask_new', 'int16', [1, 1, 1], [0])], 'mask_all', 'int16', [1, 1, S], { axis: 2 });
  const one = int64('slice_start', [1]);
  const end = int64('slice_end', [S]);
  const ax1 = int64('axis_1', [1]);
  const ax2 = int64('axis_2', [2]);
  g.op('Slice', [maskAll, one, end, ax2], 'mask_out', 'int16', [1, 1, W]);

  /** RMSNorm: residual -> 13-bit -> iRMSNorm (int8 out). */
  const norm = (xr: string, inMax: number, gamma: Float32Array, outMax: number, out: string): string => {
    const sIn = inMax / NORM_IN_MAX;
    const sOut = outMax / 127;
    scales[`${out}.in`] = sIn;
    scales[out] = sOut;
    const xin = rq(xr, [sR / sIn], [32768], NORM_IN_LEVELS, `${out}.in`, 'int16');
    // out = ((x * w) / std) >> log2D with x / std ~ x / rms(x): w = gamma * 2^log2D / sOut; keep x*w < 2^31.
    const gmax = maxAbs(gamma) / sOut;
    const log2D = Math.min(30, Math.floor(Math.log2((2 ** 31 - 1) / ((NORM_IN_MAX + 1) * gmax))));
    const wq = Array.from(gamma, (v) => Math.round((v * 2 ** log2D) / sOut));
    g.constant(`${out}.weight`, 'int32', [gamma.length], wq);
    return g.op('iRMSNorm', [xin, `${out}.weight`], out, 'int8', g.shape(xin).slice(), { D: 2 ** log2D, n_levels: 256 });
  };

  /** x[1,in] int8 (scale sX) @ W^T -> int32 -> RequantShift per output channel to (sOut, levels). */
  const linear = (xq: string, sX: number, wm: QuantMatrix, outDim: number, sOut: number, levels: number, out: string, dtype: DType): string => {
    g.constant(`${out}.weight`, 'int8', [g.shape(xq)[1]!, outDim], wm.qT);
    const acc = g.op('MatMul', [xq, `${out}.weight`], `${out}.acc`, 'int32', [1, outDim]);
    return rq(acc, wm.scale.map((s) => (sX * s) / sOut), wm.bound, levels, out, dtype);
  };

  const lnScores: number[] = [];
  const softmaxNodes: Node[] = [];
  for (let l = 0; l < nLayers; l++) {
    const p = `l${l}`;
    // attention
    const sAn = amax(`attn_norm.${l}`) / 127;
    const xn = norm(x, amax(`x_in.${l}`), w.rmsAtt.subarray(l * D, (l + 1) * D), amax(`attn_norm.${l}`), `${p}.attn_norm`);
    const sQ = amax(`q.${l}`) / 127;
    const sK = amax(`k.${l}`) / 127;
    const sV = amax(`v.${l}`) / 127;
    const sQr = amax(`q_rope.${l}`) / 127;
    const sKr = amax(`k_rope.${l}`) / 127;
    Object.assign(scales, { [`${p}.q`]: sQ, [`${p}.k`]: sK, [`${p}.v`]: sV, [`${p}.q_rope`]: sQr, [`${p}.k_rope`]: sKr });
    const q = linear(xn, sAn, quantRows(w.wq, l * D * D, D, D), D, sQ, 256, `${p}.q`, 'int8');
    const k = linear(xn, sAn, quantRows(w.wk, l * kvDim * D, kvDim, D), kvDim, sK, 256, `${p}.k`, 'int8');
    const v = linear(xn, sAn, quantRows(w.wv, l * kvDim * D, kvDim, D), kvDim, sV, 256, `${p}.v`, 'int8');
    const qr = rope(q, nHeads, sQ, sQr, `${p}.q_rope`);
    const kr = rope(k, nKvHeads, sK, sKr, `${p}.k_rope`);
    const qg = g.op('Reshape', [qr, int64(`${p}.q_group.shape`, [nKvHeads, kvMul, hs])], `${p}.q_group`, 'int8', [nKvHeads, kvMul, hs]);
    const kcol = g.op('Reshape', [kr, int64(`${p}.k_col.shape`, [nKvHeads, hs, 1])], `${p}.k_col`, 'int8', [nKvHeads, hs, 1]);
    const kAll = g.op('Concat', [kIn[l]!, kcol], `${p}.k_all`, 'int8', [nKvHeads, hs, S], { axis: 2 });
    g.op('Slice', [kAll, one, end, ax2], `k_out_${l}`, 'int8', [nKvHeads, hs, W]);
    const vrow = g.op('Reshape', [v, int64(`${p}.v_row.shape`, [nKvHeads, 1, hs])], `${p}.v_row`, 'int8', [nKvHeads, 1, hs]);
    const vAll = g.op('Concat', [vIn[l]!, vrow], `${p}.v_all`, 'int8', [nKvHeads, S, hs], { axis: 1 });
    g.op('Slice', [vAll, one, end, ax1], `v_out_${l}`, 'int8', [nKvHeads, W, hs]);

    // scores in units of ln2/L (L steps per halving), int16; masked slots add the mask value
    const maxScore = amax(`scores.${l}`);
    const L = Math.max(8, Math.min(1024, Math.floor((32767 * Math.LN2) / (1.25 * maxScore))));
    lnScores.push(L);
    const sS = Math.LN2 / L;
    scales[`${p}.scores`] = sS;
    const sc = g.op('MatMul', [qg, kAll], `${p}.scores.acc`, 'int32', [nKvHeads, kvMul, S]);
    const sc16 = rq(sc, [(sQr * sKr) / (f32(Math.sqrt(hs)) * sS)], [128 * 128 * hs], 65536, `${p}.scores`, 'int16');
    const masked = g.op('Add', [sc16, maskAll], `${p}.scores_masked`, 'int32', [nKvHeads, kvMul, S]);
    const B = Math.round(IBERT.b / sS);
    const C = Math.round(IBERT.c / (IBERT.a * sS * sS));
    const probs = g.op('iSoftmax', [masked], `${p}.probs`, 'uint8', [nKvHeads, kvMul, S], {
      coeffA: fattr(1),
      coeffB: fattr(B),
      coeffC: fattr(C),
      log2: fattr(L),
      n_levels: fattr(256),
    });
    softmaxNodes.push(g.nodes[g.nodes.length - 1]!);
    const av = g.op('MatMul', [probs, vAll], `${p}.attn.acc`, 'int32', [nKvHeads, kvMul, hs]);
    const sAo = amax(`attn_out.${l}`) / 127;
    scales[`${p}.attn`] = sAo;
    const ao = rq(av, [sV / (255 * sAo)], [255 * 128], 256, `${p}.attn`, 'int8');
    const aoFlat = g.op('Reshape', [ao, int64(`${p}.attn_flat.shape`, [1, D])], `${p}.attn_flat`, 'int8', [1, D]);
    const o = linear(aoFlat, sAo, quantRows(w.wo, l * D * D, D, D), D, sR, 65536, `${p}.o_proj`, 'int16');
    const sum1 = g.op('Add', [x, o], `${p}.resid_attn.sum`, 'int32', [1, D]);
    x = rq(sum1, [1], [65536], 65536, `${p}.resid_attn`, 'int16');

    // SwiGLU FFN
    const sFn = amax(`ffn_norm.${l}`) / 127;
    const xf = norm(x, amax(`resid_attn.${l}`), w.rmsFfn.subarray(l * D, (l + 1) * D), amax(`ffn_norm.${l}`), `${p}.ffn_norm`);
    const sH1 = amax(`w1.${l}`) / 127;
    const sH3 = amax(`w3.${l}`) / 127;
    const h1 = linear(xf, sFn, quantRows(w.w1, l * H * D, H, D), H, sH1, 256, `${p}.w1`, 'int8');
    const h3 = linear(xf, sFn, quantRows(w.w3, l * H * D, H, D), H, sH3, 256, `${p}.w3`, 'int8');
    const silu = (t: number) => t / (1 + Math.exp(-t));
    let siluMax = 0;
    for (let i = -128; i < 128; i++) siluMax = Math.max(siluMax, Math.abs(silu(i * sH1)));
    const sSi = siluMax / 127;
    const table = Array.from({ length: 256 }, (_, i) => Math.max(-128, Math.min(127, Math.round(silu((i - 128) * sH1) / sSi))));
    g.constant(`${p}.silu.table`, 'int8', [256], table);
    const si = g.op('Lut', [h1, `${p}.silu.table`], `${p}.silu`, 'int8', [1, H]);
    const prod = g.op('Mul', [si, h3], `${p}.gated.prod`, 'int32', [1, H]);
    const sG = amax(`gated.${l}`) / 127;
    Object.assign(scales, { [`${p}.w1`]: sH1, [`${p}.w3`]: sH3, [`${p}.silu`]: sSi, [`${p}.gated`]: sG });
    const gq = rq(prod, [(sSi * sH3) / sG], [128 * 128], 256, `${p}.gated`, 'int8');
    const f = linear(gq, sG, quantRows(w.w2, l * D * H, D, H), D, sR, 65536, `${p}.ffn_out`, 'int16');
    const sum2 = g.op('Add', [x, f], `${p}.resid_ffn.sum`, 'int32', [1, D]);
    x = rq(sum2, [1], [65536], 65536, `${p}.resid_ffn`, 'int16');
  }

  // ---- final norm, classifier (per-row int8), int16 logits, argmax
  const sF = amax('final_norm.0') / 127;
  const xf = norm(x, amax(`x_in.${nLayers}`), w.rmsFinal, amax('final_norm.0'), 'final_norm');
  const sLogit = (1.25 * amax('logits.0')) / 32767;
  scales.logits = sLogit;
  const logits = linear(xf, sF, quantRows(w.wcls, 0, V, D), V, sLogit, 65536, 'logits', 'int16');
  const next = g.op('ArgMax', [logits], 'next_token', 'int64', [1], { axis: 1, keepdims: 0, select_last_index: 0 });

  const maskFill = chooseMaskFill(cal, lnScores, softmaxNodes, scales);

  const graph: Graph = {
    name: 'tinystories_decoder_step',
    nodes: g.nodes,
    inputs: [token, pos, maskIn, ...kIn.flatMap((k, l) => [k, vIn[l]!])].map((n) => g.values.get(n)!),
    outputs: [next, logits, 'mask_out', ...Array.from({ length: nLayers }, (_, l) => [`k_out_${l}`, `v_out_${l}`]).flat()].map((n) => g.values.get(n)!),
    initializers: g.initializers,
    values: g.values,
  };
  return { graph, maskFill, logitScale: sLogit, window: W, nLayers, scales };
}

/**
 * The mask value q makes an empty slot's score (0, its K is zero) q. Its iSoftmax term must be
 * exactly 0 in every layer: with x~ = q - rowmax, either z = -x~/L < 31 and y < 2^z, or z clamps
 * at 31 and the polynomial at p = x~ + 31L still stays below 2^31. Real row maxima range from the
 * calibrated minimum (with 2x margin) up to the int16 top.
 */
function chooseMaskFill(cal: Calibration, ls: number[], nodes: Node[], scales: Record<string, number>): number {
  let hi = 0;
  let lo = -32768;
  ls.forEach((L, l) => {
    const sS = Math.LN2 / L;
    const attr = (k: string) => Number((nodes[l]!.attrs[k] as Tensor).data[0]);
    const B = attr('coeffB');
    const C = attr('coeffC');
    const yMax = B * B + C;
    const z0 = Math.ceil(Math.log2(yMax + 1));
    const rowMin = Math.min(0, 2 * (cal.minRowMax.get(`scores_rowmax.${l}`) ?? 0)) / sS;
    hi = Math.min(hi, Math.floor(rowMin) - z0 * L);
    // q - 32767 + 31L + B > -sqrt(2^31 - C)
    lo = Math.max(lo, Math.ceil(-Math.sqrt(2 ** 31 - 1 - C) + 32767 - 31 * L - B) + 1);
    scales[`l${l}.scores.L`] = L;
  });
  if (lo > hi) throw new Error(`no exact attention mask value: needs ${lo} <= q <= ${hi}`);
  return Math.round((lo + hi) / 2);
}
