// The weight packer against layouts worked out by hand from neureka.md "Data layouts" (pulp-nnx
// NeurekaWeight.py), and the job decoder's complaints.
import { describe, expect, it } from 'vitest';
import { packWeights } from '../../npu-model/pack.js';
import { decodeJob, JobError } from '../../npu-model/job.js';
import { conf0, JOB_WORDS, MODE, W } from '../../npu-model/regs.js';

describe('weight packer (pulp-nnx layouts)', () => {
  it('1x1: one 256-bit word per (ko, Ki major): bit plane b in bytes 4b..4b+3, bit = input channel', () => {
    // stored = w - offset = 5, 0, 8 for channels 0..2 (offset -8, 4 bits)
    const p = packWeights('conv1x1', 4, 1, 3, [5 - 8, 0 - 8, 8 - 8]);
    const want = new Uint8Array(32);
    want[0] = 1; // 5 bit 0 -> plane 0, channel 0
    want[8] = 1; // 5 bit 2 -> plane 2 (byte 8), channel 0
    want[12] = 1 << 2; // 8 bit 3 -> plane 3 (byte 12), channel 2
    expect(p.bytes).toEqual(want);
    expect(p.strides).toEqual([32, 32, 0]);
  });
  it('3x3: one word per (ko, Ki major, bit), bit tap*28 + channel', () => {
    const w = new Array<number>(2 * 9).fill(-2); // offset -2: stored 0
    w[1 * 9 + 4] = 1; // channel 1, centre tap: stored 3 -> bits 0 and 1
    const p = packWeights('conv3x3', 2, 1, 2, w);
    const want = new Uint8Array(64);
    want[14] = 1 << 1; // bit 4*28+1 = 113 = byte 14 bit 1, plane 0
    want[32 + 14] = 1 << 1; // plane 1
    expect(p.bytes).toEqual(want);
    expect(p.strides).toEqual([32, 64, 0]);
  });
  it('depthwise: one word per (channel major, bit), channels in place of Ki; weight stride d1 = 0', () => {
    const w = new Array<number>(30 * 9).fill(-2);
    w[29 * 9 + 0] = -1; // channel 29 = major 1, minor 1; tap 0; stored 1
    const p = packWeights('dw3x3', 2, 30, 30, w);
    const want = new Uint8Array(2 * 2 * 32);
    want[64] = 1 << 1; // word (major 1 * 2 bits + plane 0) * 32 = 64, bit 0*28+1
    expect(p.bytes).toEqual(want);
    expect(p.strides).toEqual([32, 0, 0]);
  });
  it('rejects weights that do not fit the bit width', () => {
    expect(() => packWeights('conv1x1', 2, 1, 1, [2])).toThrow(/does not fit 2 bits/);
  });
});

describe('job decoder', () => {
  const words = (f: (w: Uint32Array) => void) => {
    const w = new Uint32Array(JOB_WORDS);
    w[W.nb0] = 0x10001;
    w[W.nb1] = 0x10001;
    w[W.inD0] = 32;
    w[W.inD1] = 192;
    w[W.outD1] = 32;
    w[W.outD2] = 192;
    w[W.wD0] = 32;
    w[W.wD1] = 32;
    w[W.conf0] = conf0({ mode: MODE.conv1x1, normQuant: 1, layerWeightOffset: 1, weightBitsM1: 7 });
    f(w);
    return w;
  };
  const l1 = () => 'l1' as const;
  it('names the job, the field and what is wrong', () => {
    const bad: [(w: Uint32Array) => void, RegExp][] = [
      [(w) => (w[W.conf0]! |= 3 << 5), /^NPU job 7: conf0 .*mode 3/],
      [(w) => (w[W.nb0] = 0), /^NPU job 7: nb0 .*count 0/],
      [(w) => (w[W.conf0] = conf0({ mode: MODE.conv1x1, layerWeightOffset: 1, weightBitsM1: 7 })), /8-bit output needs norm\/quant/],
      [(w) => (w[W.filterMask] = 1), /filterMask .*needs a 3x3 mode/],
      [(w) => (w[W.conf0]! |= conf0({ streamIn: 1 })), /stream-in .*32-bit output/],
    ];
    for (const [f, re] of bad) expect(() => decodeJob(7, words(f), l1)).toThrow(re);
    expect(() => decodeJob(7, words(() => {}), () => null)).toThrow(JobError);
    expect(decodeJob(7, words(() => {}), l1).macs).toBe(36 * 32 * 32);
  });
});

describe('cost model (npuJobCycles): the simulated job cycles without bank waits', () => {
  it('gives the hand-computed cycles of test/npu/protocol.test.ts', async () => {
    const { npuJobCycles } = await import('../../npu-model/cost.js');
    expect(npuJobCycles({ mode: 'conv1x1', ko: 32, ki: 32, ho: 6, wo: 6 })).toBe(159);
    expect(npuJobCycles({ mode: 'conv3x3', ko: 32, ki: 28, ho: 6, wo: 6 })).toBe(406);
    expect(npuJobCycles({ mode: 'dw3x3', ko: 28, ki: 28, ho: 6, wo: 6 })).toBe(394);
    expect(npuJobCycles({ mode: 'conv3x3', ko: 32, ki: 28, ho: 3, wo: 3, stride: 2 })).toBe(364);
    expect(npuJobCycles({ mode: 'conv1x1', ko: 32, ki: 64, ho: 6, wo: 6, prefetch: true, wmem: true, outBits: 32, normQuant: false })).toBe(282);
    expect(npuJobCycles({ mode: 'conv1x1', ko: 40, ki: 40, ho: 7, wo: 7 })).toBe(1603);
  });
});
