// The NPU model's weight decoding (compute.ts) against the packer, in every mode and bit width,
// and its cache of decoded weights: used only while the packed words in memory are unchanged.
import { describe, expect, it } from 'vitest';
import { computeJob, unpackWeights, WeightCache, type ByteView } from '../../npu-model/compute.js';
import type { NpuJob } from '../../npu-model/job.js';
import { packWeights } from '../../npu-model/pack.js';
import { GEOMETRY, type NpuMode } from '../../npu-model/regs.js';

/** A deterministic pseudo-random sequence (xorshift32). */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

const BASE = 0x1000;

/** A job of the given weight geometry with its packed weights at BASE + 64 of a fresh memory. */
function jobWith(mode: NpuMode, qw: number, ko: number, ki: number, w: number[]): { j: NpuJob; mem: Uint8Array; view: ByteView } {
  const p = packWeights(mode, qw, ko, ki, w);
  const mem = new Uint8Array(64 + p.bytes.length + 4096);
  mem.set(p.bytes, 64);
  const fs = mode === 'conv1x1' ? 1 : 3;
  const subKi = mode === 'conv1x1' ? GEOMETRY.kiConv1x1 : GEOMETRY.kiConv3x3;
  const j = {
    id: 0, mode, fs, stride: 1, ko, ki, ho: 1, wo: 1, hin: fs, win: fs, sub: 6, subKo: 32, subKi,
    nKo: Math.ceil(ko / 32), nKi: Math.ceil(ki / subKi), nHo: 1, nWo: 1, qw,
    inSigned: true, outBits: 32, relu: false, normQuant: false, perChannelShift: false, shift: 0, bias: false, scaleBits: 8,
    streamIn: false, prefetch: false, wmem: false, weightOffset: p.offset,
    pad: { top: 0, right: 0, bottom: 0, left: 0, value: 0 }, mask: { top: false, right: false, bottom: false, left: false },
    weights: BASE + 64, infeat: BASE + 64 + p.bytes.length, outfeat: BASE + 64 + p.bytes.length + 2048, scale: 0, scaleShift: 0, scaleBias: 0,
    inD0: ki, inD1: ki * fs, outD1: ko * 4, outD2: ko * 4, wD0: p.strides[0], wD1: p.strides[1], macs: 0,
  } satisfies NpuJob;
  return { j, mem, view: (addr) => ({ bytes: mem, off: addr - BASE }) };
}

describe('NPU weight decoding', () => {
  const modes: NpuMode[] = ['conv1x1', 'conv3x3', 'dw3x3'];
  for (const mode of modes)
    it(`${mode}: unpackWeights gives back what packWeights packed (2..8 bits, partial subtiles)`, () => {
      const r = rng(mode.length * 7919);
      for (const qw of [2, 3, 5, 8]) {
        const ki = mode === 'conv1x1' ? 45 : 31;
        const ko = mode === 'dw3x3' ? ki : 37;
        const taps = mode === 'conv1x1' ? 1 : 9;
        const lo = -(1 << (qw - 1));
        const w = Array.from({ length: (mode === 'dw3x3' ? ki : ko * ki) * taps }, () => lo + Math.floor(r() * (1 << qw)));
        const { j, view } = jobWith(mode, qw, ko, ki, w);
        // unpackWeights' layout: [ko][ki][9] (depthwise [k][9]); 1x1 uses tap 0
        const want = new Int32Array((mode === 'dw3x3' ? ki : ko * ki) * 9);
        w.forEach((v, i) => (want[taps === 1 ? i * 9 : i] = v));
        expect(unpackWeights(j, view)).toEqual(want);
      }
    });

  it('a cached decoding is used only while the packed words in memory are the same', () => {
    const ki = 40, ko = 33;
    const w = Array.from({ length: ko * ki }, (_, i) => ((i * 37) % 255) - 128);
    const { j, mem, view } = jobWith('conv1x1', 8, ko, ki, w);
    const x = new Int8Array(mem.buffer, j.infeat - BASE, ki);
    for (let i = 0; i < ki; i++) x[i] = (i % 7) - 3;
    const cache = new WeightCache();
    const out = (cache?: WeightCache) => Array.from(computeJob(j, view, cache)[0]!.data);
    const first = out(cache);
    expect(out(cache)).toEqual(first);
    mem[j.weights - BASE + 5] ^= 0x10; // one bit of one weight (plane 1 of channels 8..15 of ko 0)
    const changed = out(cache);
    expect(changed).not.toEqual(first);
    expect(changed).toEqual(out());
  });
});
