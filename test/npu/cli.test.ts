// `deeploy-sim run` on a program that uses the NPU: the JSON summary's npu entry, the energy row,
// and the NPU track of --trace (the built CLI in a child process, as a user runs it).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { energyTable } from '../../src/sim/energy.js';
import { buildNpuProgram, OUT } from './harness.js';

const MAIN = join(import.meta.dirname, '../../dist/src/cli/main.js');

describe('deeploy-sim run with an NPU job', () => {
  it('--json has npu {jobs, busyCycles, macs, stallCycles} and charges npuMac; --trace has an NPU track', async () => {
    const elf = await buildNpuProgram('faults', ['CASE=0'], '-0');
    const trace = join(OUT, 'npu-trace.json');
    const r = spawnSync(process.execPath, [MAIN, 'run', elf, '--json', '--trace', trace], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('npu ok');
    const lines = r.stdout.trim().split('\n');
    const j = JSON.parse(lines[lines.length - 1]!);
    // one 1x1 job, 32 -> 32 channels on 6x6 pixels: 36 x 32 x 32 MACs; 159 cycles (test/npu/protocol.test.ts "1x1")
    expect(j.npu).toEqual({ jobs: 1, busyCycles: 159, macs: 36 * 32 * 32, stallCycles: 0 });
    expect(j.energy.byEntryUJ.npuMac).toBeCloseTo(36 * 32 * 32 * energyTable.npuMac.pj * 1e-6, 12);
    const t = JSON.parse(readFileSync(trace, 'utf8')) as { traceEvents: { name: string; ph: string; tid: number; args?: { name?: string } }[] };
    const track = t.traceEvents.find((e) => e.name === 'thread_name' && e.args?.name === 'NPU (N-EUREKA)');
    expect(track).toBeDefined();
    expect(t.traceEvents.filter((e) => e.ph === 'X' && e.tid === track!.tid).map((e) => e.name)).toEqual(['job 0 conv1x1']);
  });
});

describe('examples/npu', () => {
  it('the README example: a 1x1 conv on the NPU matches core 0 computing it', async () => {
    const { buildProgram } = await import('../../src/runtime/build.js');
    const { runCluster } = await import('../../src/sim/cluster/cluster.js');
    const elf = join(OUT, 'example-npu.elf');
    await buildProgram({ sources: [join(import.meta.dirname, '../../examples/npu/main.c')], out: elf });
    const r = runCluster(elf);
    expect(r.exitCode).toBe(0);
    expect(new TextDecoder().decode(r.stdout)).toMatch(/^npu: 36 pixels x 32 channels, 0 mismatches; NPU \d+ cycles/);
    // 2 Ki subtiles x (load 48 + prepare 10 + 32 outputs) + normquant 29 + streamout 36 + 3 + end 1
    expect(r.engines.npu).toEqual({ jobs: 1, busyCycles: 2 * (48 + 10 + 32) + 29 + 39 + 1, macs: 36 * 32 * 48, stallCycles: 0 });
  });
});
