// The functional model of one job (neureka.md "What it computes", "Data layouts", "Arithmetic"):
// unpack the weights from the pulp-nnx layout, accumulate over the taps and input channels
// (int32, wrapping), then normquant: x scale, + bias (saturated to int32), arithmetic >> shift,
// clip. Reads memory when the job starts, returns the output bytes (the device writes them when the
// job ends).
import type { NpuJob } from './job.js';

/** Byte view of simulated memory at an absolute address (the job checker proved it is mapped). */
export type ByteView = (addr: number) => { bytes: Uint8Array; off: number };

export interface OutputWrite {
  addr: number;
  data: Uint8Array;
}

const INT32_MAX = 2147483647;
const INT32_MIN = -2147483648;

/** Logical weights [ko][ki][9] (dense; taps ky*3+kx, 1x1 uses tap 0) or [k][9] (depthwise), as stored + offset. */
export function unpackWeights(j: NpuJob, view: ByteView): Int32Array {
  const taps = j.fs * j.fs;
  const dw = j.mode === 'dw3x3';
  const out = new Int32Array((dw ? j.ko : j.ko * j.ki) * 9);
  const { bytes, off } = view(j.weights);
  const base = off;
  const bit = (wordOff: number, i: number) => (bytes[base + wordOff + (i >>> 3)]! >>> (i & 7)) & 1;
  if (j.mode === 'conv1x1') {
    // word (ko, kiMajor) = 8 bit planes of 4 bytes; bit kiMinor of plane b is bit b of that weight
    for (let ko = 0; ko < j.ko; ko++)
      for (let ki = 0; ki < j.ki; ki++) {
        const word = ko * j.wD1 + (ki >>> 5) * j.wD0;
        let u = 0;
        for (let b = 0; b < j.qw; b++) u |= bit(word, b * 32 + (ki & 31)) << b;
        out[(ko * j.ki + ki) * 9] = u + j.weightOffset;
      }
    return out;
  }
  // 3x3: word (ko, kiMajor, bit b) holds bit b of 9 taps x 28 channels at bit tap*28 + kiMinor
  const sub = j.subKi;
  const rows = dw ? 1 : j.ko;
  for (let r = 0; r < rows; r++)
    for (let ki = 0; ki < j.ki; ki++) {
      const major = Math.floor(ki / sub), minor = ki % sub;
      for (let t = 0; t < taps; t++) {
        let u = 0;
        for (let b = 0; b < j.qw; b++) u |= bit(r * j.wD1 + (major * j.qw + b) * j.wD0, t * sub + minor) << b;
        out[((dw ? ki : r * j.ki + ki) * 9) + t] = u + j.weightOffset;
      }
    }
  return out;
}

/** acc * scale + bias, saturated to int32, exact for 32-bit scales too. */
export function scaleBias(acc: number, scale: number, bias: number): number {
  let v = acc * scale;
  if (Math.abs(v) > Number.MAX_SAFE_INTEGER) {
    const b = BigInt(acc) * BigInt(scale) + BigInt(bias);
    return b > BigInt(INT32_MAX) ? INT32_MAX : b < BigInt(INT32_MIN) ? INT32_MIN : Number(b);
  }
  v += bias;
  return v > INT32_MAX ? INT32_MAX : v < INT32_MIN ? INT32_MIN : v;
}

/** Run job j on memory; returns the output writes (one per output pixel, all channels). */
export function computeJob(j: NpuJob, view: ByteView): OutputWrite[] {
  const w = unpackWeights(j, view);
  const inV = view(j.infeat);
  const inBytes = inV.bytes;
  const inBase = inV.off;
  const { top, right, bottom, left } = j.pad;
  const padV = j.inSigned ? (j.pad.value << 24) >> 24 : j.pad.value;
  const ob = j.outBits / 8;
  // a masked filter edge (pulp-nnx FILTER_MASK) drops that row / column of taps
  const ky0 = j.mask.top ? 1 : 0, kyEnd = j.fs === 3 && j.mask.bottom ? 2 : j.fs;
  const kx0 = j.mask.left ? 1 : 0, kxEnd = j.fs === 3 && j.mask.right ? 2 : j.fs;
  const outV = view(j.outfeat);
  const sc = j.normQuant ? view(j.scale) : null;
  const sh = j.normQuant && j.perChannelShift ? view(j.scaleShift) : null;
  const bi = j.normQuant && j.bias ? view(j.scaleBias) : null;
  const rd32 = (v: { bytes: Uint8Array; off: number }, o: number) =>
    v.bytes[v.off + o]! | (v.bytes[v.off + o + 1]! << 8) | (v.bytes[v.off + o + 2]! << 16) | (v.bytes[v.off + o + 3]! << 24);
  const px = (y: number, x: number, k: number): number => {
    if (y < top || y >= j.hin - bottom || x < left || x >= j.win - right) return padV;
    const b = inBytes[inBase + y * j.inD1 + x * j.inD0 + k]!;
    return j.inSigned ? (b << 24) >> 24 : b;
  };
  const writes: OutputWrite[] = [];
  const acc = new Int32Array(j.ko);
  for (let y = 0; y < j.ho; y++)
    for (let x = 0; x < j.wo; x++) {
      const o = y * j.outD2 + x * j.outD1;
      for (let ko = 0; ko < j.ko; ko++) acc[ko] = j.streamIn ? rd32(outV, o + ko * 4) : 0;
      for (let ky = ky0; ky < kyEnd; ky++)
        for (let kx = kx0; kx < kxEnd; kx++) {
          const iy = y * j.stride + ky, ix = x * j.stride + kx;
          const t = ky * 3 + kx;
          if (j.mode === 'dw3x3') {
            for (let k = 0; k < j.ko; k++) acc[k] = (acc[k]! + px(iy, ix, k) * w[k * 9 + t]!) | 0;
          } else {
            for (let ki = 0; ki < j.ki; ki++) {
              const xv = px(iy, ix, ki);
              if (xv === 0) continue;
              for (let ko = 0; ko < j.ko; ko++) acc[ko] = (acc[ko]! + xv * w[(ko * j.ki + ki) * 9 + t]!) | 0;
            }
          }
        }
      const data = new Uint8Array(j.ko * ob);
      const dv = new DataView(data.buffer);
      for (let ko = 0; ko < j.ko; ko++) {
        let v = acc[ko]!;
        if (j.normQuant) {
          const s = j.scaleBits === 8 ? sc!.bytes[sc!.off + ko]! : rd32(sc!, ko * 4) >>> 0;
          v = scaleBias(v, s, bi ? rd32(bi, ko * 4) : 0);
          const shift = sh ? sh.bytes[sh.off + ko]! : j.shift;
          v = v >> Math.min(shift, 31);
        }
        if (ob === 1) {
          v = j.relu ? Math.min(Math.max(v, 0), 255) : Math.min(Math.max(v, -128), 127);
          data[ko] = v & 0xff;
        } else {
          if (j.relu && v < 0) v = 0;
          dv.setInt32(ko * 4, v, true);
        }
      }
      writes.push({ addr: j.outfeat + o, data });
    }
  return writes;
}
