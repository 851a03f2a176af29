// The runtime's printf family against the host C library: the same format calls, compiled for
// the target (runtime.c) and with the host gcc (glibc), must print the same bytes.
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/runtime/build.js';
import { HAVE_HOST_GCC, outDir, REPO, runHost, runQemu, SKIP_REASON } from './helpers.js';

const out = outDir('printf');
const CASES = join(REPO, 'test/runtime/c/printf_cases.c');

describe.skipIf(!!SKIP_REASON)('printf', () => {
  it.skipIf(!HAVE_HOST_GCC)('formats like the host C library', async () => {
    const { elf } = await buildProgram({ sources: [CASES], out: join(out, 'printf.elf') });
    const target = runQemu(elf);
    const host = runHost([CASES], join(out, 'printf.host'));
    expect(target.status).toBe(0);
    expect(host.status).toBe(0);
    const t = target.stdout.split('\n');
    const h = host.stdout.split('\n');
    expect(t.length).toBe(h.length);
    for (let i = 0; i < h.length; i++) expect(`${i}: ${t[i]}`).toBe(`${i}: ${h[i]}`);
  });

  it('%p prints 0x + lowercase hex on ILP32, (nil) for NULL (hand-checked)', async () => {
    const src = join(out, 'ptr.c');
    writeFileSync(
      src,
      `#include <stdio.h>
int main(void) { printf("[%p][%p][%12p][%-12p]\\n", (void *)0x1c0000f0, (void *)0, (void *)0xab, (void *)0x10); return 0; }\n`,
    );
    const { elf } = await buildProgram({ sources: [src], out: join(out, 'ptr.elf') });
    expect(runQemu(elf).stdout).toBe('[0x1c0000f0][(nil)][        0xab][0x10        ]\n');
  });

  it('each printf call is one write when it fits 256 bytes (whole lines from 8 cores)', async () => {
    const src = join(out, 'onewrite.c');
    writeFileSync(src, `#include <stdio.h>\nint main(void) { printf("%s %d %s\\n", "one", 2, "three"); printf("x"); printf("y\\n"); return 0; }\n`);
    const { elf } = await buildProgram({ sources: [src], out: join(out, 'onewrite.elf') });
    const { spawnSync } = await import('node:child_process');
    const r = spawnSync('qemu-riscv32', ['-strace', elf], { encoding: 'utf8' });
    const writes = (r.stderr.match(/write\(1,/g) ?? []).length;
    expect(r.stdout).toBe('one 2 three\nxy\n');
    expect(writes).toBe(3);
  });
});
