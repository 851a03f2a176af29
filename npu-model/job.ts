// A job's 24 register words decoded into its geometry and options, and checked: everything the
// functional model (compute.ts) and the timing model (timing.ts) need, or a one-line reason naming
// the job and the field that makes it impossible (the device turns that into a simulated fault).
import { conf0Get, GEOMETRY, MODE, W, WMEM_BASE, type JobWordName, type NpuMode } from './regs.js';

export interface NpuJob {
  id: number;
  mode: NpuMode;
  /** filter size (3 or 1) and stride (2 with CONF0 bit 8, 3x3 modes only) */
  fs: number;
  stride: number;
  /** output channels, input channels (equal in depthwise), output and (padded) input pixels */
  ko: number; ki: number; ho: number; wo: number; hin: number; win: number;
  /** subtile sizes: output side, output channels, input channels */
  sub: number; subKo: number; subKi: number;
  nKo: number; nKi: number; nHo: number; nWo: number;
  qw: number;
  inSigned: boolean;
  outBits: 8 | 32;
  relu: boolean;
  normQuant: boolean;
  perChannelShift: boolean;
  shift: number;
  bias: boolean;
  scaleBits: 8 | 32;
  streamIn: boolean;
  prefetch: boolean;
  wmem: boolean;
  weightOffset: number;
  pad: { top: number; right: number; bottom: number; left: number; value: number };
  /** filter rows / columns switched off (pulp-nnx FILTER_MASK: a non-zero byte masks that edge) */
  mask: { top: boolean; right: boolean; bottom: boolean; left: boolean };
  /** absolute addresses */
  weights: number; infeat: number; outfeat: number; scale: number; scaleShift: number; scaleBias: number;
  inD0: number; inD1: number; outD1: number; outD2: number; wD0: number; wD1: number;
  /** useful MACs (unpadded dimensions, every filter tap) */
  macs: number;
}

/** Where an address range lies: 'l1', 'wmem' (weight memory), 'other' (mapped elsewhere) or null. */
export type Resolve = (addr: number, len: number) => 'l1' | 'wmem' | 'other' | null;

export class JobError extends Error {}

const hex = (v: number) => '0x' + (v >>> 0).toString(16);

/** Decode and check job `id`'s words; throws JobError naming the field. */
export function decodeJob(id: number, w: Uint32Array, resolve: Resolve): NpuJob {
  const bad = (field: JobWordName, what: string): never => {
    throw new JobError(`NPU job ${id}: ${field} (job register ${W[field]}, value ${hex(w[W[field]]!)}): ${what}`);
  };
  const conf = w[W.conf0]!;
  const c = (f: Parameters<typeof conf0Get>[1]) => conf0Get(conf, f);
  const modeBits = c('mode');
  const mode = (Object.keys(MODE) as NpuMode[]).find((m) => MODE[m] === modeBits);
  if (mode === undefined) bad('conf0', `mode ${modeBits} in bits [6:5] is not a mode (0: 3x3, 1: 3x3 depthwise, 2: 1x1)`);
  if (c('mode16')) bad('conf0', 'mode16 (bit 3) is not supported by this model');
  if (c('linear')) bad('conf0', 'linear mode (bit 7) is not supported by this model (use 1x1 with a 1x1 spatial tile)');
  if (!c('layerWeightOffset')) bad('conf0', 'bit 15 (layer-wise weight offset) must be set: the only weight-offset mode modelled');
  const outCode = c('outBits');
  if (outCode !== 0 && outCode !== 2) bad('conf0', `output bits code ${outCode} in [22:21] (0: 8-bit, 2: 32-bit)`);
  const scaleCode = c('scaleBits');
  if (scaleCode !== 0 && scaleCode !== 2) bad('conf0', `scale width code ${scaleCode} in [13:12] (0: 8-bit, 2: 32-bit)`);
  const outBits = outCode === 2 ? 32 : 8;
  const normQuant = c('normQuant') === 1;
  if (!normQuant && outBits === 8) bad('conf0', '8-bit output needs norm/quant (bit 4); without it the output is the 32-bit accumulator');
  const streamIn = c('streamIn') === 1;
  if (streamIn && outBits !== 32) bad('conf0', 'stream-in (bit 14) needs 32-bit output ([22:21] = 2)');
  const qw = c('weightBitsM1') + 1;
  if (qw < 2) bad('conf0', `weight bits ${qw} ([2:0] + 1): N-EUREKA takes 2..8-bit weights`);
  const strided = c('strided2x2') === 1;
  const fs = mode === 'conv1x1' ? 1 : 3;
  if (strided && fs === 1) bad('conf0', 'strided 2x2 (bit 8) needs a 3x3 mode');
  const sub = strided ? GEOMETRY.outSideStrided : GEOMETRY.outSide;
  const subKi = mode === 'conv1x1' ? GEOMETRY.kiConv1x1 : GEOMETRY.kiConv3x3;
  const subKo = mode === 'dw3x3' ? GEOMETRY.kDepthwise : GEOMETRY.ko;
  const dim = (field: JobWordName, n: number, rem: number, size: number, what: string): number => {
    if (n === 0) bad(field, `no ${what} subtiles (count 0)`);
    if (rem > size) bad(field, `${what} remainder ${rem} exceeds the subtile size ${size}`);
    return (n - (rem ? 1 : 0)) * size + rem;
  };
  const nb0 = w[W.nb0]!, nb1 = w[W.nb1]!, rem0 = w[W.rem0]!, rem1 = w[W.rem1]!;
  const nKo = nb0 >>> 16, nKi = nb0 & 0xffff, nHo = nb1 >>> 16, nWo = nb1 & 0xffff;
  const ko = dim('nb0', nKo, rem0 >>> 16, subKo, 'output-channel');
  const ki = dim('nb0', nKi, rem0 & 0xffff, subKi, 'input-channel');
  const ho = dim('nb1', nHo, rem1 >>> 16, sub, 'output-row');
  const wo = dim('nb1', nWo, rem1 & 0xffff, sub, 'output-column');
  if (mode === 'dw3x3' && (nKo !== nKi || ko !== ki)) bad('nb0', `depthwise needs as many output as input channels (NB0/REM0 give ${ko} and ${ki})`);
  const stride = strided ? 2 : 1;
  const hin = (ho - 1) * stride + fs, win = (wo - 1) * stride + fs;
  const p = w[W.padding]!;
  const pad = { top: p >>> 28, right: (p >>> 24) & 15, bottom: (p >>> 20) & 15, left: (p >>> 16) & 15, value: p & 0xff };
  if (pad.top + pad.bottom >= hin || pad.left + pad.right >= win) bad('padding', `padding leaves no input pixel (padded input ${hin}x${win})`);
  const fm = w[W.filterMask]!;
  const mask = { top: (fm >>> 24) !== 0, right: ((fm >>> 16) & 0xff) !== 0, bottom: ((fm >>> 8) & 0xff) !== 0, left: (fm & 0xff) !== 0 };
  if (fs === 1 && fm !== 0) bad('filterMask', 'a filter mask needs a 3x3 mode');
  const wmem = c('weightsFromWmem') === 1;
  const j: NpuJob = {
    id, mode: mode!, fs, stride, ko, ki, ho, wo, hin, win, sub, subKo, subKi, nKo, nKi, nHo, nWo, qw,
    inSigned: c('inSigned') === 1, outBits, relu: c('identity') === 0, normQuant,
    perChannelShift: c('perChannelShift') === 1, shift: c('shift'), bias: c('bias') === 1,
    scaleBits: scaleCode === 2 ? 32 : 8, streamIn, prefetch: c('prefetch') === 1, wmem,
    weightOffset: w[W.weightOffset]! | 0, pad, mask,
    weights: wmem ? (WMEM_BASE + w[W.weights]!) >>> 0 : w[W.weights]!,
    infeat: w[W.infeat]!, outfeat: w[W.outfeat]!, scale: w[W.scale]!, scaleShift: w[W.scaleShift]!, scaleBias: w[W.scaleBias]!,
    inD0: w[W.inD0]! | 0, inD1: w[W.inD1]! | 0, outD1: w[W.outD1]! | 0, outD2: w[W.outD2]! | 0, wD0: w[W.wD0]! | 0, wD1: w[W.wD1]! | 0,
    macs: mode === 'dw3x3' ? ho * wo * ko * 9 : ho * wo * ko * ki * fs * fs,
  };
  checkMemory(j, bad, resolve);
  return j;
}

/** [first, last] byte of a 2D pattern base + y*dy + x*dx + [0, len) over y < ny, x < nx. */
function extent(base: number, ny: number, dy: number, nx: number, dx: number, len: number): [number, number] {
  let lo = base, hi = base;
  for (const y of [0, ny - 1]) for (const x of [0, nx - 1]) {
    const a = base + y * dy + x * dx;
    if (a < lo) lo = a;
    if (a + len - 1 > hi) hi = a + len - 1;
  }
  return [lo, hi];
}

type Pointer = 'weights' | 'infeat' | 'outfeat' | 'scale' | 'scaleShift' | 'scaleBias';

function checkMemory(j: NpuJob, bad: (f: JobWordName, what: string) => never, resolve: Resolve): void {
  const need = (field: Pointer, [lo, hi]: [number, number], where: 'l1' | 'weights', align: number) => {
    const a = j[field];
    if (align > 1 && a % align !== 0) bad(field, `address ${hex(a)} is not ${align}-byte aligned`);
    const r = lo < 0 || hi > 0xffffffff ? null : resolve(lo, hi - lo + 1);
    const range = `${hex(lo)}..${hex(hi + 1)}`;
    if (r === null) bad(field, `bytes ${range} are not mapped memory`);
    if (where === 'l1' && r !== 'l1') bad(field, `bytes ${range} are not in L1 (the NPU reaches activations, scales and biases through its L1 port)`);
    if (where === 'weights' && r !== (j.wmem ? 'wmem' : 'l1'))
      bad(field, `bytes ${range} are not in ${j.wmem ? 'weight memory (CONF0 bit 9 set: the pointer is relative to 0x10400000)' : 'L1 (CONF0 bit 9 clear)'}`);
  };
  const ob = j.outBits / 8;
  if (ob === 4 && (j.outD1 % 4 !== 0 || j.outD2 % 4 !== 0)) bad('outD1', `32-bit output strides ${j.outD1}, ${j.outD2} are not multiples of 4`);
  const { top, right, bottom, left } = j.pad;
  need('infeat', extent(j.infeat + top * j.inD1 + left * j.inD0, j.hin - top - bottom, j.inD1, j.win - left - right, j.inD0, j.ki), 'l1', 1);
  need('outfeat', extent(j.outfeat, j.ho, j.outD2, j.wo, j.outD1, j.ko * ob), 'l1', ob);
  const words = j.mode === 'conv1x1' ? j.nKi : j.nKi * j.qw;
  const rows = j.mode === 'dw3x3' ? 1 : j.ko;
  need('weights', extent(j.weights, rows, j.wD1, words, j.wD0, 32), 'weights', 4);
  if (j.normQuant) {
    need('scale', [j.scale, j.scale + j.ko * (j.scaleBits / 8) - 1], 'l1', j.scaleBits / 8);
    if (j.perChannelShift) need('scaleShift', [j.scaleShift, j.scaleShift + j.ko - 1], 'l1', 1);
    if (j.bias) need('scaleBias', [j.scaleBias, j.scaleBias + j.ko * 4 - 1], 'l1', 4);
  }
}
