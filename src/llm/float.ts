// The float reference forward pass: bit-exact with llama2.c's run.c `forward` (gcc -O3, no
// -ffast-math, x86-64 without FMA). Every float op is done in double and rounded with Math.fround,
// which for + - * / sqrt gives exactly the float32 result (double has > 2*24+2 bits). expf, powf,
// cosf, sinf are computed in double and rounded: the correctly rounded float, which glibc's float
// functions also return for the values this model meets (the greedy story test checks it).
// Operation order follows run.c line by line; do not "simplify" an expression here.
import type { Llama2cModel } from '../frontend/llama2c.js';

const f = Math.fround;

export interface StepEngine {
  readonly vocabSize: number;
  readonly seqLen: number;
  /** Runs one token at position pos (0-based, positions must come in order) and returns the logits. */
  step(token: number, pos: number): Float32Array;
  /** Forget the KV cache (a new sequence starts at pos 0). */
  reset(): void;
}

/** Optional taps for calibration: called with each named activation of each layer (float values). */
export type ActivationTap = (name: string, layer: number, values: Float32Array) => void;

export class FloatModel implements StepEngine {
  readonly vocabSize: number;
  readonly seqLen: number;
  private readonly x: Float32Array;
  private readonly xb: Float32Array;
  private readonly xb2: Float32Array;
  private readonly hb: Float32Array;
  private readonly hb2: Float32Array;
  private readonly q: Float32Array;
  private readonly k: Float32Array;
  private readonly v: Float32Array;
  private readonly att: Float32Array;
  private readonly logits: Float32Array;
  private readonly silu: Float32Array;
  private readonly keyCache: Float32Array;
  private readonly valueCache: Float32Array;
  tap: ActivationTap | undefined;

  constructor(readonly model: Llama2cModel) {
    const c = model.config;
    this.vocabSize = c.vocabSize;
    this.seqLen = c.seqLen;
    this.x = new Float32Array(c.dim);
    this.xb = new Float32Array(c.dim);
    this.xb2 = new Float32Array(c.dim);
    this.hb = new Float32Array(c.hiddenDim);
    this.hb2 = new Float32Array(c.hiddenDim);
    this.silu = new Float32Array(c.hiddenDim);
    this.q = new Float32Array(c.dim);
    this.k = new Float32Array(c.kvDim);
    this.v = new Float32Array(c.kvDim);
    this.att = new Float32Array(c.nHeads * c.seqLen);
    this.logits = new Float32Array(c.vocabSize);
    this.keyCache = new Float32Array(c.nLayers * c.seqLen * c.kvDim);
    this.valueCache = new Float32Array(c.nLayers * c.seqLen * c.kvDim);
  }

  reset(): void {
    this.keyCache.fill(0);
    this.valueCache.fill(0);
  }

  step(token: number, pos: number): Float32Array {
    const { config: c, weights: w } = this.model;
    const { dim, hiddenDim, kvDim, headSize, seqLen } = c;
    const kvMul = c.nHeads / c.nKvHeads;
    const { x, xb, xb2, hb, hb2, q, k, v, att, keyCache, valueCache } = this;
    const tap = this.tap;
    x.set(w.tokenEmbedding.subarray(token * dim, (token + 1) * dim));
    const sqrtHead = f(Math.sqrt(headSize));

    for (let l = 0; l < c.nLayers; l++) {
      tap?.('x_in', l, x);
      rmsnorm(xb, x, w.rmsAtt.subarray(l * dim, (l + 1) * dim));
      tap?.('attn_norm', l, xb);
      matmul(q, xb, w.wq, l * dim * dim, dim, dim);
      matmul(k, xb, w.wk, l * kvDim * dim, dim, kvDim);
      matmul(v, xb, w.wv, l * kvDim * dim, dim, kvDim);
      tap?.('q', l, q);
      tap?.('k', l, k);
      tap?.('v', l, v);

      for (let i = 0; i < dim; i += 2) {
        const headDim = i % headSize;
        const freq = f(1 / f(Math.pow(10000, f(headDim / headSize))));
        const val = f(pos * freq);
        const fcr = f(Math.cos(val));
        const fci = f(Math.sin(val));
        const rotn = i < kvDim ? 2 : 1;
        for (let r = 0; r < rotn; r++) {
          const vec = r === 0 ? q : k;
          const v0 = vec[i]!;
          const v1 = vec[i + 1]!;
          vec[i] = f(v0 * fcr) - f(v1 * fci);
          vec[i + 1] = f(v0 * fci) + f(v1 * fcr);
        }
      }
      tap?.('q_rope', l, q);
      tap?.('k_rope', l, k);

      const loff = l * seqLen * kvDim;
      keyCache.set(k, loff + pos * kvDim);
      valueCache.set(v, loff + pos * kvDim);

      for (let h = 0; h < c.nHeads; h++) {
        const qo = h * headSize;
        const ao = h * seqLen;
        const kvo = Math.floor(h / kvMul) * headSize;
        for (let t = 0; t <= pos; t++) {
          const ko = loff + t * kvDim + kvo;
          let score = 0;
          for (let i = 0; i < headSize; i++) score = f(score + f(q[qo + i]! * keyCache[ko + i]!));
          att[ao + t] = f(score / sqrtHead);
        }
        tap?.('scores', l, att.subarray(ao, ao + pos + 1));
        softmax(att, ao, pos + 1);
        xb.fill(0, qo, qo + headSize);
        for (let t = 0; t <= pos; t++) {
          const vo = loff + t * kvDim + kvo;
          const a = att[ao + t]!;
          for (let i = 0; i < headSize; i++) xb[qo + i] = f(xb[qo + i]! + f(a * valueCache[vo + i]!));
        }
      }
      tap?.('attn_out', l, xb);
      matmul(xb2, xb, w.wo, l * dim * dim, dim, dim);
      tap?.('o_proj', l, xb2);
      for (let i = 0; i < dim; i++) x[i] = f(x[i]! + xb2[i]!);
      tap?.('resid_attn', l, x);

      rmsnorm(xb, x, w.rmsFfn.subarray(l * dim, (l + 1) * dim));
      tap?.('ffn_norm', l, xb);
      matmul(hb, xb, w.w1, l * dim * hiddenDim, dim, hiddenDim);
      matmul(hb2, xb, w.w3, l * dim * hiddenDim, dim, hiddenDim);
      tap?.('w1', l, hb);
      tap?.('w3', l, hb2);
      for (let i = 0; i < hiddenDim; i++) {
        const val = hb[i]!;
        const silu = f(val * f(1 / f(1 + f(Math.exp(-val)))));
        this.silu[i] = silu;
        hb[i] = f(silu * hb2[i]!);
      }
      tap?.('silu', l, this.silu);
      tap?.('gated', l, hb);
      matmul(xb, hb, w.w2, l * dim * hiddenDim, hiddenDim, dim);
      tap?.('ffn_out', l, xb);
      for (let i = 0; i < dim; i++) x[i] = f(x[i]! + xb[i]!);
      tap?.('resid_ffn', l, x);
    }
    tap?.('x_in', c.nLayers, x);
    rmsnorm(x, x, w.rmsFinal);
    tap?.('final_norm', 0, x);
    matmul(this.logits, x, w.wcls, 0, dim, c.vocabSize);
    tap?.('logits', 0, this.logits);
    return this.logits;
  }
}

function rmsnorm(o: Float32Array, x: Float32Array, weight: Float32Array): void {
  const size = x.length;
  let ss = 0;
  for (let j = 0; j < size; j++) ss = f(ss + f(x[j]! * x[j]!));
  ss = f(ss / size);
  ss = f(ss + f(1e-5));
  ss = f(1 / f(Math.sqrt(ss)));
  for (let j = 0; j < size; j++) o[j] = f(weight[j]! * f(ss * x[j]!));
}

function softmax(x: Float32Array, off: number, size: number): void {
  let max = x[off]!;
  for (let i = 1; i < size; i++) if (x[off + i]! > max) max = x[off + i]!;
  let sum = 0;
  for (let i = 0; i < size; i++) {
    const e = f(Math.exp(f(x[off + i]! - max)));
    x[off + i] = e;
    sum = f(sum + e);
  }
  for (let i = 0; i < size; i++) x[off + i] = f(x[off + i]! / sum);
}

/** out[d] = W[d, n] @ x[n], W starting at wOff; accumulation left to right in float, as run.c. */
function matmul(out: Float32Array, x: Float32Array, w: Float32Array, wOff: number, n: number, d: number): void {
  for (let i = 0; i < d; i++) {
    let val = 0;
    const row = wOff + i * n;
    for (let j = 0; j < n; j++) val = f(val + f(w[row + j]! * x[j]!));
    out[i] = val;
  }
}
