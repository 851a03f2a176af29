// The ONE place that knows the riscv-gcc command line for target programs (crt0, link script,
// runtime sources, flags). Tests, the compiler and the demo call buildProgram().
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { InputError } from '../errors.js';
import { siracusa } from '../sim/platform/siracusa.js';

const run = promisify(execFile);

/** src/runtime/ in the source tree (the C files are not copied to dist/). */
export const RUNTIME_DIR = findRuntimeDir();
export const RUNTIME_INCLUDE_DIR = join(RUNTIME_DIR, 'include');
/** <stdio.h>, <string.h>, <stdlib.h> stand-ins that forward to dsim.h (there is no libc). */
export const RUNTIME_LIBC_INCLUDE_DIR = join(RUNTIME_INCLUDE_DIR, 'libc');
export const LINKER_SCRIPT = join(RUNTIME_DIR, 'siracusa.ld');
/** Always linked (gccArgs takes them from opts.runtimeDir when a copy is given). */
export const RUNTIME_SOURCES = [join(RUNTIME_DIR, 'crt0.S'), join(RUNTIME_DIR, 'runtime.c')];

export const GCC = process.env.DSIM_RISCV_GCC ?? 'riscv64-unknown-elf-gcc';
export const OBJDUMP = process.env.DSIM_RISCV_OBJDUMP ?? 'riscv64-unknown-elf-objdump';

/** rv32imc + ilp32 (the multilib gcc 12 ships); ISA spec 2.2 keeps csr* in the base ISA. */
export const ARCH_FLAGS = ['-march=rv32imc', '-mabi=ilp32', '-misa-spec=2.2'] as const;
/** Freestanding: no libc, no startup files; our crt0 and runtime.c provide both. */
export const C_FLAGS = [
  ...ARCH_FLAGS,
  '-ffreestanding',
  '-fno-builtin-printf', // keep printf("x\n") as printf: puts() output must not differ
  '-ffunction-sections',
  '-fdata-sections',
  '-Wall',
  '-Wno-unused-function',
  // addresses the runtime headers take from the platform table rather than repeat (dsim_cluster.h)
  `-DDSIM_PROFILE_MARK=0x${siracusa.profileMarker.toString(16)}u`,
] as const;
export const LINK_FLAGS = ['-nostdlib', '-nostartfiles', '-static', '-Wl,--gc-sections'] as const;
/** Libraries after the objects: libgcc for 64-bit division etc. */
export const LINK_LIBS = ['-lgcc'] as const;

export interface BuildOptions {
  /** C or assembly sources of the program (the runtime is added automatically). */
  sources: string[];
  /** Output ELF path; its folder is created. */
  out: string;
  includeDirs?: string[];
  /** NAME or NAME=VALUE, passed as -D. */
  defines?: string[];
  /** 0..3 or 's'; default 2. */
  optLevel?: 0 | 1 | 2 | 3 | 's';
  /** Bytes of stack per core (L1, default 2048 from siracusa.ld); a multiple of 16. */
  stackSize?: number;
  /** Write a link map next to the ELF (<out>.map). */
  map?: boolean;
  /** Appended last (before the libraries). */
  extraFlags?: string[];
  /** A copy of src/runtime to build from (a compiler build folder carries its own); default RUNTIME_DIR. */
  runtimeDir?: string;
  /** Run gcc here; relative paths in the other options are relative to it (reproducible rebuilds). */
  cwd?: string;
}

export interface BuildResult {
  elf: string;
  /** the full gcc argument list, for logs and manifests */
  command: string[];
}

/** The gcc arguments buildProgram uses (exported for manifests and for debugging by hand). */
export function gccArgs(opts: BuildOptions): string[] {
  const rt = opts.runtimeDir ?? RUNTIME_DIR;
  const args = [...compileFlags(opts), ...LINK_FLAGS, `-T${join(rt, 'siracusa.ld')}`];
  if (opts.stackSize !== undefined) args.push(`-Wl,--defsym=__stack_size=${opts.stackSize}`);
  if (opts.map) args.push(`-Wl,-Map=${opts.out}.map`);
  args.push(join(rt, 'crt0.S'), join(rt, 'runtime.c'), ...opts.sources, ...(opts.extraFlags ?? []), '-o', opts.out, ...LINK_LIBS);
  return args;
}

let gccChecked: Promise<void> | undefined;

/** Throws an InputError with a hint when riscv64-unknown-elf-gcc is not installed. */
export function checkToolchain(): Promise<void> {
  gccChecked ??= run(GCC, ['--version']).then(
    () => undefined,
    () => {
      gccChecked = undefined;
      throw new InputError(`${GCC} not found: the RISC-V cross compiler is needed to build programs (run \`make toolchain\`)`);
    },
  );
  return gccChecked;
}

/**
 * Objects are cached by content: the kernels and the runtime are the same in every compiled
 * network and test program, and gcc on them is most of a build's time. The key is the compiler,
 * the compile flags and the source's preprocessed text (every header it includes, every macro,
 * __FILE__ and line markers with the path as given), as ccache's preprocessor mode does: a
 * change anywhere that reaches the source recompiles it, a header it does not include does not.
 * DSIM_OBJ_CACHE=DIR moves the cache (default $TMPDIR/deeploy-sim-obj), =off disables it.
 */
function objectCacheDir(): string | undefined {
  const v = process.env.DSIM_OBJ_CACHE;
  if (v === 'off') return undefined;
  return v && v !== '' ? v : join(tmpdir(), 'deeploy-sim-obj');
}

/** The single command's compile part (everything but link flags, sources and output). */
function compileFlags(opts: BuildOptions): string[] {
  const rt = opts.runtimeDir ?? RUNTIME_DIR;
  return [
    ...C_FLAGS,
    `-O${opts.optLevel ?? 2}`,
    `-I${join(rt, 'include')}`,
    '-isystem',
    join(rt, 'include', 'libc'),
    ...(opts.includeDirs ?? []).map((d) => `-I${d}`),
    ...(opts.defines ?? []).map((d) => `-D${d}`),
  ];
}

let jobs = 0;
const waiting: (() => void)[] = [];
/** At most one gcc per CPU across concurrent builds of this process. */
async function limited<T>(f: () => Promise<T>): Promise<T> {
  if (jobs >= Math.max(1, cpus().length)) await new Promise<void>((r) => waiting.push(r));
  jobs++;
  try {
    return await f();
  } finally {
    jobs--;
    waiting.shift()?.();
  }
}

async function cachedObject(src: string, flags: string[], dir: string, opts: BuildOptions): Promise<string> {
  const where = { maxBuffer: 512 * 1024 * 1024, ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}) };
  const pre = await limited(() => run(GCC, [...flags, '-E', src], where));
  const h = createHash('sha256');
  h.update(`${GCC}\0${flags.join('\0')}\0${src}\0`);
  h.update(pre.stdout);
  const obj = join(dir, `${h.digest('hex').slice(0, 32)}.o`);
  if (existsSync(obj)) {
    if (isWholeObject(obj)) return obj;
    rmSync(obj, { force: true }); // truncated or foreign: rebuild it
  }
  const tmp = `${obj}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  try {
    await limited(() => run(GCC, [...flags, '-c', src, '-o', tmp], where));
    if (!isWholeObject(tmp)) throw new Error(`${GCC} wrote an unreadable object for ${src}`);
    renameSync(tmp, obj); // atomic: a concurrent build of the same source finds a whole file
  } finally {
    rmSync(tmp, { force: true });
  }
  return obj;
}

/**
 * A cache entry is used only when it is a whole RV32 relocatable object: ELF header, and every
 * section header and section inside the file (a zero-length or cut file fails this).
 */
export function isWholeObject(path: string): boolean {
  let b: Buffer;
  try {
    b = readFileSync(path);
  } catch {
    return false;
  }
  if (b.length < 52 || b.readUInt32BE(0) !== 0x7f454c46 || b[4] !== 1 || b[5] !== 1) return false;
  if (b.readUInt16LE(16) !== 1 /* ET_REL */ || b.readUInt16LE(18) !== 243 /* EM_RISCV */) return false;
  const shoff = b.readUInt32LE(32);
  const shentsize = b.readUInt16LE(46);
  const shnum = b.readUInt16LE(48);
  if (shentsize !== 40 || shnum === 0 || shoff + shnum * shentsize > b.length) return false;
  for (let k = 0; k < shnum; k++) {
    const sh = shoff + k * shentsize;
    const type = b.readUInt32LE(sh + 4);
    if (type !== 8 /* NOBITS */ && b.readUInt32LE(sh + 16) + b.readUInt32LE(sh + 20) > b.length) return false;
  }
  return true;
}

/** Compile and link a bare-metal program for the siracusa cluster. */
export async function buildProgram(opts: BuildOptions): Promise<BuildResult> {
  if (opts.sources.length === 0) throw new InputError(`buildProgram: no sources given for ${opts.out}`);
  for (const src of opts.sources) {
    if (!existsSync(resolve(opts.cwd ?? '.', src))) throw new InputError(`${src}: source file not found`);
  }
  if (opts.stackSize !== undefined && (opts.stackSize <= 0 || opts.stackSize % 16 !== 0)) {
    throw new InputError(`stack size ${opts.stackSize} for ${opts.out}: must be a positive multiple of 16`);
  }
  await checkToolchain();
  mkdirSync(dirname(resolve(opts.cwd ?? '.', opts.out)), { recursive: true });
  const args = gccArgs(opts);
  const cache = objectCacheDir();
  try {
    if (cache === undefined || (opts.extraFlags?.length ?? 0) > 0) {
      await run(GCC, args, { maxBuffer: 16 * 1024 * 1024, ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}) });
    } else {
      // the same program as `args` (one gcc run), built from cached objects in the same order
      mkdirSync(cache, { recursive: true });
      const rt = opts.runtimeDir ?? RUNTIME_DIR;
      const flags = compileFlags(opts);
      const objs = await Promise.all([join(rt, 'crt0.S'), join(rt, 'runtime.c'), ...opts.sources].map((src) => cachedObject(src, flags, cache, opts)));
      const link = [...flags, ...LINK_FLAGS, `-T${join(rt, 'siracusa.ld')}`];
      if (opts.stackSize !== undefined) link.push(`-Wl,--defsym=__stack_size=${opts.stackSize}`);
      if (opts.map) link.push(`-Wl,-Map=${opts.out}.map`);
      await run(GCC, [...link, ...objs, '-o', opts.out, ...LINK_LIBS], { maxBuffer: 16 * 1024 * 1024, ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}) });
    }
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    const diag = (e.stderr ?? '').trim() || e.message;
    throw new InputError(`building ${opts.out} from ${opts.sources.join(', ')} failed:\n${firstErrors(diag)}`, { multiline: true });
  }
  return { elf: opts.out, command: [GCC, ...args] };
}

/** The compiler's diagnostics, capped (gcc names file:line:col in each). */
function firstErrors(stderr: string, maxLines = 30): string {
  const lines = stderr.split('\n').filter((l) => l.trim() !== '');
  if (lines.length <= maxLines) return lines.join('\n');
  // Too long: the lines that carry the errors first, so the cause is not cut off.
  const errors = lines.filter((l) => /error|undefined reference|multiple definition|overflow/i.test(l));
  const shown = (errors.length > 0 ? errors : lines).slice(0, maxLines);
  return `${shown.join('\n')}\n... (${lines.length - shown.length} more lines)`;
}

function findRuntimeDir(): string {
  // From src/runtime/build.ts (vitest) or dist/src/runtime/build.js (compiled): the C files live in src/runtime.
  const here = dirname(fileURLToPath(import.meta.url));
  for (const cand of [here, resolve(here, '../../../src/runtime')]) {
    if (existsSync(join(cand, 'crt0.S'))) return cand;
  }
  return here;
}
