// >= 1000 seeded random NPU jobs, every mode and option, run through the register interface by a
// C program on the simulated cluster (programs/jobs.c, many jobs per run), each output compared
// element for element with the independent reference (reference.ts).
import { describe, expect, it, beforeAll } from 'vitest';
import { buildNpuProgram, randomJob, rngFor, runJobs, type BatchResult, type TestJob } from './harness.js';
import { reference } from './reference.js';

const N = 1020;

describe('random jobs vs the independent reference', () => {
  let jobs: TestJob[];
  let runs: BatchResult[];
  beforeAll(async () => {
    const elf = await buildNpuProgram('jobs');
    const rng = rngFor('npu-random-1');
    jobs = Array.from({ length: N }, (_, i) => randomJob(rng, (['conv3x3', 'dw3x3', 'conv1x1'] as const)[i % 3]));
    // half queued two at a time, half one by one; NPU priority on every other run
    const half = N / 2;
    runs = [...runJobs(elf, jobs.slice(0, half), 0), ...runJobs(elf, jobs.slice(half), 3)];
  });

  it('every run ends normally and runs all its jobs', () => {
    for (const r of runs) {
      expect(r.result.fault).toBeUndefined();
      expect(r.result.exitCode).toBe(0);
      expect(r.stats.length).toBe(r.placed.length);
      expect(r.stdout).toContain(`finished=${r.placed.length}`);
    }
    expect(runs.reduce((s, r) => s + r.placed.length, 0)).toBe(N);
  });

  it('covers every option', () => {
    const has = (f: (j: TestJob) => boolean) => jobs.filter(f).length;
    for (const [name, f] of Object.entries({
      strided: (j: TestJob) => j.stride === 2, padded: (j: TestJob) => j.pad.top + j.pad.left + j.pad.bottom + j.pad.right > 0,
      masked: (j: TestJob) => j.mask.top || j.mask.left, out32: (j: TestJob) => j.outBits === 32, streamIn: (j: TestJob) => j.streamIn,
      noQuant: (j: TestJob) => !j.normQuant, perChannelShift: (j: TestJob) => j.shifts !== null, bias: (j: TestJob) => j.bias !== null,
      relu: (j: TestJob) => j.relu, signed: (j: TestJob) => j.inSigned, wmem: (j: TestJob) => j.wmem, prefetch: (j: TestJob) => j.prefetch,
      scale32: (j: TestJob) => j.scaleBits === 32, qw2: (j: TestJob) => j.qw === 2, qw8: (j: TestJob) => j.qw === 8,
      koRemainder: (j: TestJob) => j.ko > 32 && j.ko % 32 !== 0, kiRemainder: (j: TestJob) => j.ki > 28 && j.ki % 28 !== 0,
      hoRemainder: (j: TestJob) => j.ho > 6 && j.stride === 1, woRemainder: (j: TestJob) => j.wo > 6 && j.stride === 1,
    }))
      expect(has(f), name).toBeGreaterThan(10);
  });

  it('every output equals the reference', () => {
    let checked = 0;
    for (const r of runs)
      r.placed.forEach((p, i) => {
        const want = reference(p.job);
        const got = r.outputs[i]!;
        if (got.some((v, k) => v !== want[k])) {
          const k = got.findIndex((v, q) => v !== want[q]);
          const { x, w, init, scale, bias, shifts, ...shape } = p.job;
          void x, w, init, scale, bias, shifts;
          expect.fail(`job ${checked} (${JSON.stringify(shape)}): element ${k} is ${got[k]}, reference ${want[k]}`);
        }
        checked++;
      });
    expect(checked).toBe(N);
  });

  it('queued jobs run one after the other, each after its trigger', () => {
    for (const r of runs)
      r.stats.forEach((s, i) => {
        expect(s.start).toBeGreaterThan(s.trigger);
        if (i > 0) expect(s.start).toBeGreaterThan(r.stats[i - 1]!.end);
      });
  });
});
