// Host side of the NPU tests: random jobs (seeded), their placement in the L1 arena / weight
// memory of a C program (programs/jobs.c), the 24 job words, a batch runner on the simulated
// cluster, and the outputs read back from simulated memory.
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import seedrandom from 'seedrandom';
import { buildProgram, RUNTIME_DIR } from '../../src/runtime/build.js';
import { Cluster, type ClusterResult } from '../../src/sim/cluster/cluster.js';
import { parseElf } from '../../src/sim/elf.js';
import { packWeights } from '../../npu-model/pack.js';
import { conf0, JOB_WORDS, MODE, W, WMEM_BASE } from '../../npu-model/regs.js';
import type { Neureka, NpuJobStats } from '../../npu-model/device.js';
import type { Mode, RefJob } from './reference.js';

const here = dirname(fileURLToPath(import.meta.url));
export const OUT = join(here, '..', '.out', 'npu');

export async function buildNpuProgram(name: string, defines: string[] = [], tag = ''): Promise<string> {
  const out = join(OUT, `${name}${tag}.elf`);
  await buildProgram({ sources: [join(here, 'programs', `${name}.c`), join(RUNTIME_DIR, 'cluster.c')], out, defines });
  return out;
}

/** A job: the reference's view plus what only the placement needs. */
export interface TestJob extends RefJob {
  qw: number;
  woff: number;
  scaleBits: 8 | 32;
  prefetch: boolean;
  wmem: boolean;
  /** extra bytes between pixels / rows of the input and output (strides larger than dense) */
  gapIn: [number, number];
  gapOut: [number, number];
}

const SUB = { conv3x3: { ki: 28, ko: 32 }, dw3x3: { ki: 28, ko: 28 }, conv1x1: { ki: 32, ko: 32 } } as const;

/** A random job: every mode, remainders on every dimension, strides, paddings, bit widths... */
export function randomJob(rng: () => number, mode?: Mode): TestJob {
  const int = (lo: number, hi: number) => lo + Math.floor(rng() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)]!;
  const chance = (p: number) => rng() < p;
  const m: Mode = mode ?? pick(['conv3x3', 'dw3x3', 'conv1x1'] as const);
  const fs = m === 'conv1x1' ? 1 : 3;
  const stride = fs === 3 && chance(0.25) ? 2 : 1;
  const side = stride === 2 ? 3 : 6;
  // sizes: within one subtile, or past it (a remainder subtile)
  const dim = (sub: number, max: number) => (chance(0.5) ? int(1, sub) : int(sub + 1, max));
  const ho = dim(side, side + 3), wo = dim(side, side + 3);
  const ki = dim(SUB[m].ki, m === 'conv1x1' ? 70 : 40);
  const ko = m === 'dw3x3' ? ki : dim(32, 40);
  const hin = (ho - 1) * stride + fs, win = (wo - 1) * stride + fs;
  const padN = (n: number) => (chance(0.5) ? 0 : int(0, Math.min(2, n)));
  const top = padN(hin - 1), bottom = padN(hin - 1 - top), left = padN(win - 1), right = padN(win - 1 - left);
  const hr = hin - top - bottom, wr = win - left - right;
  const inSigned = chance(0.5);
  const x = Array.from({ length: hr * wr * ki }, () => (inSigned ? int(-128, 127) : int(0, 255)));
  const qw = int(2, 8);
  const woff = chance(0.7) ? -(1 << (qw - 1)) : int(-(1 << (qw - 1)) - 4, 0);
  const nw = (m === 'dw3x3' ? ko : ko * ki) * fs * fs;
  const w = Array.from({ length: nw }, () => woff + int(0, (1 << qw) - 1));
  const outBits = chance(0.35) ? 32 : 8;
  const normQuant = outBits === 8 || chance(0.6);
  const streamIn = outBits === 32 && chance(0.5);
  const init = streamIn ? Array.from({ length: ho * wo * ko }, () => int(-100000, 100000)) : [];
  const scaleBits = chance(0.5) ? 8 : 32;
  const scale = Array.from({ length: ko }, () => (scaleBits === 8 ? int(0, 255) : chance(0.1) ? int(0, 0x7fffffff) * 2 : int(0, 1 << 16)));
  const bias = chance(0.6) ? Array.from({ length: ko }, () => (chance(0.05) ? int(-0x7fffffff, 0x7fffffff) : int(-(1 << 20), 1 << 20))) : null;
  const shifts = chance(0.4) ? Array.from({ length: ko }, () => int(0, 31)) : null;
  const shift = int(0, 31);
  const mask = { top: false, right: false, bottom: false, left: false };
  if (fs === 3 && chance(0.25)) for (const k of ['top', 'right', 'bottom', 'left'] as const) mask[k] = chance(0.4);
  return {
    mode: m, stride, ko, ki, ho, wo, hr, wr, inSigned, x,
    pad: { top, right, bottom, left, value: int(0, 255) }, mask, w, streamIn, init, normQuant,
    scale, bias, shifts, shift, relu: chance(0.5), outBits, qw, woff, scaleBits,
    prefetch: chance(0.5), wmem: chance(0.5),
    gapIn: [chance(0.3) ? int(1, 5) : 0, chance(0.3) ? int(1, 9) : 0],
    gapOut: [chance(0.3) ? 4 * int(1, 2) : 0, chance(0.3) ? 4 * int(1, 3) : 0],
  };
}

/** Where a job's buffers went, and its 24 words. */
export interface Placed {
  job: TestJob;
  words: Uint32Array;
  out: number;
  outD1: number;
  outD2: number;
  /** the bytes to write before the run */
  writes: { addr: number; data: Uint8Array }[];
}

class Arena {
  constructor(public next: number, readonly end: number) {}
  take(n: number, align: number): number | null {
    const a = Math.ceil(this.next / align) * align;
    if (a + n > this.end) return null;
    this.next = a + n;
    return a;
  }
}

const le32 = (vals: number[]) => {
  const b = new Uint8Array(vals.length * 4);
  const dv = new DataView(b.buffer);
  vals.forEach((v, i) => dv.setUint32(i * 4, v >>> 0, true));
  return b;
};

/** Place job j in the arenas; null when it does not fit (the batch is full). */
function place(j: TestJob, l1: Arena, wmem: Arena): Placed | null {
  const fs = j.mode === 'conv1x1' ? 1 : 3;
  const ob = j.outBits / 8;
  const inD0 = j.ki + j.gapIn[0], inD1 = j.wr * inD0 + j.gapIn[1];
  const outD1 = j.ko * ob + j.gapOut[0], outD2 = j.wo * outD1 + j.gapOut[1];
  const packed = packWeights(j.mode, j.qw, j.ko, j.ki, j.w, j.woff);
  const save = [l1.next, wmem.next];
  const inSize = (j.hr - 1) * inD1 + (j.wr - 1) * inD0 + j.ki;
  const outSize = (j.ho - 1) * outD2 + (j.wo - 1) * outD1 + j.ko * ob;
  const inA = l1.take(inSize, 1), outA = l1.take(outSize, 4);
  const wA = j.wmem ? wmem.take(packed.bytes.length, 32) : l1.take(packed.bytes.length, 32);
  const sA = l1.take(j.ko * (j.scaleBits / 8), 4), shA = l1.take(j.ko, 1), bA = l1.take(j.ko * 4, 4);
  if ([inA, outA, wA, sA, shA, bA].some((a) => a === null)) {
    [l1.next, wmem.next] = save;
    return null;
  }
  const writes: Placed['writes'] = [];
  const inBytes = new Uint8Array(inSize);
  for (let y = 0; y < j.hr; y++) for (let x = 0; x < j.wr; x++) for (let c = 0; c < j.ki; c++) inBytes[y * inD1 + x * inD0 + c] = j.x[(y * j.wr + x) * j.ki + c]! & 0xff;
  writes.push({ addr: inA!, data: inBytes });
  const outBytes = new Uint8Array(outSize).fill(0xa5); // a sentinel the NPU must overwrite
  if (j.streamIn) {
    const dv = new DataView(outBytes.buffer);
    for (let y = 0; y < j.ho; y++) for (let x = 0; x < j.wo; x++) for (let k = 0; k < j.ko; k++) dv.setInt32(y * outD2 + x * outD1 + k * 4, j.init[(y * j.wo + x) * j.ko + k]!, true);
  }
  writes.push({ addr: outA!, data: outBytes });
  writes.push({ addr: wA!, data: packed.bytes });
  writes.push({ addr: sA!, data: j.scaleBits === 8 ? Uint8Array.from(j.scale) : le32(j.scale) });
  writes.push({ addr: shA!, data: Uint8Array.from(j.shifts ?? new Array<number>(j.ko).fill(0)) });
  writes.push({ addr: bA!, data: le32(j.bias ?? new Array<number>(j.ko).fill(0)) });
  const sub = SUB[j.mode];
  const side = j.stride === 2 ? 3 : 6;
  const nb = (n: number, s: number) => Math.ceil(n / s);
  const words = new Uint32Array(JOB_WORDS);
  words[W.weights] = j.wmem ? wA! - WMEM_BASE : wA!;
  words[W.infeat] = inA! - j.pad.top * inD1 - j.pad.left * inD0;
  words[W.outfeat] = outA!;
  words[W.scale] = sA!;
  words[W.scaleShift] = shA!;
  words[W.scaleBias] = bA!;
  words[W.inD0] = inD0;
  words[W.inD1] = inD1;
  words[W.outD0] = 32;
  words[W.outD1] = outD1;
  words[W.outD2] = outD2;
  [words[W.wD0], words[W.wD1], words[W.wD2]] = packed.strides;
  words[W.rem0] = ((j.ko % sub.ko) << 16) | j.ki % sub.ki;
  words[W.rem1] = ((j.ho % side) << 16) | j.wo % side;
  words[W.nb0] = (nb(j.ko, sub.ko) << 16) | nb(j.ki, sub.ki);
  words[W.nb1] = (nb(j.ho, side) << 16) | nb(j.wo, side);
  words[W.padding] = ((j.pad.top << 28) | (j.pad.right << 24) | (j.pad.bottom << 20) | (j.pad.left << 16) | j.pad.value) >>> 0;
  words[W.weightOffset] = j.woff >>> 0;
  words[W.filterMask] = (((j.mask.top ? 1 : 0) << 24) | ((j.mask.right ? 1 : 0) << 16) | ((j.mask.bottom ? 1 : 0) << 8) | (j.mask.left ? 1 : 0)) >>> 0;
  words[W.conf0] = conf0({
    inSigned: j.inSigned ? 1 : 0, bias: j.bias ? 1 : 0, perChannelShift: j.shifts ? 1 : 0, identity: j.relu ? 0 : 1,
    outBits: j.outBits === 32 ? 2 : 0, shift: j.shift, layerWeightOffset: 1, streamIn: j.streamIn ? 1 : 0,
    scaleBits: j.scaleBits === 32 ? 2 : 0, prefetch: j.prefetch ? 1 : 0, weightsFromWmem: j.wmem ? 1 : 0,
    strided2x2: j.stride === 2 ? 1 : 0, mode: MODE[j.mode], normQuant: j.normQuant ? 1 : 0, weightBitsM1: j.qw - 1,
  });
  return { job: j, words, out: outA!, outD1, outD2, writes };
}

export interface BatchResult {
  result: ClusterResult;
  /** outputs [ho][wo][ko] per job, as the reference gives them */
  outputs: number[][];
  stats: NpuJobStats[];
  placed: Placed[];
  stdout: string;
}

/**
 * Run jobs on the program `elf` (jobs.c or protocol.c), as many per run as fit; mode bit 0: wait
 * for each job, bit 1: NPU priority. Returns one BatchResult per run.
 */
export function runJobs(elf: string, jobs: TestJob[], mode = 0, maxPerRun = 128): BatchResult[] {
  const sym = parseElf(new Uint8Array(readFileSync(elf)), elf).symbols;
  const s = (n: string) => {
    const a = sym.get(n);
    if (a === undefined) throw new Error(`${elf}: no symbol ${n}`);
    return a;
  };
  const runs: BatchResult[] = [];
  let k = 0;
  while (k < jobs.length) {
    const l1 = new Arena(s('__l1_heap_start'), s('__l1_heap_end'));
    const wm = new Arena(s('__wmem_free_start'), s('__wmem_end'));
    const placed: Placed[] = [];
    while (k < jobs.length && placed.length < maxPerRun) {
      const p = place(jobs[k]!, l1, wm);
      if (!p) break;
      placed.push(p);
      k++;
    }
    if (placed.length === 0) throw new Error(`job ${k} does not fit in an empty arena`);
    const cl = new Cluster(elf, { cores: 8 });
    const m = cl.memory;
    for (const p of placed) for (const w of p.writes) m.writeBytes(w.addr, w.data);
    placed.forEach((p, i) => {
      const bytes = new Uint8Array(p.words.buffer.slice(0));
      m.writeBytes(s('npu_jobs') + i * JOB_WORDS * 4, bytes);
    });
    m.write32(s('npu_njobs'), placed.length);
    m.write32(s('npu_mode'), mode);
    const result = cl.run();
    const outputs = placed.map((p) => {
      const j = p.job;
      const ob = j.outBits / 8;
      const o: number[] = [];
      for (let y = 0; y < j.ho; y++)
        for (let x = 0; x < j.wo; x++) {
          const b = m.readBytes(p.out + y * p.outD2 + x * p.outD1, j.ko * ob);
          const dv = new DataView(b.buffer);
          for (let c = 0; c < j.ko; c++) o.push(ob === 4 ? dv.getInt32(c * 4, true) : j.relu ? b[c]! : (b[c]! << 24) >> 24);
        }
      return o;
    });
    const npu = cl.devices.find((d) => d.name === 'npu') as Neureka;
    runs.push({ result, outputs, stats: [...npu.jobStats], placed, stdout: new TextDecoder().decode(result.stdout) });
  }
  return runs;
}

export function rngFor(seed: string): () => number {
  return seedrandom(seed);
}

/** A job of a given shape and options, random data (the timing and protocol tests). */
export function makeJob(
  rng: () => number,
  shape: Partial<Omit<TestJob, 'x' | 'w' | 'init' | 'scale' | 'bias' | 'shifts'>> & { mode: Mode; ko: number; ki: number; ho: number; wo: number },
  opts: { bias?: boolean; perChannelShift?: boolean } = {},
): TestJob {
  const base = randomJob(rng, shape.mode);
  const j: TestJob = {
    ...base, stride: 1, qw: 8, woff: -128, outBits: 8, normQuant: true, streamIn: false, prefetch: false, wmem: false,
    scaleBits: 8, relu: true, pad: { top: 0, right: 0, bottom: 0, left: 0, value: 0 }, mask: { top: false, right: false, bottom: false, left: false },
    gapIn: [0, 0], gapOut: [0, 0], ...shape,
  };
  const fs = j.mode === 'conv1x1' ? 1 : 3;
  const int = (lo: number, hi: number) => lo + Math.floor(rng() * (hi - lo + 1));
  j.hr = (j.ho - 1) * j.stride + fs - j.pad.top - j.pad.bottom;
  j.wr = (j.wo - 1) * j.stride + fs - j.pad.left - j.pad.right;
  j.x = Array.from({ length: j.hr * j.wr * j.ki }, () => (j.inSigned ? int(-128, 127) : int(0, 255)));
  j.w = Array.from({ length: (j.mode === 'dw3x3' ? j.ko : j.ko * j.ki) * fs * fs }, () => j.woff + int(0, (1 << j.qw) - 1));
  j.init = j.streamIn ? Array.from({ length: j.ho * j.wo * j.ko }, () => int(-1000, 1000)) : [];
  j.scale = Array.from({ length: j.ko }, () => int(0, 255));
  j.bias = opts.bias === false ? null : Array.from({ length: j.ko }, () => int(-5000, 5000));
  j.shifts = opts.perChannelShift ? Array.from({ length: j.ko }, () => int(0, 12)) : null;
  j.shift = 8;
  return j;
}
