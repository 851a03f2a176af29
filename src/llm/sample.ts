// Choosing the next token from the logits, as run.c's `sample` does: temperature 0 = argmax (the
// first maximum wins); otherwise logits / T, softmax, one coin in [0,1), then top-p (nucleus)
// sampling when 0 < topp < 1, else a plain multinomial draw. All float math in float32 order.
// The coin comes from seedrandom (default) or from run.c's xorshift generator (--rng llama2c),
// which with the same seed reproduces llama2.c's sampled text.
import seedrandom from 'seedrandom';

const f = Math.fround;

export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  let max = values[0]!;
  for (let i = 1; i < values.length; i++) {
    if (values[i]! > max) {
      max = values[i]!;
      best = i;
    }
  }
  return best;
}

export type Sampler = (logits: Float32Array) => number;
export type RngKind = 'seedrandom' | 'llama2c';

/** run.c's xorshift64* generator: random_f32 = (u32 >> 8) / 2^24. */
export function llama2cRng(seed: bigint): () => number {
  let s = BigInt.asUintN(64, seed);
  const M = (1n << 64n) - 1n;
  return () => {
    s ^= s >> 12n;
    s = (s ^ (s << 25n)) & M;
    s ^= s >> 27n;
    const u32 = Number(((s * 0x2545f4914f6cdd1dn) & M) >> 32n);
    return (u32 >>> 8) / 16777216;
  };
}

export interface SamplerOptions {
  temperature: number;
  topp?: number;
  seed: string | number;
  rng?: RngKind;
}

export function makeSampler(opts: SamplerOptions): Sampler {
  if (opts.temperature === 0) return argmax;
  const coin =
    opts.rng === 'llama2c'
      ? llama2cRng(BigInt(opts.seed))
      : (() => {
          const r = seedrandom(String(opts.seed));
          return () => f(r());
        })();
  const t = f(opts.temperature);
  const topp = f(opts.topp ?? 0.9);
  return (logits) => {
    const n = logits.length;
    const p = new Float32Array(n);
    for (let i = 0; i < n; i++) p[i] = f(logits[i]! / t);
    softmax(p);
    const c = coin();
    return topp <= 0 || topp >= 1 ? sampleMult(p, c) : sampleTopp(p, topp, c);
  };
}

function softmax(x: Float32Array): void {
  let max = x[0]!;
  for (let i = 1; i < x.length; i++) if (x[i]! > max) max = x[i]!;
  let sum = 0;
  for (let i = 0; i < x.length; i++) {
    x[i] = f(Math.exp(f(x[i]! - max)));
    sum = f(sum + x[i]!);
  }
  for (let i = 0; i < x.length; i++) x[i] = f(x[i]! / sum);
}

function sampleMult(p: Float32Array, coin: number): number {
  let cdf = 0;
  for (let i = 0; i < p.length; i++) {
    cdf = f(cdf + p[i]!);
    if (coin < cdf) return i;
  }
  return p.length - 1;
}

/** Nucleus sampling: the smallest set of most likely tokens whose mass exceeds topp. */
function sampleTopp(p: Float32Array, topp: number, coin: number): number {
  const n = p.length;
  const cutoff = f(f(1 - topp) / (n - 1));
  const cand: number[] = [];
  for (let i = 0; i < n; i++) if (p[i]! >= cutoff) cand.push(i);
  // Descending by probability; equal probabilities keep index order (glibc's qsort is a stable merge sort here).
  cand.sort((a, b) => p[b]! - p[a]!);
  let cum = 0;
  let last = cand.length - 1;
  for (let i = 0; i < cand.length; i++) {
    cum = f(cum + p[cand[i]!]!);
    if (cum > topp) {
      last = i;
      break;
    }
  }
  const r = f(coin * cum);
  let cdf = 0;
  for (let i = 0; i <= last; i++) {
    cdf = f(cdf + p[cand[i]!]!);
    if (r < cdf) return cand[i]!;
  }
  return cand[last]!;
}
