// Activation ranges for post-training quantization, measured on text the float model writes
// itself: its greedy story plus a few sampled ones, each fed back teacher-forced (docs/llm.md).
import type { Tokenizer } from '../frontend/tokenizer.js';
import type { FloatModel } from './float.js';
import { generate } from './generate.js';
import { makeSampler } from './sample.js';

export interface Calibration {
  /** max |value| per activation, keyed `${tap}.${layer}` (see FloatModel taps). */
  maxAbs: Map<string, number>;
  /** Smallest row maximum of the attention scores per layer (keyed `scores_rowmax.${layer}`). */
  minRowMax: Map<string, number>;
  /** Token sequences used (BOS first). */
  sequences: number[][];
}

/** The calibration text: the greedy story, then `sampled` stories at temperature 1 (seeds 1, 2, ...). */
export function calibrationSequences(model: FloatModel, tokenizer: Tokenizer, steps = 200, sampled = 2): number[][] {
  const seqs: number[][] = [];
  for (let i = 0; i <= sampled; i++) {
    const sampler = makeSampler({ temperature: i === 0 ? 0 : 1, topp: 1, seed: i });
    seqs.push(generate(model, tokenizer, { prompt: '', steps, sampler }).tokens);
  }
  return seqs;
}

export function calibrate(model: FloatModel, sequences: number[][]): Calibration {
  const maxAbs = new Map<string, number>();
  const minRowMax = new Map<string, number>();
  model.tap = (name, layer, values) => {
    const key = `${name}.${layer}`;
    let m = maxAbs.get(key) ?? 0;
    let rowMax = -Infinity;
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      const a = Math.abs(v);
      if (a > m) m = a;
      if (v > rowMax) rowMax = v;
    }
    maxAbs.set(key, m);
    if (name === 'scores') {
      const k = `scores_rowmax.${layer}`;
      minRowMax.set(k, Math.min(minRowMax.get(k) ?? Infinity, rowMax));
    }
  };
  try {
    for (const seq of sequences) {
      model.reset();
      // The last token's step only matters for its logits; run every position that has a token.
      for (let pos = 0; pos < seq.length; pos++) model.step(seq[pos]!, pos);
    }
  } finally {
    model.tap = undefined;
  }
  return { maxAbs, minRowMax, sequences };
}
