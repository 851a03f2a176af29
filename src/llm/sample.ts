// Choosing the next token from the logits. Greedy = run.c's argmax (the first maximum wins);
// temperature > 0 = softmax(logits / T) in float32 and one multinomial draw from a seeded RNG
// (seedrandom's ARC4 generator: a given seed gives the same story on every machine).
import seedrandom from 'seedrandom';

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

export function makeSampler(temperature: number, seed: string | number): Sampler {
  if (temperature === 0) return argmax;
  const rng = seedrandom(String(seed));
  const f = Math.fround;
  const t = f(temperature);
  return (logits) => {
    const p = new Float32Array(logits.length);
    for (let i = 0; i < p.length; i++) p[i] = f(logits[i]! / t);
    let max = p[0]!;
    for (let i = 1; i < p.length; i++) if (p[i]! > max) max = p[i]!;
    let sum = 0;
    for (let i = 0; i < p.length; i++) {
      p[i] = f(Math.exp(f(p[i]! - max)));
      sum = f(sum + p[i]!);
    }
    const coin = rng() * sum;
    let cdf = 0;
    for (let i = 0; i < p.length; i++) {
      cdf += p[i]!;
      if (coin < cdf) return i;
    }
    return p.length - 1;
  };
}
