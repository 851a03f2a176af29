// Host-side weight packing in the pulp-nnx layouts (NeurekaWeight.py facts, neureka.md "Data
// layouts"): what a compiler writes into L1 or the weight memory for a job, with the weight strides
// (job words wD0..wD2) that go with it. Weights are stored unsigned as w - offset on qw bits.
//   1x1:        (Ko, Ki_major, 256-bit word): bit plane b in bytes 4b..4b+3, bit kiMinor (32 channels)
//   3x3:        (Ko, Ki_major, bit b, 256-bit word): bit tap*28 + kiMinor (9 taps x 28 channels)
//   depthwise:  (K_major, bit b, 256-bit word): as 3x3 with the channels in place of Ki
import { GEOMETRY, type NpuMode } from './regs.js';

export interface PackedWeights {
  bytes: Uint8Array;
  /** job words wD0, wD1, wD2 */
  strides: [number, number, number];
  offset: number;
}

const WORD = 32;

/**
 * Pack logical weights: dense modes w[(ko * ki + c) * taps + tap] (taps = 9 for 3x3 with
 * tap = ky * 3 + kx, 1 for 1x1); depthwise w[c * 9 + tap] with ko = ki = channels.
 * offset defaults to -2^(qw-1) (pulp-nnx); every weight must lie in [offset, offset + 2^qw).
 */
export function packWeights(mode: NpuMode, qw: number, ko: number, ki: number, w: ArrayLike<number>, offset = -(1 << (qw - 1))): PackedWeights {
  if (!Number.isInteger(qw) || qw < 2 || qw > 8) throw new RangeError(`weight bits ${qw}: N-EUREKA takes 2..8`);
  const dw = mode === 'dw3x3';
  const taps = mode === 'conv1x1' ? 1 : 9;
  const sub = mode === 'conv1x1' ? GEOMETRY.kiConv1x1 : GEOMETRY.kiConv3x3;
  const nKi = Math.ceil(ki / sub);
  const expect = (dw ? ki : ko * ki) * taps;
  if (w.length !== expect) throw new RangeError(`${mode} weights: ${w.length} values, expected ${expect}`);
  const u = (i: number): number => {
    const s = w[i]! - offset;
    if (!Number.isInteger(s) || s < 0 || s >= 1 << qw) throw new RangeError(`weight ${w[i]} at index ${i} does not fit ${qw} bits with offset ${offset}`);
    return s;
  };
  const set = (bytes: Uint8Array, word: number, bit: number) => (bytes[word + (bit >>> 3)]! |= 1 << (bit & 7));
  if (mode === 'conv1x1') {
    const d1 = WORD * nKi;
    const bytes = new Uint8Array(ko * d1);
    for (let o = 0; o < ko; o++)
      for (let c = 0; c < ki; c++) {
        const v = u(o * ki + c);
        for (let b = 0; b < qw; b++) if ((v >>> b) & 1) set(bytes, o * d1 + (c >>> 5) * WORD, b * 32 + (c & 31));
      }
    return { bytes, strides: [WORD, d1, 0], offset };
  }
  const d1 = dw ? 0 : WORD * qw * nKi;
  const rows = dw ? 1 : ko;
  const bytes = new Uint8Array(dw ? nKi * qw * WORD : ko * d1);
  for (let o = 0; o < rows; o++)
    for (let c = 0; c < ki; c++) {
      const major = Math.floor(c / sub), minor = c % sub;
      for (let t = 0; t < 9; t++) {
        const v = u((dw ? c : o * ki + c) * 9 + t);
        for (let b = 0; b < qw; b++) if ((v >>> b) & 1) set(bytes, o * d1 + (major * qw + b) * WORD, t * sub + minor);
      }
    }
  return { bytes, strides: [WORD, d1, 0], offset };
}
