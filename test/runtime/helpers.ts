// Shared helpers for the runtime tests: build target programs with build.ts, run them under
// qemu-riscv32, build the same C with the host gcc for independently computed expectations.
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const OUT = join(REPO, 'test/.out/runtime');
export const EXAMPLES = join(REPO, 'examples');
export const SPEC_DIR = resolve(REPO, '../shared/spec');

function has(cmd: string): boolean {
  return spawnSync(cmd, ['--version'], { stdio: 'ignore' }).status === 0;
}
export const HAVE_GCC = has('riscv64-unknown-elf-gcc');
export const HAVE_QEMU = has('qemu-riscv32');
export const HAVE_HOST_GCC = has('gcc');
export const HAVE_OBJDUMP = has('riscv64-unknown-elf-objdump');

export function outDir(sub: string): string {
  const d = join(OUT, sub);
  mkdirSync(d, { recursive: true });
  return d;
}

export interface RunResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function runQemu(elf: string, timeoutMs = 60_000): RunResult {
  const r = spawnSync('qemu-riscv32', [elf], { encoding: 'utf8', timeout: timeoutMs });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** Build C sources with the host gcc (the "independent" implementation of the same source) and run. */
export function runHost(sources: string[], out: string, defines: string[] = []): RunResult {
  const cc = spawnSync('gcc', ['-O1', '-w', ...defines.map((d) => `-D${d}`), ...sources, '-o', out], { encoding: 'utf8' });
  if (cc.status !== 0) throw new Error(`host gcc failed: ${cc.stderr}`);
  const r = spawnSync(out, [], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

export const SKIP_REASON = !HAVE_GCC
  ? 'riscv64-unknown-elf-gcc missing (run `make toolchain`)'
  : !HAVE_QEMU
    ? 'qemu-riscv32 missing (run `make toolchain`)'
    : '';
if (SKIP_REASON) console.warn(`test/runtime: skipping toolchain tests: ${SKIP_REASON}`);
