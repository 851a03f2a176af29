// llama2.c checkpoints in the legacy float32 format (docs/llm.md "Checkpoint format"):
// 7 int32 header fields, then float32 arrays in a fixed order. The format has no magic number and
// no size field, so the file size is the only integrity check: it must equal exactly what the
// header implies.
import { readFileSync } from 'node:fs';
import { InputError } from '../errors.js';
import { checkFileSize } from './limits.js';

export interface Llama2cConfig {
  dim: number;
  hiddenDim: number;
  nLayers: number;
  nHeads: number;
  nKvHeads: number;
  vocabSize: number;
  seqLen: number;
  /** vocab_size > 0 in the header: the classifier is the token embedding. */
  sharedClassifier: boolean;
  headSize: number;
  kvDim: number;
}

/** Views into one Float32Array holding the whole file's float part (row-major, as llama2.c lays them out). */
export interface Llama2cWeights {
  tokenEmbedding: Float32Array; // [V, D]
  rmsAtt: Float32Array; // [L, D]
  wq: Float32Array; // [L, D(out), D(in)]
  wk: Float32Array; // [L, KVD, D]
  wv: Float32Array; // [L, KVD, D]
  wo: Float32Array; // [L, D, D]
  rmsFfn: Float32Array; // [L, D]
  w1: Float32Array; // [L, H, D]
  w2: Float32Array; // [L, D, H]
  w3: Float32Array; // [L, H, D]
  rmsFinal: Float32Array; // [D]
  wcls: Float32Array; // [V, D] (the token embedding when shared)
}

export interface Llama2cModel {
  config: Llama2cConfig;
  weights: Llama2cWeights;
}

const HEADER_BYTES = 7 * 4;
/** Magic of llama2.c's newer "version N" export (export.py), which this loader does not read. */
const VERSIONED_MAGIC = 0x616b3432; // "ak42"

export function loadLlama2c(path: string): Llama2cModel {
  let bytes: Uint8Array;
  checkFileSize(path, 'checkpoint');
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new InputError(`${path}: cannot read checkpoint (${(err as Error).message})`);
  }
  return parseLlama2c(bytes, path);
}

export function parseLlama2c(bytes: Uint8Array, name: string): Llama2cModel {
  if (bytes.length < HEADER_BYTES) {
    throw new InputError(`${name}: not a llama2.c checkpoint: ${bytes.length} bytes, shorter than the 28-byte header`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const h = Array.from({ length: 7 }, (_, i) => view.getInt32(i * 4, true));
  if (h[0] === VERSIONED_MAGIC) {
    throw new InputError(
      `${name}: magic 0x616b3432 ("ak42"): a llama2.c versioned export; expected the legacy float32 format (header of 7 int32, no magic)`,
    );
  }
  const [dim, hiddenDim, nLayers, nHeads, nKvHeads, rawVocab, seqLen] = h as [number, number, number, number, number, number, number];
  const vocabSize = Math.abs(rawVocab);
  const bad = (what: string): never => {
    throw new InputError(`${name}: not a llama2.c legacy checkpoint: header [${h.join(', ')}] has ${what}`);
  };
  for (const [k, v] of [
    ['dim', dim],
    ['hidden_dim', hiddenDim],
    ['n_layers', nLayers],
    ['n_heads', nHeads],
    ['n_kv_heads', nKvHeads],
    ['vocab_size', vocabSize],
    ['seq_len', seqLen],
  ] as const) {
    if (!(v > 0 && v <= 1 << 20)) bad(`${k} = ${v}, expected 1..${1 << 20}`);
  }
  if (dim % nHeads !== 0) bad(`dim ${dim} not a multiple of n_heads ${nHeads}`);
  if (nHeads % nKvHeads !== 0) bad(`n_heads ${nHeads} not a multiple of n_kv_heads ${nKvHeads}`);
  const headSize = dim / nHeads;
  if (headSize % 2 !== 0) bad(`odd head size ${headSize} (RoPE rotates pairs)`);
  const kvDim = (dim * nKvHeads) / nHeads;
  const shared = rawVocab > 0;

  const sizes = {
    tokenEmbedding: vocabSize * dim,
    rmsAtt: nLayers * dim,
    wq: nLayers * dim * dim,
    wk: nLayers * kvDim * dim,
    wv: nLayers * kvDim * dim,
    wo: nLayers * dim * dim,
    rmsFfn: nLayers * dim,
    w1: nLayers * hiddenDim * dim,
    w2: nLayers * dim * hiddenDim,
    w3: nLayers * hiddenDim * dim,
    rmsFinal: dim,
  };
  const baseFloats = Object.values(sizes).reduce((a, b) => a + b, 0);
  const ropeFloats = 2 * ((seqLen * headSize) / 2);
  const wclsFloats = shared ? 0 : vocabSize * dim;
  // Exports differ on whether they write the two unused RoPE tables; accept both layouts.
  const withRope = HEADER_BYTES + 4 * (baseFloats + ropeFloats + wclsFloats);
  const withoutRope = HEADER_BYTES + 4 * (baseFloats + wclsFloats);
  let hasRope: boolean;
  if (bytes.length === withRope) hasRope = true;
  else if (bytes.length === withoutRope) hasRope = false;
  else {
    throw new InputError(
      `${name}: size ${bytes.length} bytes does not match its header (dim ${dim}, hidden ${hiddenDim}, layers ${nLayers}, ` +
        `heads ${nHeads}/${nKvHeads} kv, vocab ${rawVocab}${shared ? ' shared' : ' unshared'} classifier, seq_len ${seqLen}): ` +
        `expected ${withRope} bytes (with RoPE tables) or ${withoutRope} (without)`,
    );
  }
  // Copy: the float part starts at byte 28, which is 4-aligned, but the Buffer's own offset may not be.
  const floats = new Float32Array((bytes.length - HEADER_BYTES) / 4);
  new Uint8Array(floats.buffer).set(bytes.subarray(HEADER_BYTES));
  let off = 0;
  const take = (n: number): Float32Array => {
    const a = floats.subarray(off, off + n);
    off += n;
    return a;
  };
  const w = {} as Record<keyof typeof sizes, Float32Array>;
  for (const [k, n] of Object.entries(sizes)) w[k as keyof typeof sizes] = take(n);
  if (hasRope) off += ropeFloats;
  const wcls = shared ? w.tokenEmbedding : take(wclsFloats);
  // A NaN or infinite weight would surface much later as a meaningless quantisation error.
  for (const [k, a] of [...Object.entries(w), ['wcls', wcls] as const]) {
    const i = a.findIndex((v) => !Number.isFinite(v));
    if (i >= 0) throw new InputError(`${name}: weight ${k} holds ${a[i]} at index ${i} (byte ${HEADER_BYTES + 4 * (a.byteOffset / 4 + i)}); expected finite float32 values`);
  }
  return {
    config: { dim, hiddenDim, nLayers, nHeads, nKvHeads, vocabSize, seqLen, sharedClassifier: shared, headSize, kvDim },
    weights: { ...w, wcls },
  };
}
