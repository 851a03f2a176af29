// The runtime and the XpulpV2 wrappers on the simulator (src/sim): the examples print the same as
// under qemu / the host build, and a self-checking program compares every wrapper's result with a
// plain-C model of the instruction (test/runtime/c/xpulp_semantics.c).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/runtime/build.js';
import { runProgram } from '../../src/sim/run.js';
import { EXAMPLES, HAVE_GCC, HAVE_HOST_GCC, outDir, REPO, runHost } from './helpers.js';

const out = outDir('sim');
const text = (b: Uint8Array): string => Buffer.from(b).toString('utf8');

describe.skipIf(!HAVE_GCC)('runtime programs on the simulator', () => {
  it('pulp.h wrappers agree with plain-C models of the instructions (ALU, SIMD, dot products, lanes, loads/stores, hardware loops)', async () => {
    const { elf } = await buildProgram({ sources: [join(REPO, 'test/runtime/c/xpulp_semantics.c')], out: join(out, 'xpulp.elf') });
    const r = runProgram(elf, { maxInstructions: 50_000_000 });
    const stdout = text(r.stdout);
    expect(r.fault?.message).toBeUndefined();
    expect(stdout).not.toContain('MISMATCH');
    expect(stdout).toMatch(/^xpulp: (\d+) checks, 0 mismatches\n$/m);
    expect(Number(/xpulp: (\d+) checks/.exec(stdout)![1])).toBeGreaterThan(50_000);
    expect(r.exitCode).toBe(0);
  });

  for (const name of ['hello', 'branchy']) {
    it.skipIf(!HAVE_HOST_GCC)(`${name} prints what the host-gcc build prints`, async () => {
      const src = join(EXAMPLES, name, 'main.c');
      const { elf } = await buildProgram({ sources: [src], out: join(out, `${name}.elf`) });
      const r = runProgram(elf, { maxInstructions: 50_000_000 });
      expect(r.exitCode).toBe(0);
      expect(text(r.stdout)).toBe(runHost([src], join(out, `${name}.host`)).stdout);
    });
  }

  it('matmul-int8 with XpulpV2: SIMD result equals plain C, and is faster', async () => {
    const { elf } = await buildProgram({ sources: [join(EXAMPLES, 'matmul-int8', 'main.c')], out: join(out, 'matmul.elf') });
    const r = runProgram(elf, { maxInstructions: 50_000_000 });
    const stdout = text(r.stdout);
    expect(r.exitCode).toBe(0);
    expect(stdout).toContain('matmul-int8 16x64x16 checksum 0xf2ee9da2 C[0][0]=-54602 C[15][15]=-68200\n'); // = examples.test.ts' TS recomputation
    const plain = Number(/plain C: (\d+) cycles/.exec(stdout)![1]);
    const simd = Number(/xpulpv2 \(pv.sdotsp.b \+ hardware loop\): (\d+) cycles, 0 mismatches/.exec(stdout)![1]);
    expect(simd).toBeGreaterThan(0);
    expect(simd * 8).toBeLessThan(plain); // 8 MACs per 5 instructions, zero-overhead loop, data in L1
  });

  it("core 0's stack overflow is reported as a fault below L1", async () => {
    const { writeFileSync } = await import('node:fs');
    const src = join(out, 'overflow.c');
    writeFileSync(src, '#include <dsim.h>\nstatic int deep(int n) { volatile char buf[256]; buf[0] = (char)n; return n ? deep(n - 1) + buf[0] : 0; }\nint main(void) { printf("%d\\n", deep(100)); return 0; }\n');
    const { elf } = await buildProgram({ sources: [src], out: join(out, 'overflow.elf') });
    const r = runProgram(elf, { maxInstructions: 1_000_000 });
    expect(r.exitCode).toBe(3);
    expect(r.fault?.message).toMatch(/0x0fff[0-9a-f]{4}/);
  });

  it('a program that never exits is stopped by the limit, not hung', async () => {
    const { writeFileSync } = await import('node:fs');
    const src = join(out, 'spin.c');
    writeFileSync(src, 'int main(void) { for (;;) { __asm__ volatile(""); } }\n');
    const { elf } = await buildProgram({ sources: [src], out: join(out, 'spin.elf') });
    const r = runProgram(elf, { maxInstructions: 100_000 });
    expect(r.fault).toBeDefined();
  });
});
