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
  const dw = j.mode === 'dw3x3';
  return decodeWeights(j, gatherPacked(j, view), dw ? 0 : j.ki * 9, 9, 1, (dw ? j.ko : j.ko * j.ki) * 9);
}

/** Rows and words per row of the job's packed weights (gatherPacked's order). */
function packedShape(j: NpuJob): { rows: number; words: number } {
  return { rows: j.mode === 'dw3x3' ? 1 : j.ko, words: j.mode === 'conv1x1' ? j.nKi : j.nKi * j.qw };
}

/** The job's packed weight words in order (row, word), 32 bytes each: rows = ko (depthwise 1),
 * words = kiMajor (3x3 modes: kiMajor x qw bit planes), at strides wD1 and wD0 in memory. */
function gatherPacked(j: NpuJob, view: ByteView): Uint8Array {
  const { rows, words } = packedShape(j);
  const { bytes, off } = view(j.weights);
  const out = new Uint8Array(rows * words * 32);
  for (let r = 0; r < rows; r++)
    for (let k = 0; k < words; k++) {
      const at = off + r * j.wD1 + k * j.wD0;
      out.set(bytes.subarray(at, at + 32), (r * words + k) * 32);
    }
  return out;
}

/**
 * Logical weights from the gathered words: weight (ko, ki, tap) + offset at
 * ko * sKo + ki * sKi + tap * sT of an array of `size` (depthwise: the channel is ki, ko is 0).
 * 1x1 word (ko, kiMajor) holds bit b of channel kiMinor at bit b * 32 + kiMinor (bit planes of 4
 * bytes); 3x3 word (ko, kiMajor, b) holds bit b of tap t, channel kiMinor at bit t * subKi + kiMinor
 * (28 channels: gone over bit by bit, set bits only).
 */
function decodeWeights(j: NpuJob, packed: Uint8Array, sKo: number, sKi: number, sT: number, size: number): Int32Array {
  const out = new Int32Array(size);
  const { rows, words } = packedShape(j);
  const off = j.weightOffset;
  if (j.mode === 'conv1x1') {
    // every (ko, ki) is written once, offset included
    for (let r = 0; r < rows; r++) for (let w = 0; w < words; w++) decodeWord1x1(packed, (r * words + w) * 32, out, r * sKo, w * 32, sKi, j.qw, j.ki, off);
    return out;
  }
  for (let r = 0; r < rows; r++)
    for (let w = 0; w < words; w++) decodeWord3x3(packed, (r * words + w) * 32, out, r * sKo, sKi, sT, (w / j.qw) | 0, w % j.qw, j);
  const taps = j.fs * j.fs;
  for (let r = 0; r < rows; r++) for (let c = 0; c < j.ki; c++) for (let t = 0; t < taps; t++) out[r * sKo + c * sKi + t * sT] += off;
  return out;
}

// The word decoders and the MAC loops are small functions of their own: a job runs them a few
// thousand times, and V8 optimises (and compiles) a small hot function much sooner and cheaper
// than one loop inside a large one (the NPU model was ~15% of a network's run, mostly in V8's
// lower tiers).

/** 1x1 word at `at`: 8 channels at a time, byte q of each plane, its bits spread to one byte a
 * channel; channel c0 + c goes to out[o + c * sKi], plus the weight offset. */
function decodeWord1x1(packed: Uint8Array, at: number, out: Int32Array, o: number, c0: number, sKi: number, qw: number, ki: number, off: number): void {
  for (let q = 0; q < 4; q++) {
    let lo = 0, hi = 0;
    for (let b = 0; b < qw; b++) {
      const v = packed[at + 4 * b + q]!;
      lo |= SPREAD[v & 15]! << b;
      hi |= SPREAD[v >>> 4]! << b;
    }
    const c = c0 + q * 8;
    for (let i = 0; i < 8 && c + i < ki; i++) out[o + (c + i) * sKi] = (((i < 4 ? lo : hi) >>> (8 * (i & 3))) & 0xff) + off;
  }
}

/** 3x3 word at `at` (bit b of kiMajor `major`): set bits only, OR-ed into out. */
function decodeWord3x3(packed: Uint8Array, at: number, out: Int32Array, o: number, sKi: number, sT: number, major: number, b: number, j: NpuJob): void {
  const sub = j.subKi, ki = j.ki, taps = j.fs * j.fs;
  for (let byte = 0; byte < 32; byte++) {
    let v = packed[at + byte]!;
    while (v !== 0) {
      const low = v & -v;
      v ^= low;
      const p = byte * 8 + 31 - Math.clz32(low);
      const t = (p / sub) | 0;
      const c = major * sub + p - t * sub;
      if (t < taps && c < ki) out[o + c * sKi + t * sT] |= 1 << b;
    }
  }
}

/** SPREAD[n]: the 4 bits of n, one a byte (bit i in bit 0 of byte i). */
const SPREAD = Uint32Array.from({ length: 16 }, (_, n) => (n & 1) | ((n & 2) << 7) | ((n & 4) << 14) | ((n & 8) << 21));

/**
 * Unpacked weights of recent jobs, for jobs that use the same packed words again (tiles over the
 * pixels, the next token). An entry is used only when the words in memory now equal the words it
 * was made from (and the job's weight geometry is the same), so writes to the weights need no
 * tracking. Logical layout for computeJob: dense modes [tap][ki][ko] (the ko loop innermost),
 * depthwise [k][9].
 */
export class WeightCache {
  private readonly entries = new Map<string, { packed: Uint8Array; w: Int32Array }>();
  constructor(private readonly capacity = 32) {}

  get(j: NpuJob, view: ByteView): Int32Array {
    const key = `${j.weights} ${j.mode} ${j.ko} ${j.ki} ${j.qw} ${j.wD0} ${j.wD1} ${j.weightOffset}`;
    const e = this.entries.get(key);
    // compared where they are: no copy of the words for a hit
    if (e !== undefined && samePacked(j, view, e.packed)) return e.w;
    const packed = gatherPacked(j, view);
    const w = j.mode === 'dw3x3' ? decodeWeights(j, packed, 0, 9, 1, j.ko * 9) : decodeWeights(j, packed, 1, j.ko, j.ki * j.ko, j.fs * j.fs * j.ki * j.ko);
    this.entries.delete(key);
    if (this.entries.size >= this.capacity) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, { packed, w });
    return w;
  }
}

/** Are the job's packed words in memory those gathered into `packed` (gatherPacked's order)? */
function samePacked(j: NpuJob, view: ByteView, packed: Uint8Array): boolean {
  const { rows, words } = packedShape(j);
  if (packed.length !== rows * words * 32) return false;
  const { bytes, off } = view(j.weights);
  // a row's words are usually back to back (wD0 = 32): one memcmp a row
  const run = j.wD0 === 32 ? words : 1;
  const mem = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const got = Buffer.from(packed.buffer, packed.byteOffset, packed.byteLength);
  for (let r = 0; r < rows; r++)
    for (let k = 0; k < words; k += run) {
      const at = off + r * j.wD1 + k * j.wD0;
      const p = (r * words + k) * 32;
      if (mem.compare(got, p, p + run * 32, at, at + run * 32) !== 0) return false;
    }
  return true;
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
export function computeJob(j: NpuJob, view: ByteView, cache: WeightCache = new WeightCache(1)): OutputWrite[] {
  const w = cache.get(j, view);
  const inV = view(j.infeat);
  const inBytes = j.inSigned ? new Int8Array(inV.bytes.buffer, inV.bytes.byteOffset, inV.bytes.length) : inV.bytes;
  const inBase = inV.off;
  const { top, right, bottom, left } = j.pad;
  const padV = j.inSigned ? (j.pad.value << 24) >> 24 : j.pad.value;
  // a masked filter edge (pulp-nnx FILTER_MASK) drops that row / column of taps
  const ky0 = j.mask.top ? 1 : 0, kyEnd = j.fs === 3 && j.mask.bottom ? 2 : j.fs;
  const kx0 = j.mask.left ? 1 : 0, kxEnd = j.fs === 3 && j.mask.right ? 2 : j.fs;
  const outV = view(j.outfeat);
  const sc = j.normQuant ? view(j.scale) : null;
  const sh = j.normQuant && j.perChannelShift ? view(j.scaleShift) : null;
  const bi = j.normQuant && j.bias ? view(j.scaleBias) : null;
  const writes: OutputWrite[] = [];
  const KO = j.ko, KI = j.ki, dw = j.mode === 'dw3x3';
  const y0 = top, y1 = j.hin - bottom, x0 = left, x1 = j.win - right;
  const acc = new Int32Array(KO);
  for (let y = 0; y < j.ho; y++)
    for (let x = 0; x < j.wo; x++) {
      const o = y * j.outD2 + x * j.outD1;
      for (let ko = 0; ko < KO; ko++) acc[ko] = j.streamIn ? rd32(outV, o + ko * 4) : 0;
      for (let ky = ky0; ky < kyEnd; ky++)
        for (let kx = kx0; kx < kxEnd; kx++) {
          const iy = y * j.stride + ky, ix = x * j.stride + kx;
          const inside = iy >= y0 && iy < y1 && ix >= x0 && ix < x1;
          const at = inBase + iy * j.inD1 + ix * j.inD0;
          if (dw) macDepthwise(acc, w, ky * 3 + kx, inBytes, at, KO, inside, padV);
          else macDense(acc, w, (ky * j.fs + kx) * KI * KO, inBytes, at, KI, KO, inside, padV);
        }
      const data = outputPixel(j, acc, sc, sh, bi);
      writes.push({ addr: j.outfeat + o, data });
    }
  return writes;
}

type View = { bytes: Uint8Array; off: number };
const rd32 = (v: View, o: number) => v.bytes[v.off + o]! | (v.bytes[v.off + o + 1]! << 8) | (v.bytes[v.off + o + 2]! << 16) | (v.bytes[v.off + o + 3]! << 24);

/** One output pixel's bytes from its accumulators: normquant (scale, bias, shift) when the job
 * has it, then clip to 8 bits or keep 32 (ReLU: from 0). */
function outputPixel(j: NpuJob, acc: Int32Array, sc: View | null, sh: View | null, bi: View | null): Uint8Array {
  const KO = j.ko, ob = j.outBits / 8;
  const data = new Uint8Array(KO * ob);
  const dv = new DataView(data.buffer);
  for (let ko = 0; ko < KO; ko++) {
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
  return data;
}

/** One tap of a dense job: acc[ko] += x[ki] * w[tap][ki][ko] over ki, ko (int32, wrapping). */
function macDense(acc: Int32Array, w: Int32Array, tap: number, inBytes: Uint8Array | Int8Array, at: number, KI: number, KO: number, inside: boolean, padV: number): void {
  for (let ki = 0; ki < KI; ki++) {
    const xv = inside ? inBytes[at + ki]! : padV;
    if (xv === 0) continue;
    const row = tap + ki * KO;
    for (let ko = 0; ko < KO; ko++) acc[ko] = (acc[ko]! + xv * w[row + ko]!) | 0;
  }
}

/** Tap t of a depthwise job: acc[k] += x[k] * w[k][t]. */
function macDepthwise(acc: Int32Array, w: Int32Array, t: number, inBytes: Uint8Array | Int8Array, at: number, KO: number, inside: boolean, padV: number): void {
  for (let k = 0; k < KO; k++) acc[k] = (acc[k]! + (inside ? inBytes[at + k]! : padV) * w[k * 9 + t]!) | 0;
}
