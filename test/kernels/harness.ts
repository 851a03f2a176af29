// Kernel test harness: turns test cases (input buffers, an args initializer, expected outputs
// computed in TypeScript by model.ts) into one C program per group, builds it with the runtime's
// build.ts and runs it. Each case prints `case <name>: Errors: E out of T`, the program ends with
// `Errors: E out of T` over all cases.
//
// Runners (DK_TEST_RUNNER=qemu|sim|all; default: sim when the simulator CLI is built, else qemu):
//  - qemu: -DDSIM_NO_XPULP (plain C), qemu-riscv32. Multi-core splits are exercised with
//    -DDK_TEST_VCORES=n (the kernel runs once per virtual core id on the single hart).
//  - sim:  XpulpV2 build on the cluster simulator (src/sim/cluster, in-process, 8 cores booted),
//    dsim_fork over n of them.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildProgram } from '../../src/runtime/build.js';

export const REPO = resolve(import.meta.dirname, '../..');
export const KERNEL_DIR = join(REPO, 'src/compiler/kernels');
export const OUT = join(REPO, 'test/.out/kernels');
export const KERNEL_SOURCES = readdirSync(KERNEL_DIR)
  .filter((f) => f.endsWith('.c'))
  .map((f) => join(KERNEL_DIR, f));

function has(cmd: string, arg = '--version'): boolean {
  return spawnSync(cmd, [arg], { stdio: 'ignore' }).status === 0;
}
export const HAVE_GCC = has('riscv64-unknown-elf-gcc');
export const HAVE_QEMU = has('qemu-riscv32');
/** The cluster simulator (src/sim/cluster), run in-process: 8 cores, XpulpV2. */
export const HAVE_SIM = existsSync(join(REPO, 'src/sim/cluster/cluster.ts'));

export type Runner = 'qemu' | 'sim';
/** DK_TEST_RUNNER=qemu|sim selects one; default: every runner that is available (sim first). */
export function runners(): Runner[] {
  const env = process.env.DK_TEST_RUNNER;
  if (env === 'qemu') return ['qemu'];
  if (env === 'sim') return ['sim'];
  const r: Runner[] = [];
  if (HAVE_SIM) r.push('sim');
  if (HAVE_QEMU || r.length === 0) r.push('qemu');
  return r;
}
/** Core counts tested per runner: the sim forks on 1 and 8 real cores; qemu emulates forks with
 * virtual core ids: 3 in `make test` (the uneven split the sim's 1 and 8 do not cover; every
 * variant is a gcc build of all the cases, the bulk of these files' time), 1, 3 and 8 in the full
 * sweep (DSIM_FULL_SWEEP=1, `npm run test:full`). */
export function coreCounts(runner: Runner): number[] {
  if (runner === 'sim') return [1, 8];
  return process.env.DSIM_FULL_SWEEP === '1' ? [1, 3, 8] : [3];
}
export const SKIP_REASON = !HAVE_GCC
  ? 'riscv64-unknown-elf-gcc missing (run `make toolchain`)'
  : runners().includes('qemu') && !HAVE_QEMU
    ? 'qemu-riscv32 missing (run `make toolchain`)'
    : runners().includes('sim') && !HAVE_SIM
      ? 'simulator CLI not built (dist/src/cli/commands/run.js): run `npm run build`'
      : '';

export type CType = 'int8_t' | 'uint8_t' | 'int16_t' | 'uint16_t' | 'int32_t' | 'uint32_t' | 'float';
export const DK_TYPE: Record<CType, string> = {
  int8_t: 'DK_I8',
  uint8_t: 'DK_U8',
  int16_t: 'DK_I16',
  uint16_t: 'DK_U16',
  int32_t: 'DK_I32',
  uint32_t: 'DK_U32',
  float: 'DK_F32',
};
const BYTES: Record<CType, number> = { int8_t: 1, uint8_t: 1, int16_t: 2, uint16_t: 2, int32_t: 4, uint32_t: 4, float: 4 };

/** Range of values a C type holds (for random data). */
export const RANGE: Record<Exclude<CType, 'float'>, [number, number]> = {
  int8_t: [-128, 127],
  uint8_t: [0, 255],
  int16_t: [-32768, 32767],
  uint16_t: [0, 65535],
  int32_t: [-2147483648, 2147483647],
  uint32_t: [0, 4294967295],
};

export interface Buf {
  name: string;
  type: CType;
  /** initial contents (inputs); omit for an output buffer */
  data?: ArrayLike<number>;
  /** element count of an output buffer */
  length?: number;
  /** force the buffer into L2 (default: L1 when the case fits) */
  level?: 'l2';
}

export interface Check {
  buf: string;
  expected: ArrayLike<number>;
  /** absolute tolerance (float outputs) */
  tol?: number;
}

export interface KCase {
  name: string;
  /** kernel function, e.g. dk_gemm */
  kernel: string;
  /** args struct type, e.g. dk_gemm_args_t */
  argsType: string;
  bufs: Buf[];
  /** C designated-initializer body for the args struct; buffer names are in scope */
  args: string;
  checks: Check[];
  /** bytes of L1 scratch, passed as `scratch` in scope */
  scratch?: number;
}

let uid = 0;
function cIdent(caseIdx: number, name: string): string {
  return `c${caseIdx}_${name}`;
}

function lit(type: CType, v: number): string {
  if (type === 'float') {
    if (Number.isNaN(v)) return '(0.0f/0.0f)';
    return `${Math.fround(v).toPrecision(9)}f`;
  }
  if (type === 'int32_t' && v === -2147483648) return '(-2147483647-1)';
  if (type === 'uint32_t') return `${v >>> 0}u`;
  return String(v);
}

function arrayText(type: CType, data: ArrayLike<number>): string {
  const parts: string[] = [];
  for (let i = 0; i < data.length; i++) parts.push(lit(type, data[i]!));
  // wrap lines for the compiler's sake
  const lines: string[] = [];
  for (let i = 0; i < parts.length; i += 24) lines.push(parts.slice(i, i + 24).join(','));
  return lines.join(',\n');
}

/** The C program for a group of cases. */
export function programText(cases: KCase[]): string {
  const out: string[] = [];
  out.push('#include <dsim.h>', '#include <dsim_cluster.h>', '#include "kernels.h"', '');
  out.push('#ifdef DK_TEST_VCORES', 'unsigned dk_vcore_id, dk_vcore_n = 1;', '#endif');
  out.push('#ifndef DK_NCORES_FORK', '#define DK_NCORES_FORK 8', '#endif');
  out.push(`static void run_kernel(dsim_task_fn fn, void *args) {
#ifdef DK_TEST_VCORES
  dk_vcore_n = DK_TEST_VCORES;
  for (unsigned i = 0; i < DK_TEST_VCORES; i++) { dk_vcore_id = i; fn(args); }
  dk_vcore_id = 0; dk_vcore_n = 1;
#else
  dsim_fork(DK_NCORES_FORK, fn, args);
#endif
}
static int total_err, total_n;
`);
  // shared scratch: the largest any case needs
  const scratch = Math.max(0, ...cases.map((c) => c.scratch ?? 0));
  if (scratch > 0) out.push(`static uint8_t dk_scratch[${(scratch + 3) & ~3}] __attribute__((aligned(4))) DSIM_L1_BSS;`);
  cases.forEach((c, ci) => {
    let bytes = 0;
    for (const b of c.bufs) bytes += BYTES[b.type] * (b.data ? b.data.length : (b.length ?? 0));
    const inL1 = bytes < 120 * 1024;
    const sec = inL1 ? ' DSIM_L1' : '';
    const secBss = inL1 ? ' DSIM_L1_BSS' : '';
    for (const b of c.bufs) {
      const id = cIdent(ci, b.name);
      const l2 = b.level === 'l2';
      if (b.data) {
        const n = Math.max(1, b.data.length);
        out.push(`static ${b.type} ${id}[${n}] __attribute__((aligned(4)))${l2 ? '' : sec} = {\n${b.data.length ? arrayText(b.type, b.data) : '0'}};`);
      } else {
        out.push(`static ${b.type} ${id}[${Math.max(1, b.length ?? 0)}] __attribute__((aligned(4)))${l2 ? '' : secBss};`);
      }
    }
    c.checks.forEach((k, ki) => {
      const b = c.bufs.find((x) => x.name === k.buf);
      if (!b) throw new Error(`case ${c.name}: check of unknown buffer ${k.buf}`);
      out.push(`static const ${b.type} ${cIdent(ci, `exp${ki}`)}[${Math.max(1, k.expected.length)}] = {\n${k.expected.length ? arrayText(b.type, k.expected) : '0'}};`);
    });
    // buffer names in the initializer -> this case's arrays (not after '.', i.e. not field names)
    let init = c.args;
    for (const b of c.bufs) init = init.replace(new RegExp(`(?<![.\\w])${b.name}(?!\\w)`, 'g'), cIdent(ci, b.name));
    init = init.replace(/(?<![.\w])scratch(?!\w)/g, scratch > 0 ? '((void *)dk_scratch)' : '0');
    out.push(`static ${c.argsType} ${cIdent(ci, 'args')} = { ${init} };`);
    const body: string[] = [];
    body.push(`static void case${ci}(void) {`, '  int err = 0, n = 0;');
    for (const b of c.bufs) {
      if (!b.data) body.push(`  memset(${cIdent(ci, b.name)}, 0x5A, sizeof(${cIdent(ci, b.name)}));`);
    }
    body.push(`  run_kernel(${c.kernel}, &${cIdent(ci, 'args')});`);
    c.checks.forEach((k, ki) => {
      const b = c.bufs.find((x) => x.name === k.buf)!;
      const got = cIdent(ci, b.name);
      const exp = cIdent(ci, `exp${ki}`);
      const isF = b.type === 'float';
      const cond = isF
        ? `!(${got}[i] == ${exp}[i] || (${got}[i] - ${exp}[i] <= ${lit('float', k.tol ?? 0)} && ${exp}[i] - ${got}[i] <= ${lit('float', k.tol ?? 0)}))`
        : `${got}[i] != ${exp}[i]`;
      const fmt = isF ? `(int)(${got}[i] * 1000), (int)(${exp}[i] * 1000)` : `(int)${got}[i], (int)${exp}[i]`;
      body.push(`  for (int i = 0; i < ${k.expected.length}; i++) {`);
      body.push(`    n++;`);
      body.push(`    if (${cond}) { if (err < 4) printf("  mismatch ${b.name}[%d]: got %d expected %d${isF ? ' (x1000)' : ''}\\n", i, ${fmt}); err++; }`);
      body.push('  }');
    });
    body.push(`  printf("case ${c.name}: Errors: %d out of %d\\n", err, n);`);
    body.push('  total_err += err; total_n += n;', '}');
    out.push(...body, '');
  });
  out.push('int main(void) {');
  cases.forEach((_, ci) => out.push(`  case${ci}();`));
  out.push('  printf("Errors: %d out of %d\\n", total_err, total_n);', '  return 0;', '}');
  return out.join('\n');
}

export interface CaseResult {
  name: string;
  errors: number;
  total: number;
}
export interface RunResult {
  cases: CaseResult[];
  errors: number;
  total: number;
  stdout: string;
  status: number | null;
}

export interface RunOpts {
  runner: Runner;
  /** fork size (sim) or virtual cores (qemu) */
  cores: number;
  /** extra -D defines */
  defines?: string[];
}

export async function runCases(group: string, cases: KCase[], opts: RunOpts): Promise<RunResult> {
  const dir = join(OUT, group);
  mkdirSync(dir, { recursive: true });
  const tag = `${opts.runner}-${opts.cores}c`;
  const src = join(dir, `${group}-${tag}.c`);
  writeFileSync(src, programText(cases));
  const elf = join(dir, `${group}-${tag}-${uid++}.elf`);
  const defines = [...(opts.defines ?? [])];
  if (opts.runner === 'qemu') {
    defines.push('DSIM_NO_XPULP');
    if (opts.cores > 1) defines.push(`DK_TEST_VCORES=${opts.cores}`);
  } else {
    defines.push(`DK_NCORES_FORK=${opts.cores}`);
  }
  await buildProgram({ sources: [src, ...KERNEL_SOURCES, join(REPO, 'src/runtime/cluster.c')], out: elf, includeDirs: [join(KERNEL_DIR, 'include')], defines });
  let stdout: string;
  let status: number | null;
  if (opts.runner === 'qemu') {
    const r = spawnSync('qemu-riscv32', [elf], { encoding: 'utf8', timeout: 120_000 });
    stdout = (r.stdout ?? '') + (r.stderr ? `\n[stderr] ${r.stderr}` : '');
    status = r.status;
  } else {
    const { runCluster } = await import('../../src/sim/cluster/cluster.js');
    const r = runCluster(elf, { cores: 8, maxCycles: 2_000_000_000 });
    stdout = new TextDecoder().decode(r.stdout) + (r.fault ? `\n[fault] ${r.fault}` : '') + `\n[sim] ${r.cycles} cycles`;
    status = r.exitCode;
  }
  const res: RunResult = { cases: [], errors: -1, total: -1, stdout, status };
  for (const m of stdout.matchAll(/^case (\S+): Errors: (\d+) out of (\d+)$/gm)) {
    res.cases.push({ name: m[1]!, errors: Number(m[2]), total: Number(m[3]) });
  }
  const tot = [...stdout.matchAll(/^Errors: (\d+) out of (\d+)$/gm)][0];
  if (tot) {
    res.errors = Number(tot[1]);
    res.total = Number(tot[2]);
  }
  return res;
}

if (SKIP_REASON) console.warn(`test/kernels: skipping the kernel tests: ${SKIP_REASON}`);
