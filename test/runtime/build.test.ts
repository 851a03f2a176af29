// build.ts error paths: the user sees an InputError (exit 2) naming the file and the compiler's
// message, or a hint to install the toolchain.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { InputError } from '../../src/errors.js';
import { buildProgram, gccArgs, LINKER_SCRIPT, RUNTIME_SOURCES } from '../../src/runtime/build.js';
import { HAVE_GCC, outDir } from './helpers.js';

const out = outDir('build');

describe.skipIf(!HAVE_GCC)('buildProgram errors', () => {
  it('a C syntax error -> InputError naming the file, line and gcc message', async () => {
    const src = join(out, 'broken.c');
    writeFileSync(src, 'int main(void) {\n  int x = 3\n  return x;\n}\n');
    const err = await buildProgram({ sources: [src], out: join(out, 'broken.elf') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    const msg = (err as InputError).message;
    expect(msg).toContain(src);
    expect(msg).toMatch(/broken\.c:3:\d+: error: expected ',' or ';' before 'return'/);
    expect((err as InputError).exitCode).toBe(2);
  });

  it('an undefined symbol at link time -> InputError with the linker message', async () => {
    const src = join(out, 'undef.c');
    writeFileSync(src, 'int missing_fn(int);\nint main(void) { return missing_fn(1); }\n');
    await expect(buildProgram({ sources: [src], out: join(out, 'undef.elf') })).rejects.toThrow(/undefined reference to `missing_fn'/);
  });

  it('a missing source file -> InputError naming it', async () => {
    const src = join(out, 'does-not-exist.c');
    await expect(buildProgram({ sources: [src], out: join(out, 'x.elf') })).rejects.toThrow(`${src}: source file not found`);
  });

  it('a bad stack size is rejected before calling gcc', async () => {
    const src = join(out, 'ok.c');
    writeFileSync(src, 'int main(void) { return 0; }\n');
    await expect(buildProgram({ sources: [src], out: join(out, 'ok.elf'), stackSize: 1000 })).rejects.toThrow(/multiple of 16/);
  });

  it('an L1 overflow is reported by the linker', async () => {
    const src = join(out, 'bigl1.c');
    writeFileSync(src, '#include <dsim.h>\nvolatile char big[300000] DSIM_L1_BSS;\nint main(void) { big[299999] = 1; return big[299999]; }\n');
    await expect(buildProgram({ sources: [src], out: join(out, 'bigl1.elf') })).rejects.toThrow(/region .L1. overflowed|L1 overflow/);
  });
});

describe('buildProgram without a cross compiler', () => {
  it('says to run `make toolchain`', async () => {
    vi.resetModules();
    const saved = process.env.DSIM_RISCV_GCC;
    process.env.DSIM_RISCV_GCC = '/nonexistent/riscv64-unknown-elf-gcc';
    try {
      const mod = await import('../../src/runtime/build.js');
      const src = join(out, 'ok2.c');
      writeFileSync(src, 'int main(void) { return 0; }\n');
      const err = await mod.buildProgram({ sources: [src], out: join(out, 'ok2.elf') }).catch((e: unknown) => e);
      expect((err as Error).message).toMatch(/riscv64-unknown-elf-gcc not found.*make toolchain/);
      expect((err as { exitCode: number }).exitCode).toBe(2);
    } finally {
      if (saved === undefined) delete process.env.DSIM_RISCV_GCC;
      else process.env.DSIM_RISCV_GCC = saved;
      vi.resetModules();
    }
  });
});

describe('gccArgs', () => {
  it('puts arch flags first, runtime and link script in, -lgcc last', () => {
    const a = gccArgs({ sources: ['a.c'], out: 'a.elf', defines: ['X=1'], optLevel: 3, includeDirs: ['inc'] });
    expect(a.slice(0, 3)).toEqual(['-march=rv32imc', '-mabi=ilp32', '-misa-spec=2.2']);
    expect(a).toContain(`-T${LINKER_SCRIPT}`);
    for (const s of RUNTIME_SOURCES) expect(a).toContain(s);
    expect(a).toEqual(expect.arrayContaining(['-O3', '-DX=1', '-Iinc', '-nostdlib', '-ffreestanding']));
    expect(a[a.length - 1]).toBe('-lgcc');
  });
});
