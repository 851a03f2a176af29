// pulp.h's -DDSIM_NO_XPULP mode: every wrapper computed in plain C (pulp_emu), so code written
// against pulp.h also runs on plain RV32IMC. The same self-checking program that pins the wrappers
// to the simulator (sim.test.ts) must find no difference here either, under qemu-riscv32.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/runtime/build.js';
import { outDir, REPO, runQemu, SKIP_REASON } from './helpers.js';

const out = outDir('fallback');

describe.skipIf(!!SKIP_REASON)('pulp.h plain-C fallback (-DDSIM_NO_XPULP)', () => {
  it('agrees with the instruction models on every checked wrapper (no XpulpV2 instruction emitted)', async () => {
    const { elf } = await buildProgram({
      sources: [join(REPO, 'test/runtime/c/xpulp_semantics.c')],
      out: join(out, 'xpulp-fallback.elf'),
      defines: ['DSIM_NO_XPULP'],
    });
    const r = runQemu(elf); // an XpulpV2 word would be SIGILL here
    expect(r.signal).toBeNull();
    expect(r.stdout).not.toContain('MISMATCH');
    expect(r.stdout).toMatch(/^xpulp: \d+ checks, 0 mismatches\n$/m);
    expect(Number(/xpulp: (\d+) checks/.exec(r.stdout)![1])).toBeGreaterThan(50_000);
    expect(r.status).toBe(0);
  });
});
