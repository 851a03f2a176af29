// The job-queue protocol (programs/protocol.c), the exact timing of one job per mode (hand-computed
// from neureka.md's formulas), and bad jobs as simulated faults (programs/faults.c).
import { describe, expect, it, beforeAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { runCluster } from '../../src/sim/cluster/cluster.js';
import { buildNpuProgram, makeJob, rngFor, runJobs, type TestJob } from './harness.js';
import { fields } from '../cluster/helpers.js';
import { reference } from './reference.js';

const rng = rngFor('npu-protocol');
/** a 3x3 job of about 6000 cycles: longer than the core takes to submit the next one */
const conv = () => makeJob(rng, { mode: 'conv3x3', ko: 64, ki: 56, ho: 12, wo: 12 });

describe('protocol', () => {
  const run = async (kase: number, jobs: TestJob[]) => {
    const elf = await buildNpuProgram('protocol', [`CASE=${kase}`], `-${kase}`);
    const [r] = runJobs(elf, jobs);
    expect(r!.result.fault).toBeUndefined();
    return r!;
  };
  it('two jobs take both contexts (STATUS bits 0 and 8); ACQUIRE then answers >= 256; both run, in order', async () => {
    const r = await run(1, [conv(), conv()]);
    const f = fields(r.stdout, 'queue');
    expect(f).toMatchObject({ a: 0, b: 1, s1: 0x1, s2: 0x101, s3: 0, finished: 2 });
    expect(f.full).toBeGreaterThanOrEqual(256);
    expect(r.stats.map((s) => s.id)).toEqual([0, 1]);
    expect(r.stats[1]!.start).toBeGreaterThan(r.stats[0]!.end);
    r.placed.forEach((p, i) => expect(r.outputs[i]).toEqual(reference(p.job)));
  });
  it('event 12 wakes the core sleeping in the event unit when the job ends', async () => {
    const r = await run(2, [conv()]);
    const f = fields(r.stdout, 'wake');
    expect(f.ev! & (1 << 12)).not.toBe(0);
    expect(f.status).toBe(0);
    const job = r.stats[0]!;
    // slept through the job: it wakes at the end + the event unit's wake-up (2), never before
    expect(f.slept).toBeGreaterThanOrEqual(job.end - job.trigger);
    expect(f.slept).toBeLessThanOrEqual(job.end - job.trigger + 12);
    expect(r.result.cores[0]!.sleepCycles).toBeGreaterThanOrEqual(job.busyCycles - 12);
  });
  it('SOFT_CLEAR drops the committed and the acquired job: no run, STATUS 0, ids restart at 0', async () => {
    const r = await run(3, [conv()]);
    expect(fields(r.stdout, 'clear')).toMatchObject({ a: 0, b: 1, s1: 0x101, s2: 0, c: 0, finished: 0 });
    expect(r.stats).toEqual([]);
  });
  it('a committed-only job waits for the next TRIGGER 0; then both run in order', async () => {
    const r = await run(4, [conv(), conv()]);
    expect(fields(r.stdout, 'commit')).toMatchObject({ a: 0, b: 1, s1: 0x1, finished: 2, running: 1 });
    expect(r.stats[1]!.start).toBeGreaterThan(r.stats[0]!.end);
  });
});

// Busy cycles of one job (start to end), computed by hand from neureka.md "Timing":
//   load = LOAD_PREPARE 6 + one access per input pixel (3x3: 8x8 = 64, strided 7x7 = 49;
//          1x1: 36 + (36 - pixels loaded) + 6)
//   matrix-vector = MATRIXVEC_PREPARE (3x3 6, 1x1 10, with prefetch 6 / 3; depthwise 34) +
//          3x3: Ko x qw + 8;  1x1: Ko;  depthwise: 28 channels x qw
//   normquant = [NORM_SHIFT 1 + 7] + NORM_MULT 8 + 9 + NORM_BIAS 4 + 8 = 29 (37 per-channel)
//   streamout = one access per pixel (four for 32-bit), + 3 in 1x1; stream-in = 4 per pixel + 10
//   + JOB_END 1. No core touches L1 during the job, so no bank waits.
describe('timing: one job per mode, exact', () => {
  const cases: [string, TestJob, number][] = [
    ['1x1', makeJob(rng, { mode: 'conv1x1', ko: 32, ki: 32, ho: 6, wo: 6 }), 48 + (10 + 32) + 29 + (36 + 3) + 1],
    ['3x3', makeJob(rng, { mode: 'conv3x3', ko: 32, ki: 28, ho: 6, wo: 6 }), 70 + (6 + 32 * 8 + 8) + 29 + 36 + 1],
    ['3x3 depthwise', makeJob(rng, { mode: 'dw3x3', ko: 28, ki: 28, ho: 6, wo: 6 }), 70 + (34 + 28 * 8) + 29 + 36 + 1],
    ['3x3 strided 2x2', makeJob(rng, { mode: 'conv3x3', ko: 32, ki: 28, ho: 3, wo: 3, stride: 2 }), 6 + 49 + (6 + 256 + 8) + 29 + 9 + 1],
    ['3x3 stream-in, per-channel shift, 4-bit weights, 32-bit out',
      makeJob(rng, { mode: 'conv3x3', ko: 32, ki: 28, ho: 6, wo: 6, qw: 4, woff: -8, outBits: 32, streamIn: true }, { perChannelShift: true }),
      (36 * 4 + 10) + 70 + (6 + 32 * 4 + 8) + 37 + 36 * 4 + 1],
    // prefetch: Ki subtile 0's matrix-vector (3 + 32) hides under subtile 1's load (3 + 36 + 6):
    // only the prepare (3) is paid; the last subtile's 32 are paid in full
    ['1x1 prefetch, 2 Ki subtiles, weights in weight memory, 32-bit out, no normquant',
      makeJob(rng, { mode: 'conv1x1', ko: 32, ki: 64, ho: 6, wo: 6, prefetch: true, wmem: true, outBits: 32, normQuant: false }),
      (48 + 3) + (48 + 3 + 32) + (36 * 4 + 3) + 1],
    // remainders everywhere: spatial tiles of 36, 6, 6 and 1 pixels x Ko subtiles of 32 and 8 x Ki subtiles of 32 and 8
    ['1x1 with remainders', makeJob(rng, { mode: 'conv1x1', ko: 40, ki: 40, ho: 7, wo: 7 }),
      [36, 6, 6, 1].reduce((s, px) => s + [32, 8].reduce((t, ko) => t + 2 * (48 + 10) + 2 * ko + 29 + px + 3, 0), 0) + 1],
  ];
  let stats: { busyCycles: number; stallCycles: number }[];
  let outputsOk: boolean[];
  beforeAll(async () => {
    const elf = await buildNpuProgram('jobs');
    const runs = runJobs(elf, cases.map((c) => c[1]), 1);
    stats = runs.flatMap((r) => r.stats);
    outputsOk = runs.flatMap((r) => r.placed.map((p, i) => JSON.stringify(r.outputs[i]) === JSON.stringify(reference(p.job))));
  });
  cases.forEach(([name, , want], i) =>
    it(`${name}: ${want} cycles`, () => {
      expect(outputsOk[i]).toBe(true);
      expect(stats[i]!.stallCycles).toBe(0);
      expect(stats[i]!.busyCycles).toBe(want);
    }),
  );
});

describe('bad jobs: a simulated fault naming the NPU, the job and the field', () => {
  const want = [
    /NPU job 0: conf0 \(job register 23, value 0x[0-9a-f]+\): mode 3 in bits \[6:5\] is not a mode/,
    /NPU job 0: outfeat \(job register 2, value 0x[0-9a-f]+\): address 0x[0-9a-f]+ is not 4-byte aligned/,
    /NPU job 0: infeat \(job register 1, value 0x30000000\): bytes 0x30000000\.\.0x[0-9a-f]+ are not mapped memory/,
    /NPU: job register 0 written without an acquired job/,
  ];
  want.forEach((re, k) =>
    it(`case ${k + 1}: ${re.source.slice(0, 40)}...`, async () => {
      const r = runCluster(await buildNpuProgram('faults', [`CASE=${k + 1}`], `-${k + 1}`));
      expect(r.exitCode).toBe(3);
      expect(r.fault).toMatch(/^core 0: pc 0x[0-9a-f]{8}: /);
      expect(r.fault).toMatch(re);
    }),
  );
  it('a TRIGGER with nothing acquired is a fault too', async () => {
    const r = runCluster(await buildNpuProgram('faults', ['CASE=5'], '-5'));
    expect(r.fault).toMatch(/NPU: TRIGGER written \(0\) without an acquired job/);
  });
  it('deeploy-sim run exits 3 with the one-line message', async () => {
    const main = join(import.meta.dirname, '../../dist/src/cli/main.js');
    const r = spawnSync(process.execPath, [main, 'run', await buildNpuProgram('faults', ['CASE=1'], '-1')], { encoding: 'utf8' });
    expect(r.status).toBe(3);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^deeploy-sim: core 0: pc 0x[0-9a-f]{8}: .*NPU job 0: conf0/);
  });
});

describe('interconnect priority (cluster ctrl 0x10200018)', () => {
  it('the NPU and 8 cores reading L1 compete for banks: cores first by default, NPU first with bit 8, max stall 0 never waits', async () => {
    const elf = await buildNpuProgram('contend');
    const job = makeJob(rng, { mode: 'conv3x3', ko: 64, ki: 56, ho: 12, wo: 12 });
    const run = (mode: number) => {
      const [r] = runJobs(elf, [job], mode);
      expect(r!.result.fault).toBeUndefined();
      expect(r!.outputs[0]).toEqual(reference(job));
      return { npu: r!.stats[0]!.stallCycles, cores: r!.result.bankConflicts };
    };
    const coresFirst = run(0), npuFirst = run(2), noWait = run(4);
    expect(coresFirst.npu).toBeGreaterThan(0);
    expect(npuFirst.npu).toBeLessThan(coresFirst.npu);
    expect(npuFirst.cores).toBeGreaterThan(coresFirst.cores);
    expect(noWait.npu).toBe(0);
  });
});
