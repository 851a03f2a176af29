// crt0, siracusa.ld and runtime.c under qemu-riscv32: exit codes, abort/assert, placement of the
// sections, stacks, heaps, memory functions; and the ELF layout qemu-user needs (separate RX/RW
// segments on separate pages).
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/runtime/build.js';
import { outDir, REPO, runQemu, SKIP_REASON } from './helpers.js';

const out = outDir('runtime');

async function buildC(name: string, code: string, opts: { stackSize?: number } = {}): Promise<string> {
  const src = join(out, `${name}.c`);
  writeFileSync(src, code);
  return (await buildProgram({ sources: [src], out: join(out, `${name}.elf`), ...opts })).elf;
}

describe.skipIf(!!SKIP_REASON)('runtime under qemu-riscv32', () => {
  it('passes its self-checks (sections, stacks, heaps, bss, cycles, mem* / str*)', async () => {
    const { elf } = await buildProgram({ sources: [join(REPO, 'test/runtime/c/runtime_checks.c')], out: join(out, 'checks.elf') });
    const r = runQemu(elf);
    expect(r.stdout).toBe('checks: 0 failed\n');
    expect(r.status).toBe(0);
  });

  it("main's return value is the exit code; exit() works from anywhere", async () => {
    expect(runQemu(await buildC('ret42', 'int main(void) { return 42; }\n')).status).toBe(42);
    const elf = await buildC(
      'exit5',
      '#include <stdlib.h>\n#include <stdio.h>\nstatic void f(int x) { if (x > 2) exit(x); }\nint main(void) { printf("before\\n"); f(5); printf("after\\n"); return 0; }\n',
    );
    const r = runQemu(elf);
    expect([r.status, r.stdout]).toEqual([5, 'before\n']);
  });

  it('abort() and a failed dsim_assert exit with 134 and say why', async () => {
    const a = runQemu(await buildC('abort', '#include <stdlib.h>\nint main(void) { abort(); }\n'));
    expect([a.status, a.stderr]).toEqual([134, 'abort()\n']);
    const elf = await buildC('assert', '#include <dsim.h>\nint main(void) { int x = 3; dsim_assert(x == 4); return 0; }\n');
    const r = runQemu(elf);
    expect(r.status).toBe(134);
    expect(r.stdout).toMatch(/assert\.c:2: assertion failed: x == 4\n$/);
  });

  it('stackSize sets the per-core stack (sp of core 0 within the first stack)', async () => {
    const code = `#include <dsim.h>
int main(void) { int x; printf("%u %d\\n", (unsigned)__stack_size, (int)((char *)&x - __stack_bottom) < (int)(unsigned)__stack_size); return 0; }\n`;
    expect(runQemu(await buildC('stack4k', code, { stackSize: 4096 })).stdout).toBe('4096 1\n');
    expect(runQemu(await buildC('stackdef', code)).stdout).toBe('2048 1\n');
  });

  it("core 0's stack overflow leaves L1 and faults instead of corrupting data", async () => {
    const elf = await buildC(
      'overflow',
      '#include <dsim.h>\nstatic int deep(int n) { volatile char buf[256]; buf[0] = (char)n; return n ? deep(n - 1) + buf[0] : 0; }\nint main(void) { printf("%d\\n", deep(100)); return 0; }\n',
    );
    const r = runQemu(elf);
    expect(r.signal).toBe('SIGSEGV');
    expect(r.stdout).toBe('');
  });

  it('links code RX and data RW on separate pages, entry at the start of L2', async () => {
    const elf = await buildC('layout', '#include <stdio.h>\nint v = 3;\nint main(void) { printf("%d\\n", v); return 0; }\n');
    const r = spawnSync('riscv64-unknown-elf-readelf', ['-lhW', elf], { encoding: 'utf8' });
    expect(r.stdout).toMatch(/Entry point address:\s+0x1c000000/);
    const loads = [...r.stdout.matchAll(/^\s*LOAD\s+\S+\s+(0x[0-9a-f]+)\s+\S+\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+(.+?)\s+0x[0-9a-f]+$/gm)].map(
      (m) => ({ vaddr: parseInt(m[1], 16), memsz: parseInt(m[3], 16), flags: m[4].trim() }),
    );
    const text = loads.find((l) => l.vaddr === 0x1c000000)!;
    expect(text.flags).toBe('R E');
    const rw = loads.filter((l) => l !== text);
    expect(rw.every((l) => l.flags === 'RW')).toBe(true);
    const page = (a: number) => Math.floor(a / 4096);
    for (const l of rw) expect(page(l.vaddr) > page(text.vaddr + text.memsz - 1) || l.vaddr < text.vaddr).toBe(true);
    expect(rw.map((l) => l.vaddr).sort()).toEqual([0x10000000, 0x10800000, rw.find((l) => l.vaddr >= 0x1c000000)!.vaddr].sort());
  });
});
