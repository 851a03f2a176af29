// `deeploy-sim run` with the cluster options, as a user runs it: the built CLI in a child process
// (npm run build first).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { build, OUT } from './helpers.js';
import { energyTable } from '../../src/sim/energy.js';

const MAIN = join(import.meta.dirname, '../../dist/src/cli/main.js');
function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [MAIN, 'run', ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

beforeAll(() => {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` before these tests`);
});

describe('deeploy-sim run (cluster)', () => {
  it('--json: cycles, per-core instructions, stalls by cause, bank conflicts, DMA bytes, utilisation, energy', async () => {
    const elf = await build('dma', ['MODE=3', 'BLK=8192', 'NBLK=8', 'WORK=2'], '-3');
    const trace = join(OUT, 'cli-trace.json');
    const r = cli(elf, '--json', '--trace', trace, '--freq-mhz', '360');
    expect(r.code).toBe(0);
    const lines = r.out.trim().split('\n');
    expect(lines).toContain(lines.find((l) => /^Runtime: \d+ cycles$/.test(l)));
    const j = JSON.parse(lines[lines.length - 1]!);
    expect(j.instructions).toHaveLength(8);
    expect(Object.keys(j.stalls).sort()).toEqual([
      'bankConflict', 'branch', 'div', 'dmaQueue', 'event', 'jump', 'l2', 'loadUse', 'misaligned', 'mul', 'pipeline', 'wmem',
    ]);
    expect(j.stalls.pipeline).toBe(j.stalls.loadUse + j.stalls.branch + j.stalls.jump + j.stalls.mul + j.stalls.div + j.stalls.misaligned);
    expect(Object.keys(j.instrClasses).sort()).toEqual(['alu', 'branch', 'div', 'hwloop', 'jump', 'load', 'mul', 'simd', 'store', 'system']);
    expect(Object.values(j.instrClasses as Record<string, number>).reduce((a, b) => a + b, 0)).toBe(
      (j.instructions as number[]).reduce((a, b) => a + b, 0),
    );
    expect(j.dma.bytesL2ToL1).toBe(17 * 8192); // 8 serial + 8 double-buffered + 1 lone copy
    expect(j.dma.bytesL1ToL2).toBe(0);
    expect(j.utilisation).toHaveLength(8);
    expect(j.energy.totalUJ).toBeGreaterThan(0);
    expect(j.energy.calibrated).toEqual(Object.entries(energyTable).filter(([, e]) => e.status === 'calibrated').map(([k]) => k));
    expect(j.energy.freqMHz).toBe(360);
    const t = JSON.parse(readFileSync(trace, 'utf8'));
    expect(t.traceEvents.some((e: { name: string }) => e.name === 'thread_name')).toBe(true);
  });
  it('--cores 1: workers absent, same program output', async () => {
    const elf = await build('matmul', ['NCORES=8'], '-8');
    const a = cli(elf, '--cores', '1');
    const b = cli(elf);
    expect(a.code).toBe(0);
    const sum = (s: string) => /checksum=(\w+)/.exec(s)![1];
    expect(sum(a.out)).toBe(sum(b.out));
  });
  it('--cores outside 1..8 is bad usage (exit 2)', async () => {
    const elf = await build('matmul', ['NCORES=8'], '-8');
    for (const n of ['0', '9', '2.5']) {
      const r = cli(elf, '--cores', n);
      expect(r.code).toBe(2);
      expect(r.err).toContain('the cluster has 1 to 8 cores');
    }
  });
  it('a bad DMA is a one-line simulated fault with exit code 3', async () => {
    const r = cli(await build('faults', ['CASE=3'], '-3'));
    expect(r.code).toBe(3);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/^deeploy-sim: core 0: pc 0x[0-9a-f]{8}: .*DMA: unsupported mode 2D_TCDM/);
  });
});
