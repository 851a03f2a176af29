// Issue 12's probes on `compile`: model names that try to inject C, the build folder written
// atomically under a lock, user folders left alone, the platform check before the reference
// executor, and an object cache that survives a zero-length entry.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import lockfile from 'proper-lockfile';
import { describe, expect, it } from 'vitest';
import { compileToFolder } from '../../src/compiler/build-folder.js';
import { InputError } from '../../src/errors.js';
import { formatNpz } from '../../src/frontend/npy.js';
import { buildProgram, C_FLAGS, isWholeObject } from '../../src/runtime/build.js';
import { cli, cliAsync, encodeModel, expectOneLine, HAVE_GCC, INT8, namedGraph, tempDir, valueInfo, writeCase } from './helpers.js';

const dir = tempDir('build');

describe.skipIf(!HAVE_GCC)('hostile names', () => {
  it('reach neither the preprocessor nor the ELF, and the network still runs bit-exact', async () => {
    // a header gcc must never read: it stops the build if it is ever included
    const marker = join(dir, 'evil.h');
    writeFileSync(marker, '#error INJECTED_HEADER_WAS_READ\nint injected_from_header = 1;\n');
    const attacks = [
      `n */\n#include "${marker}"\n/*`,
      'x */ int injected_live_code = 42; /*',
      'a.b */ #define RunNetwork evil',
      'a-b */ #define RunNetwork evil',
      'c \\\n#error continued_line',
      'q ??/\n#pragma GCC poison main',
      'üñí€😀 \0 \x7f',
      'long_' + 'z'.repeat(400),
      'in*/t',
      'int',
      '#include <stdio.h>',
      '9 starts with a digit',
    ];
    const name = (k: number) => `${attacks[k % attacks.length]}`;
    const caseDir = writeCase(join(dir, 'inject-case'), namedGraph(name));
    const out = join(dir, 'inject');
    const r = await compileToFolder({ network: caseDir, outDir: out });
    const gen = ['network.c', 'network.h', 'testio.c', 'main.c'].map((f) => readFileSync(join(out, 'src', f), 'utf8'));
    // every preprocessor line is one the compiler writes itself
    for (const text of gen)
      for (const line of text.split('\n').filter((l) => /^\s*#/.test(l)))
        expect(line).toMatch(/^#(include (<stdint\.h>|"(dsim|dsim_cluster|dsim_npu|kernels|network)\.h")|define (BUF_\w+ \(\(void \*\)&dsim_arena_l[12]\[\d+\]\) \/\* L[12]\+0x[0-9a-f]+ \d+ B, live -?\d+\.\.-?\d+ \*\/|NETWORK_\w+ \d+|NETWORK_H|FLOAT_TOLERANCE 1e-4f)|ifndef NETWORK_H|endif)$/);
    // what gcc sees after comments are gone: no injected text at all
    const pre = execFileSync(
      'riscv64-unknown-elf-gcc',
      [...C_FLAGS, '-E', '-P', '-I', join(out, 'src'), '-I', join(out, 'src', 'runtime', 'include'), '-I', join(out, 'src', 'kernels', 'include'), '-isystem', join(out, 'src', 'runtime', 'include', 'libc'), join(out, 'src', 'network.c')],
      { encoding: 'utf8' },
    );
    for (const bad of ['injected_live_code = 42', 'RunNetwork evil', '#error continued_line', '#pragma GCC poison', marker]) expect(pre).not.toContain(bad);
    const deps = execFileSync(
      'riscv64-unknown-elf-gcc',
      [...C_FLAGS, '-M', '-I', join(out, 'src'), '-I', join(out, 'src', 'runtime', 'include'), '-I', join(out, 'src', 'kernels', 'include'), '-isystem', join(out, 'src', 'runtime', 'include', 'libc'), join(out, 'src', 'network.c'), join(out, 'src', 'testio.c')],
      { encoding: 'utf8' },
    );
    expect(deps).not.toContain('evil.h');
    const elf = readFileSync(join(out, 'network.elf')).toString('latin1');
    for (const bad of ['INJECTED', marker, 'injected_live_code = 42', 'injected_from_header']) expect(elf).not.toContain(bad);
    // derived identifiers: valid C, unique
    for (const l of r.manifest.layers) expect(l.function).toMatch(/^layer_[A-Za-z0-9_]{1,60}$/);
    const macros = [...readFileSync(join(out, 'src', 'network.c'), 'utf8').matchAll(/^#define (BUF_\w+)/gm)].map((m) => m[1]);
    expect(new Set(macros).size).toBe(macros.length);
    const run = cli(['run', out]);
    expect(run.stdout).toContain('Errors: 0 out of 24');
    expect(run.status).toBe(0);
  });
});

describe('build folder writes', () => {
  it('a folder of user files survives `compile -o` (refused without --force)', () => {
    const caseDir = writeCase(join(dir, 'user-case'));
    const mine = join(dir, 'mine');
    mkdirSync(join(mine, 'src', 'runtime'), { recursive: true });
    mkdirSync(join(mine, 'src', 'kernels'), { recursive: true });
    writeFileSync(join(mine, 'src', 'runtime', 'my.c'), 'my runtime\n');
    writeFileSync(join(mine, 'src', 'kernels', 'my.c'), 'my kernel\n');
    writeFileSync(join(mine, 'notes.txt'), 'notes\n');
    const r = cli(['compile', caseDir, '-o', mine, '--no-build']);
    expectOneLine(r, 2, /-o .*mine: not a deeploy-sim build folder \(no deeploy-sim-build\/1 manifest\.json\) and not empty; choose another folder or pass --force to replace it/);
    expect(readFileSync(join(mine, 'src', 'runtime', 'my.c'), 'utf8')).toBe('my runtime\n');
    expect(readFileSync(join(mine, 'src', 'kernels', 'my.c'), 'utf8')).toBe('my kernel\n');
    expect(readdirSync(mine).sort()).toEqual(['notes.txt', 'src']);
    expect(readdirSync(dir).filter((f) => f.startsWith('.mine') || f === 'mine.lock')).toEqual([]);
    // --force replaces it with a build folder; a second compile then needs no --force
    expect(cli(['compile', caseDir, '-o', mine, '--no-build', '--force']).status).toBe(0);
    expect(existsSync(join(mine, 'notes.txt'))).toBe(false);
    expect(cli(['compile', caseDir, '-o', mine, '--no-build']).status).toBe(0);
    // a file is never replaced by a folder
    writeFileSync(join(dir, 'a-file'), 'x');
    expectOneLine(cli(['compile', caseDir, '-o', join(dir, 'a-file'), '--no-build']), 2, /-o .*a-file: exists and is not a folder/);
  });

  it('two concurrent compiles into one folder: one succeeds, the other is refused', async () => {
    const caseDir = writeCase(join(dir, 'race-case'));
    const out = join(dir, 'race');
    const results = await Promise.allSettled([0, 1].map(() => compileToFolder({ network: caseDir, outDir: out, build: false })));
    const ok = results.filter((x) => x.status === 'fulfilled');
    const refused = results.filter((x): x is PromiseRejectedResult => x.status === 'rejected');
    expect(ok).toHaveLength(1);
    expect(refused).toHaveLength(1);
    expect(refused[0]!.reason).toBeInstanceOf(InputError);
    expect((refused[0]!.reason as Error).message).toMatch(/race: another deeploy-sim compile is writing this folder \(lock .*race\.lock\); wait for it or choose another folder/);
    expect(JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')).format).toBe('deeploy-sim-build/1');
    // and across processes: the CLI is refused while another holder has the lock
    const release = await lockfile.lock(out, { realpath: false, lockfilePath: `${out}.lock` });
    try {
      expectOneLine(cli(['compile', caseDir, '-o', out, '--no-build']), 2, /another deeploy-sim compile is writing this folder/);
    } finally {
      await release();
    }
    expect(cli(['compile', caseDir, '-o', out, '--no-build']).status).toBe(0);
  });

  it.skipIf(!HAVE_GCC)('an interrupted or failed recompile leaves the old build (or none), never a mix', async () => {
    const caseDir = writeCase(join(dir, 'int-case'));
    const out = join(dir, 'int');
    expect(cli(['compile', caseDir, '-o', out, '--no-build']).status).toBe(0);
    const before = readFileSync(join(out, 'manifest.json'), 'utf8');
    const leftovers = () => readdirSync(dirname(out)).filter((f) => f.startsWith('.int.') || f === 'int.lock');
    // a different network into the same folder, interrupted while gcc builds (no object cache: slow)
    const other = writeCase(join(dir, 'int-case2'), namedGraph((k) => `other${k}`));
    const child = cliAsync(['compile', other, '-o', out], { ...process.env, DSIM_OBJ_CACHE: 'off' });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
    for (let i = 0; i < 3000 && leftovers().filter((f) => f.startsWith('.int.tmp')).length === 0; i++) await new Promise((res) => setTimeout(res, 10));
    expect(leftovers().some((f) => f.startsWith('.int.tmp')), 'the compile writes beside the target').toBe(true);
    child.kill('SIGINT');
    expect(await exited, stderr).toBe(130);
    expect(readFileSync(join(out, 'manifest.json'), 'utf8')).toBe(before);
    expect(leftovers()).toEqual([]);
    // a recompile that fails in gcc: the old build stays whole
    const r = cli(['compile', other, '-o', out], { env: { ...process.env, DSIM_RISCV_GCC: '/nonexistent/gcc' } });
    expectOneLine(r, 2, /\/nonexistent\/gcc not found: the RISC-V cross compiler is needed/);
    expect(readFileSync(join(out, 'manifest.json'), 'utf8')).toBe(before);
    expect(leftovers()).toEqual([]);
    // interrupted first compile: no folder at all
    const fresh = join(dir, 'fresh');
    const c2 = cliAsync(['compile', other, '-o', fresh], { ...process.env, DSIM_OBJ_CACHE: 'off' });
    const exited2 = new Promise<number | null>((res) => c2.on('exit', (code) => res(code)));
    for (let i = 0; i < 3000 && !readdirSync(dir).some((f) => f.startsWith('.fresh.tmp')); i++) await new Promise((res) => setTimeout(res, 10));
    c2.kill('SIGTERM');
    expect(await exited2).toBe(143);
    expect(readdirSync(dir).filter((f) => f.includes('fresh'))).toEqual([]);
  });

  it('a network far too big for the platform is refused before the reference executor runs', () => {
    const net = join(dir, 'big.onnx');
    writeFileSync(
      net,
      encodeModel({
        node: [{ opType: 'MatMul', input: ['x', 'w'], output: ['y'], name: 'mm' }],
        initializer: [{ name: 'w', dataType: INT8, dims: [1024, 3072], rawData: new Uint8Array(1024 * 3072) }],
        input: [valueInfo('x', INT8, [1, 1024])],
        output: [valueInfo('y', INT8, [1, 3072])],
      }),
    );
    const inputs = join(dir, 'big.npz');
    writeFileSync(inputs, formatNpz([{ name: 'x', dtype: 'int8', shape: [1, 1024], data: new Int8Array(1024) }]));
    // no outputs.npz: the golden outputs would come from the reference executor, which must not run
    const r = cli(['compile', net, '--inputs', inputs, '-o', join(dir, 'big-out'), '--no-build']);
    expectOneLine(r, 2, /big\.onnx: its constants need at least 3145728 bytes, more than L1 262144 \+ L2 2097152 bytes of siracusa \(--wmem adds the weight memory\)/);
    expect(existsSync(join(dir, 'big-out'))).toBe(false);
    // an activation larger than L1 and L2
    const wide = join(dir, 'wide.onnx');
    writeFileSync(wide, encodeModel({ node: [{ opType: 'Relu', input: ['x'], output: ['y'], name: 'relu' }], input: [valueInfo('x', INT8, [1, 3 << 20])], output: [valueInfo('y', INT8, [1, 3 << 20])] }));
    const wideIn = join(dir, 'wide.npz');
    writeFileSync(wideIn, formatNpz([{ name: 'x', dtype: 'int8', shape: [1, 3 << 20], data: new Int8Array(3 << 20) }]));
    expectOneLine(cli(['compile', wide, '--inputs', wideIn, '-o', join(dir, 'wide-out'), '--no-build']), 2, /wide\.onnx: tensor 'x' \[1, 3145728\] needs at least 3145728 bytes, more than L1 \(262144\) or L2 \(2097152\) of siracusa holds/);
  });
});

describe.skipIf(!HAVE_GCC)('object cache', () => {
  it('a zero-length or cut cache entry is rebuilt, not linked (was: a program faulting at pc 0)', async () => {
    const cache = tempDir('objcache');
    const saved = process.env.DSIM_OBJ_CACHE;
    process.env.DSIM_OBJ_CACHE = cache;
    try {
      const src = join(dir, 'prog.c');
      writeFileSync(src, '#include <dsim.h>\nint main(void) { printf("cache ok\\n"); return 0; }\n');
      await buildProgram({ sources: [src], out: join(dir, 'prog1.elf') });
      const objs = readdirSync(cache).filter((f) => f.endsWith('.o'));
      expect(objs.length).toBeGreaterThan(0);
      for (const o of objs) expect(isWholeObject(join(cache, o))).toBe(true);
      objs.forEach((o, i) => truncateSync(join(cache, o), i % 2 === 0 ? 0 : Math.floor(statSync(join(cache, o)).size / 2)));
      for (const o of objs) expect(isWholeObject(join(cache, o))).toBe(false);
      await buildProgram({ sources: [src], out: join(dir, 'prog2.elf') });
      for (const o of objs) expect(isWholeObject(join(cache, o))).toBe(true);
      const r = cli(['run', '--cores', '1', join(dir, 'prog2.elf')]);
      expect(r.stdout).toContain('cache ok');
      expect(r.status).toBe(0);
    } finally {
      if (saved === undefined) delete process.env.DSIM_OBJ_CACHE;
      else process.env.DSIM_OBJ_CACHE = saved;
    }
  });
});
