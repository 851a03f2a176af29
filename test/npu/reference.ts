// An independent reference for N-EUREKA jobs, written from ../shared/spec/neureka.md alone: it works
// on logical tensors (input HWC without padding, weights [ko][ki][tap]) with plain loops and BigInt
// normquant, and shares no code with npu-model/ (which unpacks the packed weights and pads from
// memory). The tests compare the simulated NPU's outputs with it.

export type Mode = 'conv3x3' | 'dw3x3' | 'conv1x1';

export interface RefJob {
  mode: Mode;
  stride: 1 | 2;
  ko: number; ki: number; ho: number; wo: number;
  /** input pixels actually stored (the padded input minus the padding) */
  hr: number; wr: number;
  inSigned: boolean;
  /** input values [hr][wr][ki] (already signed or unsigned) */
  x: number[];
  pad: { top: number; right: number; bottom: number; left: number; value: number };
  /** filter edges switched off (top row, right column, bottom row, left column) */
  mask: { top: boolean; right: boolean; bottom: boolean; left: boolean };
  /** logical weights: dense [ko][ki][taps], depthwise [k][9] */
  w: number[];
  streamIn: boolean;
  /** stream-in accumulators [ho][wo][ko] */
  init: number[];
  normQuant: boolean;
  scale: number[];
  bias: number[] | null;
  /** per-channel shifts, or null for the per-layer `shift` */
  shifts: number[] | null;
  shift: number;
  relu: boolean;
  outBits: 8 | 32;
}

const I32_MAX = 2n ** 31n - 1n;
const I32_MIN = -(2n ** 31n);

/** Outputs [ho][wo][ko] as numbers (8-bit outputs: the value stored, 0..255 with ReLU, -128..127 without). */
export function reference(j: RefJob): number[] {
  const fs = j.mode === 'conv1x1' ? 1 : 3;
  const hin = (j.ho - 1) * j.stride + fs;
  const win = (j.wo - 1) * j.stride + fs;
  const padValue = j.inSigned && j.pad.value >= 128 ? j.pad.value - 256 : j.pad.value;
  const input = (y: number, x: number, c: number): number => {
    const inside = y >= j.pad.top && y < hin - j.pad.bottom && x >= j.pad.left && x < win - j.pad.right;
    return inside ? j.x[((y - j.pad.top) * j.wr + (x - j.pad.left)) * j.ki + c]! : padValue;
  };
  const tapOn = (ky: number, kx: number) =>
    fs === 1 || !((j.mask.top && ky === 0) || (j.mask.bottom && ky === 2) || (j.mask.left && kx === 0) || (j.mask.right && kx === 2));
  const out: number[] = [];
  for (let y = 0; y < j.ho; y++)
    for (let x = 0; x < j.wo; x++)
      for (let k = 0; k < j.ko; k++) {
        let acc = j.streamIn ? j.init[(y * j.wo + x) * j.ko + k]! : 0;
        for (let ky = 0; ky < fs; ky++)
          for (let kx = 0; kx < fs; kx++) {
            if (!tapOn(ky, kx)) continue;
            const tap = ky * fs + kx;
            if (j.mode === 'dw3x3') {
              acc = (acc + input(y * j.stride + ky, x * j.stride + kx, k) * j.w[k * 9 + tap]!) | 0;
            } else {
              for (let c = 0; c < j.ki; c++) acc = (acc + input(y * j.stride + ky, x * j.stride + kx, c) * j.w[(k * j.ki + c) * fs * fs + tap]!) | 0;
            }
          }
        let v = BigInt(acc);
        if (j.normQuant) {
          v = v * BigInt(j.scale[k]!) + BigInt(j.bias ? j.bias[k]! : 0);
          if (v > I32_MAX) v = I32_MAX;
          if (v < I32_MIN) v = I32_MIN;
          v >>= BigInt(j.shifts ? j.shifts[k]! : j.shift);
        }
        if (j.outBits === 8) {
          const lo = j.relu ? 0n : -128n, hi = j.relu ? 255n : 127n;
          v = v < lo ? lo : v > hi ? hi : v;
        } else if (j.relu && v < 0n) v = 0n;
        out.push(Number(v));
      }
  return out;
}
