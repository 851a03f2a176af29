// Which layers N-EUREKA can run, and what it runs them as (issue 11): a requantised pointwise,
// 3x3 or 3x3 depthwise conv, or a requantised GEMM / MatMul with constant weights as a 1x1 conv
// whose pixels are the matrix rows. `analyseNpuLayer` gives the job geometry with the weights
// packed and the RequantShift folded (fold.ts), or the reason the layer stays on the cluster.
import type { DType, Tensor } from '../../frontend/ir.js';
import { packWeights, type PackedWeights } from '../../../npu-model/pack.js';
import type { NpuMode } from '../../../npu-model/regs.js';
import type { BoundNode } from '../bind.js';
import { intValues, requantStrides, type Requant } from '../ops/common.js';
import type { ConvParams as ConvLike, GemmParams as GemmLike } from '../ops/linear.js';
import type { Range } from '../registry.js';
import { foldRequant, weightEncoding, type Folded } from './fold.js';

export interface NpuLayer {
  layer: string;
  /** eltwise: a standalone per-tensor RequantShift as a depthwise job whose only tap is the centre */
  kind: 'conv' | 'gemm' | 'eltwise';
  mode: NpuMode;
  /** input / output channels of the job (gemm: K / N) */
  ki: number;
  ko: number;
  /** conv geometry (gemm: rows = H, W = OW = 1) */
  N: number;
  H: number;
  W: number;
  OH: number;
  OW: number;
  stride: 1 | 2;
  fs: 1 | 3;
  padT: number;
  padL: number;
  inSigned: boolean;
  xType: DType;
  yType: DType;
  folded: Folded;
  packed: PackedWeights;
  qw: number;
  /** bytes between output channels' weights (0 for depthwise) and per 28-channel group (depthwise) */
  wD1: number;
  wMajor: number;
  /** conv: the input / output stays in the NPU's pixel-major layout (HWC) between NPU layers
   *  (layout.ts); false: channel-major (NCHW), transposed around the job */
  hwcIn: boolean;
  hwcOut: boolean;
}

export type Analysis = { ok: true; layer: NpuLayer } | { ok: false; reason: string };

const NPU_OPS = new Set(['RQConv', 'RQGemm', 'RQMatMul', 'RequantShift']);
/** Channels per pixel of an elementwise job: one depthwise channel subtile. */
export const ELTWISE_CHANNELS = 28;
const MAX_PAD = 15;

/** Per output channel values of a requant vector, or undefined when it varies along other axes. */
function perChannel(t: Tensor, outShape: number[], axis: number): number[] | undefined {
  const s = requantStrides(t.shape, outShape);
  if (!s) return undefined;
  if (s.some((x, d) => d !== axis && x !== 0 && outShape[d]! > 1)) return undefined;
  const v = intValues(t);
  return Array.from({ length: outShape[axis]! }, (_, c) => v[c * s[axis]!]!);
}

const is8 = (d: DType | undefined) => d === 'int8' || d === 'uint8';

/** The NPU form of a bound layer, or why it has none. */
export function analyseNpuLayer(b: BoundNode, ranges: Map<string, Range>): Analysis {
  const op = b.node.op;
  if (!NPU_OPS.has(op)) return { ok: false, reason: `${op} is not a requantised conv, GEMM or MatMul` };
  const x = b.types.inputs[0];
  const y = b.types.outputs[0];
  if (!is8(x)) return { ok: false, reason: `input type ${x ?? 'constant'}: the NPU reads 8-bit activations` };
  if (!is8(y)) return { ok: false, reason: `output type ${y}: the NPU writes 8-bit requantised outputs here` };
  const xr = ranges.get(b.node.inputs[0]!) ?? (x === 'int8' ? { lo: -128, hi: 127 } : { lo: 0, hi: 255 });
  if (op === 'RequantShift') return analyseRequant(b.params as { layer: string; shape: number[]; rq: Requant }, x!, y!, xr);
  return op === 'RQConv' ? analyseConv(b.params as ConvLike, x!, y!, xr) : analyseGemm(b.params as GemmLike, x!, y!, xr);
}

function accRanges(w: number[], ko: number, per: number, xr: Range): [number, number][] {
  const out: [number, number][] = [];
  for (let k = 0; k < ko; k++) {
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < per; i++) {
      const v = w[k * per + i]!;
      lo += Math.min(v * xr.lo, v * xr.hi, 0);
      hi += Math.max(v * xr.lo, v * xr.hi, 0);
    }
    out.push([lo, hi]);
  }
  return out;
}

function finish(
  base: Omit<NpuLayer, 'folded' | 'packed' | 'qw' | 'wD1' | 'wMajor' | 'hwcIn' | 'hwcOut'>,
  rq: Requant | undefined,
  outShape: number[],
  axis: number,
  logical: number[],
  per: number,
  convBias: number[] | undefined,
  xr: Range,
): Analysis {
  if (!rq) return { ok: false, reason: 'no fused RequantShift (the NPU writes requantised 8-bit outputs here)' };
  const mul = perChannel(rq.mul, outShape, axis);
  const add = perChannel(rq.add, outShape, axis);
  if (!mul || !add) return { ok: false, reason: `requant mul/add vary along more than the output channels (shapes [${rq.mul.shape}], [${rq.add.shape}])` };
  const dw = base.mode === 'dw3x3';
  const acc = accRanges(logical, base.ko, per, xr);
  const bound = acc.reduce((m, [lo, hi]) => Math.max(m, -lo, hi), 0) + Math.max(0, ...(convBias ?? []).map(Math.abs));
  if (bound >= 2 ** 31) return { ok: false, reason: `the accumulator can reach ${bound}, beyond int32` };
  const folded = foldRequant({ mul, add, convBias, log2d: rq.log2d, lo: rq.lo, hi: rq.hi, accRange: acc.map(([lo, hi], c) => [lo + (convBias?.[c] ?? 0), hi + (convBias?.[c] ?? 0)]) });
  if ('reason' in folded) return { ok: false, reason: folded.reason };
  if (folded.scale.some((s) => s > 2147483647)) return { ok: false, reason: 'a scale above 2^31-1 (kept as int32 constants)' };
  // channels with a negative mul run on negated weights (acc' = -acc, scale |mul|)
  const w = logical.map((v, i) => (folded.negate[Math.floor(i / per)] ? -v : v));
  const enc = weightEncoding(w);
  if (!enc) return { ok: false, reason: 'the weights (negated where mul < 0) span more than 8 bits under one layer-wise offset' };
  const packed = packWeights(base.mode, enc.qw, base.ko, base.ki, w, enc.offset);
  const wD1 = packed.strides[1];
  return { ok: true, layer: { ...base, folded, packed, qw: enc.qw, wD1, wMajor: dw ? enc.qw * 32 : 0, hwcIn: false, hwcOut: false } };
}

function analyseConv(p: ConvLike, x: DType, y: DType, xr: Range): Analysis {
  if (p.dils[0] !== 1 || p.dils[1] !== 1) return { ok: false, reason: `dilation ${p.dils.join('x')} (the NPU convolves without dilation)` };
  const pw = p.KH === 1 && p.KW === 1;
  const k3 = p.KH === 3 && p.KW === 3;
  if (!pw && !k3) return { ok: false, reason: `kernel ${p.KH}x${p.KW} (the NPU takes 1x1 and 3x3)` };
  const dw = k3 && p.group === p.C && p.group === p.K && p.group > 1;
  if (p.group !== 1 && !dw) return { ok: false, reason: `group ${p.group} (the NPU takes dense or depthwise convs)` };
  const [sh, sw] = p.strides;
  if (sh !== sw || (sh !== 1 && sh !== 2)) return { ok: false, reason: `stride ${sh}x${sw} (the NPU takes 1x1 or, in 3x3 modes, 2x2)` };
  if (pw && sh !== 1) return { ok: false, reason: 'a strided 1x1 conv (the NPU strides only 3x3 modes)' };
  const padB = (p.OH - 1) * sh + p.KH - p.H - p.padT;
  const padR = (p.OW - 1) * sw + p.KW - p.W - p.padL;
  if (Math.max(p.padT, p.padL, padB, padR) > MAX_PAD) return { ok: false, reason: `padding above ${MAX_PAD} (the NPU's PADDING fields are 4 bits)` };
  const mode: NpuMode = pw ? 'conv1x1' : dw ? 'dw3x3' : 'conv3x3';
  const taps = p.KH * p.KW;
  const wv = intValues(p.w); // [K, C/g, KH, KW]: for dense modes the packer's (ko*ki + c)*taps + tap; depthwise c*9 + tap
  const per = dw ? taps : p.C * taps;
  const convBias = p.bias ? intValues(p.bias) : undefined;
  return finish(
    { layer: p.layer, kind: 'conv', mode, ki: p.C, ko: p.K, N: p.N, H: p.H, W: p.W, OH: p.OH, OW: p.OW, stride: sh as 1 | 2, fs: pw ? 1 : 3, padT: p.padT, padL: p.padL, inSigned: x === 'int8', xType: x, yType: y },
    p.rq,
    p.outShape,
    1,
    wv,
    per,
    convBias,
    xr,
  );
}

function analyseGemm(p: GemmLike, x: DType, y: DType, xr: Range): Analysis {
  if (!p.bConst || p.aConst) return { ok: false, reason: 'the weights (B) are not a constant' };
  if (p.transA) return { ok: false, reason: 'transposed A (the NPU reads rows of A as pixels)' };
  const nb = p.batch[0] * p.batch[1];
  if (nb > 1 && (p.bBs[0] !== 0 || p.bBs[1] !== 0)) return { ok: false, reason: 'B differs per batch (one weight set per job)' };
  if (nb > 1 && (p.aBs[1] !== p.M * p.K || p.aBs[0] !== p.batch[1] * p.M * p.K)) return { ok: false, reason: 'A batches are not dense rows' };
  const rows = nb * p.M;
  const bv = intValues(p.bConst);
  // logical 1x1 weights w[n * K + k] = B[k][n] (B: K x N, or N x K with transB), first matrix
  const w = new Array<number>(p.N * p.K);
  for (let n = 0; n < p.N; n++) for (let k = 0; k < p.K; k++) w[n * p.K + k] = (p.transB ? bv[n * p.K + k]! : bv[k * p.N + n]!) * p.alpha;
  let convBias: number[] | undefined;
  if (p.bias) {
    const c = perChannel(p.bias, p.outShape, p.outShape.length - 1);
    if (!c) return { ok: false, reason: `the bias of shape [${p.bias.shape}] varies along the rows` };
    convBias = c.map((v) => v * p.beta);
  }
  return finish(
    { layer: p.layer, kind: 'gemm', mode: 'conv1x1', ki: p.K, ko: p.N, N: 1, H: rows, W: 1, OH: rows, OW: 1, stride: 1, fs: 1, padT: 0, padL: 0, inSigned: x === 'int8', xType: x, yType: y },
    p.rq,
    p.outShape,
    p.outShape.length - 1,
    w,
    p.K,
    convBias,
    xr,
  );
}

/**
 * A standalone RequantShift with one mul and one add (microLlama's KV-cache requantisations): the
 * tensor's bytes as pixels of 28 channels (HWC is any factorisation of a flat array), a depthwise
 * 3x3 job whose only non-zero tap is the centre (weight 1, or -1 for a negative mul) with one pixel
 * of padding all round, so acc = x and normquant does the requantisation.
 */
function analyseRequant(p: { layer: string; shape: number[]; rq: Requant }, x: DType, y: DType, xr: Range): Analysis {
  const n = p.shape.reduce((a, d) => a * d, 1);
  if (p.rq.mul.shape.reduce((a, d) => a * d, 1) !== 1 || p.rq.add.shape.reduce((a, d) => a * d, 1) !== 1)
    return { ok: false, reason: 'requant mul/add are not single values (the elementwise NPU job takes one scale for all)' };
  const c = Math.min(ELTWISE_CHANNELS, n);
  const rq: Requant = { ...p.rq, mul: { ...p.rq.mul, shape: [c], data: Float64Array.from({ length: c }, () => intValues(p.rq.mul)[0]!) }, add: { ...p.rq.add, shape: [c], data: Float64Array.from({ length: c }, () => intValues(p.rq.add)[0]!) } };
  const w = Array.from({ length: c * 9 }, (_, i) => (i % 9 === 4 ? 1 : 0));
  return finish(
    { layer: p.layer, kind: 'eltwise', mode: 'dw3x3', ki: c, ko: c, N: 1, H: n, W: 1, OH: n, OW: 1, stride: 1, fs: 3, padT: 1, padL: 1, inSigned: x === 'int8', xType: x, yType: y },
    rq,
    [1, c],
    1,
    w,
    9,
    undefined,
    xr,
  );
}
