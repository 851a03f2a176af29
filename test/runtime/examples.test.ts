// The bundled examples build with build.ts and print what an independent computation predicts:
// hello and branchy against a host-gcc build of the same portable C; matmul-int8's checksum
// against a TypeScript re-computation of the same matrices.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildProgram, OBJDUMP } from '../../src/runtime/build.js';
import { EXAMPLES, HAVE_HOST_GCC, outDir, runHost, runQemu, SKIP_REASON } from './helpers.js';
import { spawnSync } from 'node:child_process';

const out = outDir('examples');

describe.skipIf(!!SKIP_REASON)('examples under qemu-riscv32', () => {
  for (const name of ['hello', 'branchy']) {
    it.skipIf(!HAVE_HOST_GCC)(`${name} prints what the host-gcc build prints`, async () => {
      const src = join(EXAMPLES, name, 'main.c');
      const { elf } = await buildProgram({ sources: [src], out: join(out, `${name}.elf`) });
      const target = runQemu(elf);
      const host = runHost([src], join(out, `${name}.host`));
      expect(host.status).toBe(0);
      expect(target.status).toBe(0);
      expect(target.stdout.length).toBeGreaterThan(50);
      expect(target.stdout).toBe(host.stdout);
    });
  }

  it('hello: hand-checked values', async () => {
    const { elf } = await buildProgram({ sources: [join(EXAMPLES, 'hello', 'main.c')], out: join(out, 'hello2.elf') });
    const r = runQemu(elf);
    expect(r.stdout).toContain('Hello from the siracusa cluster!\n');
    expect(r.stdout).toContain('fib(20) = 6765\n');
    expect(r.stdout).toContain('gcd(1071, 462) = 21\n');
    expect(r.stdout).toContain('20! = 2432902008176640000\n');
    expect(r.stdout).toContain('u = 3735928559 = 0xdeadbeef = 0xDEADBEEF');
  });

  it('branchy with -DSCALE=2 still agrees with the host build', async () => {
    const src = join(EXAMPLES, 'branchy', 'main.c');
    const { elf } = await buildProgram({ sources: [src], out: join(out, 'branchy2.elf'), defines: ['SCALE=2'] });
    const target = runQemu(elf);
    expect(target.stdout).toContain('primes <= 40000: 4203\n'); // pi(40000) = 4203
    if (HAVE_HOST_GCC) expect(target.stdout).toBe(runHost([src], join(out, 'branchy2.host'), ['SCALE=2']).stdout);
  });

  it('matmul-int8 -DNO_XPULP: checksum equals a TypeScript recomputation', async () => {
    const { elf } = await buildProgram({
      sources: [join(EXAMPLES, 'matmul-int8', 'main.c')],
      out: join(out, 'matmul-noxpulp.elf'),
      defines: ['NO_XPULP'],
    });
    const r = runQemu(elf);
    expect(r.status).toBe(0);
    const exp = matmulExpected(16, 16, 64);
    expect(r.stdout).toContain(
      `matmul-int8 16x64x16 checksum 0x${exp.checksum.toString(16).padStart(8, '0')} C[0][0]=${exp.c00} C[15][15]=${exp.cLast}\n`,
    );
    expect(r.stdout).toMatch(/^plain C: \d+ cycles$/m);
    expect(r.stdout).toMatch(/OK\n$/);
  });

  it('matmul-int8 default build: 5-instruction hardware loop (3 p.lw, 2 pv.sdotsp.b), word-aligned', async () => {
    const { elf } = await buildProgram({ sources: [join(EXAMPLES, 'matmul-int8', 'main.c')], out: join(out, 'matmul.elf') });
    expect(existsSync(elf)).toBe(true);
    const dis = spawnSync(OBJDUMP, ['-d', elf], { encoding: 'utf8' }).stdout;
    const words = [...dis.matchAll(/^\s*([0-9a-f]+):\s+([0-9a-f]{8})\s/gm)].map((m) => ({
      addr: parseInt(m[1], 16),
      word: parseInt(m[2], 16) >>> 0,
    }));
    const setup = words.findIndex((w) => (w.word & 0x707f) === 0x407b); // lp.setup
    expect(setup).toBeGreaterThanOrEqual(0);
    expect(words[setup].addr % 4).toBe(0);
    expect(words[setup].word >>> 20).toBe(10); // end = last of 5 body instructions, in halfwords
    const body = words.slice(setup + 1, setup + 6);
    expect(body.map((w) => w.addr)).toEqual([4, 8, 12, 16, 20].map((d) => words[setup].addr + d));
    for (const w of body.slice(0, 3)) expect(w.word & 0x707f).toBe(0x200b); // p.lw rd, 4(rs1!)
    for (const w of body.slice(3)) expect((w.word & 0xfe00707f) >>> 0).toBe(0xb8001057); // pv.sdotsp.b: funct7 1011100, funct3 001, opcode 0x57
  });

  it('the examples carry no copy of the runtime (one runtime in src/runtime)', () => {
    for (const name of ['hello', 'branchy', 'matmul-int8']) {
      const src = readFileSync(join(EXAMPLES, name, 'main.c'), 'utf8');
      expect(src).not.toMatch(/ecall/);
    }
  });
});

/** The matrices of examples/matmul-int8 (same LCG), multiplied here, independently of the C. */
function matmulExpected(m: number, n: number, k: number): { checksum: number; c00: number; cLast: number } {
  let seed = 1;
  const next = (): number => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    return ((seed >>> 24) << 24) >> 24; // int8
  };
  const a = Array.from({ length: m }, () => Array.from({ length: k }, next));
  const bt = Array.from({ length: n }, () => Array.from({ length: k }, next));
  let checksum = 0;
  const c: number[][] = [];
  for (let i = 0; i < m; i++) {
    c.push([]);
    for (let j = 0; j < n; j++) {
      let acc = 0;
      for (let x = 0; x < k; x++) acc += a[i][x] * bt[j][x];
      c[i].push(acc);
      checksum = (Math.imul(checksum, 31) + acc) >>> 0;
    }
  }
  return { checksum, c00: c[0][0], cLast: c[m - 1][n - 1] };
}
