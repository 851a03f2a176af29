// RequantShift folded into N-EUREKA's normquant, exactly (issue 11; neureka.md "Arithmetic",
// operators.md "RequantShift").
//
//   reference:  y = clamp(floor(((acc + cb) * mul + add + 2^(d-1)) / 2^d), lo, hi)
//   NPU:        y = clip(sat32(acc' * scale + bias) >> shift)   (clip: identity [-128,127] / ReLU [0,255])
//
// with acc' = acc (mul >= 0) or the accumulator of the negated weights (mul < 0, so acc' = -acc),
// scale = |mul|, bias = cb * mul + add + 2^(d-1) (the rounding term moves into the bias), shift = d.
// The NPU computes acc' * scale + bias exactly and saturates it to int32; saturation cannot change
// the result when int32's extremes shifted by d still lie beyond the clip window (d <= 23 for
// [0, 255], d <= 24 for [-128, 127]), or when the value range proves it never saturates. Anything
// else is not expressible and the layer stays on the cluster with the reason.

export interface FoldInput {
  /** per output channel (after broadcasting) */
  mul: number[];
  add: number[];
  /** the conv / gemm bias per output channel (0 when none), already times beta */
  convBias?: number[];
  log2d: number;
  lo: number;
  hi: number;
  /** per channel [min, max] of the accumulator (without bias); omitted: unknown */
  accRange?: [number, number][];
}

export interface Folded {
  scale: number[];
  /** 8: every scale fits uint8 (CONF0 scale width 0), else 32 */
  scaleBits: 8 | 32;
  bias: number[];
  shift: number;
  relu: boolean;
  /** channels whose weights are negated (mul < 0) */
  negate: boolean[];
}

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/** The fold, or why it is not exact. */
export function foldRequant(f: FoldInput): Folded | { reason: string } {
  const n = f.mul.length;
  let relu: boolean;
  if (f.lo === -128 && f.hi === 127) relu = false;
  else if (f.lo === 0 && f.hi === 255) relu = true;
  else return { reason: `requantisation clips to [${f.lo}, ${f.hi}]; the NPU's 8-bit output clips to [-128, 127] or [0, 255]` };
  if (f.log2d < 0 || f.log2d > 31) return { reason: `shift ${f.log2d} is outside the NPU's 0..31` };
  const half = f.log2d > 0 ? 2 ** (f.log2d - 1) : 0;
  const scale: number[] = [];
  const bias: number[] = [];
  const negate: boolean[] = [];
  // saturation is harmless when the clip window lies strictly inside int32 >> shift
  const satSafe = relu ? f.log2d <= 23 : f.log2d <= 24;
  for (let c = 0; c < n; c++) {
    const m = f.mul[c]!;
    const s = Math.abs(m);
    if (s > 0xffffffff) return { reason: `channel ${c}: |mul| ${s} does not fit the NPU's 32-bit scale` };
    const b = (f.convBias?.[c] ?? 0) * m + f.add[c]! + half;
    if (!Number.isSafeInteger(b) || b < INT32_MIN || b > INT32_MAX) return { reason: `channel ${c}: bias*mul + add + rounding = ${b} does not fit the NPU's int32 bias` };
    if (!satSafe) {
      const r = f.accRange?.[c];
      if (!r) return { reason: `shift ${f.log2d} with unknown accumulator range: int32 saturation could show` };
      const lo = Math.min(r[0] * m, r[1] * m) + b;
      const hi = Math.max(r[0] * m, r[1] * m) + b;
      if (lo < INT32_MIN || hi > INT32_MAX) return { reason: `channel ${c}: acc*mul + bias can reach [${lo}, ${hi}], beyond int32, and shift ${f.log2d} would show the NPU's saturation` };
    }
    scale.push(s);
    bias.push(b);
    negate.push(m < 0);
  }
  return { scale, scaleBits: scale.every((s) => s <= 255) ? 8 : 32, bias, shift: f.log2d, relu, negate };
}

/**
 * Layer-wise weight offset and bit width for the (possibly negated) weights: N-EUREKA stores
 * w - offset unsigned on qw bits, one offset per job. Undefined when they span more than 8 bits.
 */
export function weightEncoding(w: ArrayLike<number>): { offset: number; qw: number } | undefined {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < w.length; i++) {
    lo = Math.min(lo, w[i]!);
    hi = Math.max(hi, w[i]!);
  }
  if (w.length === 0) return { offset: 0, qw: 2 };
  const span = hi - lo;
  if (span > 255) return undefined;
  const qw = Math.max(2, Math.ceil(Math.log2(span + 1)));
  // pulp-nnx's convention when it fits: offset -2^(qw-1), centred; else the minimum
  const centred = -(2 ** (qw - 1));
  const offset = lo >= centred && hi < centred + 2 ** qw ? centred : lo;
  return { offset, qw };
}
