// build.ts error paths: the user sees an InputError (exit 2) naming the file and the compiler's
// message, or a hint to install the toolchain.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

describe.skipIf(!HAVE_GCC)('buildProgram object cache', () => {
  const withCache = async <T>(value: string, f: () => Promise<T>): Promise<T> => {
    const saved = process.env.DSIM_OBJ_CACHE;
    process.env.DSIM_OBJ_CACHE = value;
    try {
      return await f();
    } finally {
      if (saved === undefined) delete process.env.DSIM_OBJ_CACHE;
      else process.env.DSIM_OBJ_CACHE = saved;
    }
  };
  const loaded = (elf: string) => {
    execFileSync('riscv64-unknown-elf-objcopy', ['-O', 'binary', '-j', '.text', '-j', '.rodata', '-j', '.data', elf, `${elf}.bin`]);
    return readFileSync(`${elf}.bin`);
  };

  it('reuses objects, recompiles what a change reaches (by the preprocessed source), and links the same program as the single command', async () => {
    const dir = join(out, 'objcache');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(join(dir, 'inc'), { recursive: true });
    const cache = join(dir, 'cache');
    writeFileSync(join(dir, 'inc', 'k.h'), '#define K 3\n');
    writeFileSync(join(dir, 'main.c'), '#include "k.h"\nint twice(int);\nint main(void) { return twice(K) == 2 * K ? 0 : 1; }\n');
    writeFileSync(join(dir, 'twice.c'), 'int twice(int x) { return 2 * x; }\n');
    const opts = { sources: [join(dir, 'main.c'), join(dir, 'twice.c')], includeDirs: [join(dir, 'inc')] };
    const objects = () => readdirSync(cache).filter((f) => f.endsWith('.o')).sort();
    await withCache(cache, () => buildProgram({ ...opts, out: join(dir, 'a.elf') }));
    const first = objects();
    expect(first.length).toBe(4); // crt0.S, runtime.c, main.c, twice.c
    await withCache(cache, () => buildProgram({ ...opts, out: join(dir, 'b.elf') }));
    expect(objects()).toEqual(first);
    await withCache('off', () => buildProgram({ ...opts, out: join(dir, 'c.elf') }));
    expect(loaded(join(dir, 'a.elf')).equals(loaded(join(dir, 'c.elf')))).toBe(true);
    // a header nobody includes: nothing recompiles
    writeFileSync(join(dir, 'inc', 'other.h'), '#define OTHER 1\n');
    await withCache(cache, () => buildProgram({ ...opts, out: join(dir, 'b.elf') }));
    expect(objects()).toEqual(first);
    // the header main.c includes: main.c alone recompiles
    writeFileSync(join(dir, 'inc', 'k.h'), '#define K 5\n');
    await withCache(cache, () => buildProgram({ ...opts, out: join(dir, 'd.elf') }));
    expect(objects().length).toBe(5);
    expect(loaded(join(dir, 'd.elf')).equals(loaded(join(dir, 'a.elf')))).toBe(false);
    // the source's own bytes
    writeFileSync(join(dir, 'twice.c'), 'int twice(int x) { return x + x; }\n');
    await withCache(cache, () => buildProgram({ ...opts, out: join(dir, 'e.elf') }));
    expect(objects().length).toBe(6);
  });
});
