// Shared helpers for the simulator tests: assembling and linking small programs with GNU as/ld,
// running them on the simulator or under qemu-riscv32.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const OUT = join(REPO, 'test', '.out', 'sim');
export const AS = 'riscv64-unknown-elf-as';
export const LD = 'riscv64-unknown-elf-ld';
export const OBJDUMP = 'riscv64-unknown-elf-objdump';

const has = (cmd: string) => spawnSync(cmd, ['--version']).status === 0;
export const HAVE_TOOLCHAIN = has(AS) && has(LD) && has(OBJDUMP);
export const HAVE_QEMU = spawnSync('qemu-riscv32', ['--version']).status === 0;
export const HAVE_GCC = spawnSync('gcc', ['--version']).status === 0;

export interface AsmOptions {
  /** -march for as (default rv32imc with zicsr) */
  march?: string;
  textAddr?: number;
  dataAddr?: number;
  /** extra ld arguments (e.g. entry) */
  ldArgs?: string[];
}

/**
 * Assemble and link `source` (GNU as syntax) into OUT/<name>.elf. Code at 0x1c000000 (L2), data on
 * a separate page (qemu-user slows down on pages mixing code and written data).
 */
export function assemble(name: string, source: string, opts: AsmOptions = {}): string {
  mkdirSync(OUT, { recursive: true });
  const s = join(OUT, `${name}.s`);
  const o = join(OUT, `${name}.o`);
  const elf = join(OUT, `${name}.elf`);
  writeFileSync(s, source);
  execFileSync(AS, [`-march=${opts.march ?? 'rv32imc_zicsr'}`, '-mabi=ilp32', s, '-o', o]);
  // segments page-aligned in the file (qemu-user maps them), no ELF headers inside a segment
  const script = join(OUT, `${name}.ld`);
  writeFileSync(
    script,
    `PHDRS { text PT_LOAD; data PT_LOAD; }
SECTIONS {
  . = 0x${(opts.textAddr ?? 0x1c000000).toString(16)};
  .text : { *(.text .text.*) } :text
  . = 0x${(opts.dataAddr ?? 0x1c100000).toString(16)};
  .data : { *(.data .data.* .sdata .bss .sbss) } :data
}
`,
  );
  execFileSync(LD, ['-m', 'elf32lriscv', '--no-relax', '-T', script, ...(opts.ldArgs ?? []), o, '-o', elf]);
  return elf;
}

export function qemu(elf: string): { stdout: Buffer; status: number | null } {
  const r = spawnSync('qemu-riscv32', [elf], { maxBuffer: 64 << 20 });
  return { stdout: r.stdout, status: r.status };
}

/** objdump -d lines of an object/ELF: address, raw bits, text (symbol suffixes removed). */
export function objdump(file: string): { addr: number; raw: number; text: string }[] {
  const out = execFileSync(OBJDUMP, ['-d', file], { maxBuffer: 64 << 20 }).toString();
  const rows: { addr: number; raw: number; text: string }[] = [];
  for (const line of out.split('\n')) {
    const m = /^\s*([0-9a-f]+):\s+([0-9a-f]{4}|[0-9a-f]{8})\s+(.*)$/.exec(line);
    if (!m) continue;
    const text = m[3].replace(/\s*<[^>]*>$/, '').replace(/\s*#.*$/, '').trim();
    rows.push({ addr: parseInt(m[1], 16), raw: parseInt(m[2], 16), text });
  }
  return rows;
}

export function ensureDir(p: string): string {
  if (!existsSync(p)) mkdirSync(p, { recursive: true });
  return p;
}
