// MatMul, Gemm, Conv, MaxPool, reductions. Integer data accumulates exactly (double holds every
// partial sum below 2^53, checked up front); results outside int32 are reported because the
// C kernels accumulate in int32.
import { InputError } from '../../errors.js';
import { attrInts, attrNumber, broadcastShapes, normAxis, windowOut } from '../../frontend/shapes.js';
import { type OpContext, type OpImpl, type Value, need, size, strides, isFloat, allIntegers, maxAbs, checkInt32, roundTo, floorDiv, SAFE } from '../value.js';
import { stridesFor } from './elementwise.js';

function exactnessCheck(ctx: OpContext, a: Value, b: Value, k: number): void {
  if (maxAbs(a.data) * maxAbs(b.data) * k > SAFE && allIntegers(a.data) && allIntegers(b.data))
    throw new InputError(`node '${ctx.node.name}' (${ctx.node.op}): integer accumulation could exceed 2^53, beyond the reference executor's exact range`);
}

/** Finish an accumulation: integer data -> int32 overflow report; float data -> declared float rounding. */
function finish(ctx: OpContext, data: Float64Array, integer: boolean): void {
  if (integer) checkInt32(ctx, data, 'accumulator');
  else {
    const dt = ctx.out(0).dtype;
    if (isFloat(dt)) for (let i = 0; i < data.length; i++) data[i] = roundTo(dt, data[i]!);
  }
}

/** C[m,n] += A[m,k] B[k,n] over row-major blocks at the given offsets. */
function gemmBlock(A: Float64Array, ao: number, B: Float64Array, bo: number, C: Float64Array, co: number, M: number, K: number, N: number, transA: boolean, transB: boolean): void {
  for (let m = 0; m < M; m++) {
    const crow = co + m * N;
    for (let k = 0; k < K; k++) {
      const a = transA ? A[ao + k * M + m]! : A[ao + m * K + k]!;
      if (a === 0) continue;
      if (transB) for (let n = 0; n < N; n++) C[crow + n]! += a * B[bo + n * K + k]!;
      else {
        const brow = bo + k * N;
        for (let n = 0; n < N; n++) C[crow + n]! += a * B[brow + n]!;
      }
    }
  }
}

const MatMul: OpImpl = (inputs, ctx) => {
  const a = need(inputs, 0, ctx);
  const b = need(inputs, 1, ctx);
  const aS = a.shape.length === 1 ? [1, a.shape[0]!] : a.shape;
  const bS = b.shape.length === 1 ? [b.shape[0]!, 1] : b.shape;
  const M = aS[aS.length - 2]!;
  const K = aS[aS.length - 1]!;
  const N = bS[bS.length - 1]!;
  if (bS[bS.length - 2] !== K) throw new InputError(`node '${ctx.node.name}' (MatMul): inner dimensions of [${a.shape}] and [${b.shape}] differ`);
  const batch = broadcastShapes(aS.slice(0, -2), bS.slice(0, -2));
  if (!batch) throw new InputError(`node '${ctx.node.name}' (MatMul): batch dimensions of [${a.shape}] and [${b.shape}] do not broadcast`);
  exactnessCheck(ctx, a, b, K);
  const nb = size(batch);
  const out = new Float64Array(nb * M * N);
  const sa = stridesFor(aS.slice(0, -2), batch);
  const sb = stridesFor(bS.slice(0, -2), batch);
  const bstr = strides(batch);
  for (let i = 0; i < nb; i++) {
    let ia = 0;
    let ib = 0;
    for (let d = 0; d < batch.length; d++) {
      const c = Math.floor(i / bstr[d]!) % batch[d]!;
      ia += c * sa[d]!;
      ib += c * sb[d]!;
    }
    gemmBlock(a.data, ia * M * K, b.data, ib * K * N, out, i * M * N, M, K, N, false, false);
  }
  const shape = [...batch, M, N];
  if (a.shape.length === 1) shape.splice(shape.length - 2, 1);
  if (b.shape.length === 1) shape.splice(shape.length - 1, 1);
  finish(ctx, out, allIntegers(a.data) && allIntegers(b.data));
  return [{ dtype: ctx.out(0).dtype, shape, data: out }];
};

/** Gemm: Y = alpha * op(A) op(B) + beta * C; leading batch dimensions of A (and B) are allowed. */
const Gemm: OpImpl = (inputs, ctx) => {
  const a = need(inputs, 0, ctx);
  const b = need(inputs, 1, ctx);
  const c = inputs[2];
  const n = ctx.node;
  const alpha = attrNumber(n, 'alpha', 1);
  const beta = attrNumber(n, 'beta', 1);
  const tA = attrNumber(n, 'transA', 0) === 1;
  const tB = attrNumber(n, 'transB', 0) === 1;
  const ar = a.shape.length;
  const br = b.shape.length;
  const M = tA ? a.shape[ar - 1]! : a.shape[ar - 2]!;
  const K = tA ? a.shape[ar - 2]! : a.shape[ar - 1]!;
  const N = tB ? b.shape[br - 2]! : b.shape[br - 1]!;
  if ((tB ? b.shape[br - 1] : b.shape[br - 2]) !== K) throw new InputError(`node '${n.name}' (Gemm): inner dimensions of [${a.shape}] and [${b.shape}] differ`);
  exactnessCheck(ctx, a, b, K * Math.abs(alpha));
  const batchShape = a.shape.slice(0, -2);
  const nb = size(batchShape);
  const bBatched = br > 2;
  const out = new Float64Array(nb * M * N);
  for (let i = 0; i < nb; i++) gemmBlock(a.data, i * M * K, b.data, bBatched ? i * K * N : 0, out, i * M * N, M, K, N, tA, tB);
  if (alpha !== 1) for (let i = 0; i < out.length; i++) out[i] = alpha * out[i]!;
  const shape = [...batchShape, M, N];
  if (c && beta !== 0) {
    const cs = stridesFor(c.shape, shape);
    const os = strides(shape);
    for (let i = 0; i < out.length; i++) {
      let ci = 0;
      for (let d = 0; d < shape.length; d++) ci += (Math.floor(i / os[d]!) % shape[d]!) * cs[d]!;
      out[i]! += beta * c.data[ci]!;
    }
  }
  finish(ctx, out, allIntegers(a.data) && allIntegers(b.data) && (!c || allIntegers(c.data)) && Number.isInteger(alpha) && Number.isInteger(beta));
  return [{ dtype: ctx.out(0).dtype, shape, data: out }];
};

interface Window {
  k: number[];
  st: number[];
  dl: number[];
  pb: number[];
  pe: number[];
}

function windowAttrs(ctx: OpContext, spatial: number, kernelFromW?: number[]): Window {
  const n = ctx.node;
  const k = attrInts(n, 'kernel_shape') ?? kernelFromW;
  if (!k) throw new InputError(`node '${n.name}' (${n.op}): no kernel_shape`);
  const ap = typeof n.attrs.auto_pad === 'string' ? n.attrs.auto_pad : 'NOTSET';
  if (ap !== 'NOTSET' && ap !== 'VALID') throw new InputError(`node '${n.name}' (${n.op}): auto_pad '${ap}' is not supported (give explicit pads)`);
  const pads = attrInts(n, 'pads') ?? new Array<number>(2 * spatial).fill(0);
  return {
    k,
    st: attrInts(n, 'strides') ?? new Array<number>(spatial).fill(1),
    dl: attrInts(n, 'dilations') ?? new Array<number>(spatial).fill(1),
    pb: pads.slice(0, spatial),
    pe: pads.slice(spatial),
  };
}

/** 1D and 2D work on the same 2D loops with a height of 1. */
function as2d(shape: readonly number[]): number[] {
  return shape.length === 3 ? [shape[0]!, shape[1]!, 1, shape[2]!] : shape.slice();
}
function w2d(w: Window): Window {
  return w.k.length === 1 ? { k: [1, w.k[0]!], st: [1, w.st[0]!], dl: [1, w.dl[0]!], pb: [0, w.pb[0]!], pe: [0, w.pe[0]!] } : w;
}

const Conv: OpImpl = (inputs, ctx) => {
  const x = need(inputs, 0, ctx);
  const w = need(inputs, 1, ctx);
  const bias = inputs[2];
  const n = ctx.node;
  const spatial = x.shape.length - 2;
  if (spatial < 1 || spatial > 2) throw new InputError(`node '${n.name}' (Conv): ${spatial}D convolution is not supported (1D and 2D are)`);
  const group = attrNumber(n, 'group', 1);
  const win = windowAttrs(ctx, spatial, w.shape.slice(2));
  const W = w2d(win);
  const [B, C, H, Wd] = as2d(x.shape) as [number, number, number, number];
  const [F, Cg, KH, KW] = as2d(w.shape) as [number, number, number, number];
  if (Cg * group !== C || F % group !== 0) throw new InputError(`node '${n.name}' (Conv): weight [${w.shape}] with group ${group} does not fit input [${x.shape}]`);
  const OH = windowOut(H, KH, W.st[0]!, W.dl[0]!, W.pb[0]!, W.pe[0]!);
  const OW = windowOut(Wd, KW, W.st[1]!, W.dl[1]!, W.pb[1]!, W.pe[1]!);
  exactnessCheck(ctx, x, w, Cg * KH * KW);
  const Fg = F / group;
  const out = new Float64Array(B * F * OH * OW);
  const xd = x.data;
  const wd = w.data;
  for (let b = 0; b < B; b++)
    for (let f = 0; f < F; f++) {
      const g = Math.floor(f / Fg);
      const bv = bias ? bias.data[f]! : 0;
      for (let oh = 0; oh < OH; oh++)
        for (let ow = 0; ow < OW; ow++) {
          let acc = 0;
          for (let c = 0; c < Cg; c++) {
            const xc = ((b * C + g * Cg + c) * H) * Wd;
            const wc = ((f * Cg + c) * KH) * KW;
            for (let kh = 0; kh < KH; kh++) {
              const ih = oh * W.st[0]! - W.pb[0]! + kh * W.dl[0]!;
              if (ih < 0 || ih >= H) continue;
              for (let kw = 0; kw < KW; kw++) {
                const iw = ow * W.st[1]! - W.pb[1]! + kw * W.dl[1]!;
                if (iw < 0 || iw >= Wd) continue;
                acc += xd[xc + ih * Wd + iw]! * wd[wc + kh * KW + kw]!;
              }
            }
          }
          out[((b * F + f) * OH + oh) * OW + ow] = acc + bv;
        }
    }
  const shape = spatial === 1 ? [B, F, OW] : [B, F, OH, OW];
  finish(ctx, out, allIntegers(xd) && allIntegers(wd) && (!bias || allIntegers(bias.data)));
  return [{ dtype: ctx.out(0).dtype, shape, data: out }];
};

const MaxPool: OpImpl = (inputs, ctx) => {
  const x = need(inputs, 0, ctx);
  const n = ctx.node;
  const spatial = x.shape.length - 2;
  if (spatial < 1 || spatial > 2) throw new InputError(`node '${n.name}' (MaxPool): ${spatial}D pooling is not supported (1D and 2D are)`);
  const W = w2d(windowAttrs(ctx, spatial));
  const ceil = attrNumber(n, 'ceil_mode', 0) === 1;
  const [B, C, H, Wd] = as2d(x.shape) as [number, number, number, number];
  const [KH, KW] = W.k as [number, number];
  const OH = windowOut(H, KH, W.st[0]!, W.dl[0]!, W.pb[0]!, W.pe[0]!, ceil);
  const OW = windowOut(Wd, KW, W.st[1]!, W.dl[1]!, W.pb[1]!, W.pe[1]!, ceil);
  const out = new Float64Array(B * C * OH * OW);
  for (let bc = 0; bc < B * C; bc++)
    for (let oh = 0; oh < OH; oh++)
      for (let ow = 0; ow < OW; ow++) {
        let m = -Infinity;
        for (let kh = 0; kh < KH; kh++) {
          const ih = oh * W.st[0]! - W.pb[0]! + kh * W.dl[0]!;
          if (ih < 0 || ih >= H) continue;
          for (let kw = 0; kw < KW; kw++) {
            const iw = ow * W.st[1]! - W.pb[1]! + kw * W.dl[1]!;
            if (iw < 0 || iw >= Wd) continue;
            const v = x.data[(bc * H + ih) * Wd + iw]!;
            if (v > m) m = v;
          }
        }
        out[(bc * OH + oh) * OW + ow] = m;
      }
  return [{ dtype: ctx.out(0).dtype, shape: spatial === 1 ? [B, C, OW] : [B, C, OH, OW], data: out }];
};

function reduce(kind: 'sum' | 'mean'): OpImpl {
  return (inputs, ctx) => {
    const x = need(inputs, 0, ctx);
    const n = ctx.node;
    const rank = x.shape.length;
    const axesIn = attrInts(n, 'axes') ?? (inputs[1] ? Array.from(inputs[1].data) : undefined);
    const noop = attrNumber(n, 'noop_with_empty_axes', 0) === 1;
    if ((!axesIn || axesIn.length === 0) && noop) return [{ ...x, dtype: ctx.out(0).dtype }];
    const axes = (axesIn && axesIn.length ? axesIn : x.shape.map((_, i) => i)).map((a) => normAxis(a, rank));
    const keep = attrNumber(n, 'keepdims', 1) === 1;
    const kept = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
    const count = axes.reduce((p, a) => p * x.shape[a]!, 1);
    const out = new Float64Array(size(kept));
    const ks = stridesFor(kept, x.shape); // each input element's output slot
    const is = strides(x.shape);
    for (let i = 0; i < x.data.length; i++) {
      let o = 0;
      for (let d = 0; d < rank; d++) o += (Math.floor(i / is[d]!) % x.shape[d]!) * ks[d]!;
      out[o]! += x.data[i]!;
    }
    const integer = allIntegers(x.data);
    const dt = ctx.out(0).dtype;
    if (kind === 'mean')
      for (let i = 0; i < out.length; i++)
        // Integer mean rounds half up: floor(sum / N + 1/2) (matches Kernels/Integer/ReduceMean).
        out[i] = integer ? floorDiv(2 * out[i]! + count, 2 * count) : roundTo(dt, out[i]! / count);
    else if (!integer) for (let i = 0; i < out.length; i++) out[i] = roundTo(dt, out[i]!);
    const shape = keep ? kept : x.shape.filter((_, i) => !axes.includes(i));
    return [{ dtype: dt, shape, data: out }];
  };
}

export const LINALG_OPS: Record<string, OpImpl> = {
  MatMul,
  Gemm,
  Conv,
  MaxPool,
  ReduceMean: reduce('mean'),
  ReduceSum: reduce('sum'),
};
