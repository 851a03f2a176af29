// `deeploy-sim run` end to end (the built CLI): output, summary, --json, --itrace, exit codes, and
// every kind of bad input as one clear line with the documented exit code (contracts.md).
import { beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assemble, HAVE_TOOLCHAIN, OUT, REPO } from './helpers.js';

const CLI = join(REPO, 'dist', 'src', 'cli', 'main.js');

/** The test programs have no per-core parking code: run them on one core. */
function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, 'run', '--cores', '1', ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Exit code `code` after printing `text` (Linux write/exit ecalls, no tohost). */
const PRINT_EXIT = (text: string, code: number) => `
  .text
  .globl _start
_start:
  li a7, 64
  li a0, 1
  la a1, msg
  li a2, ${Buffer.byteLength(text)}
  ecall
  li a7, 93
  li a0, ${code}
  ecall
  .data
msg: .ascii ${JSON.stringify(text)}
`;

function expectOneLineError(r: ReturnType<typeof cli>, status: number, pattern: RegExp) {
  expect(r.status).toBe(status);
  const lines = r.stderr.trim().split('\n');
  expect(lines.length, r.stderr).toBe(1);
  expect(lines[0]).toMatch(pattern);
  expect(lines[0]).not.toMatch(/\bat .*\.js:\d+/); // no stack trace
}

describe.skipIf(!HAVE_TOOLCHAIN)('deeploy-sim run', () => {
  beforeAll(() => {
    // build the CLI (other areas' type errors do not stop tsc from emitting)
    spawnSync(process.execPath, [join(REPO, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(REPO, 'tsconfig.json')], { cwd: REPO });
    if (!existsSync(CLI)) throw new Error(`${CLI} was not built`);
  }, 600_000);

  it('passes console output through, then prints the runtime; the exit code is the program’s', () => {
    const elf = assemble('cli-hello', PRINT_EXIT('hello sim\n', 5));
    const r = cli(elf);
    expect(r.status).toBe(5);
    expect(r.stdout).toMatch(/^hello sim\nRuntime: \d+ cycles\n$/);
  });

  it('--json writes one JSON object as the last line', () => {
    const r = cli(assemble('cli-hello0', PRINT_EXIT('ok\n', 0)), '--json');
    expect(r.status).toBe(0);
    const last = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(last.exitCode).toBe(0);
    expect(last.instructions).toEqual([9]);
    expect(last.cycles).toBeGreaterThanOrEqual(9);
  });

  it('--itrace writes core, pc, raw and disassembly per retired instruction', () => {
    const trace = join(OUT, 'cli.itrace');
    const r = cli(assemble('cli-hello0', PRINT_EXIT('ok\n', 0)), '--itrace', trace);
    expect(r.status).toBe(0);
    const lines = readFileSync(trace, 'utf8').trim().split('\n');
    expect(lines.length).toBe(9);
    expect(lines[0]).toBe('core 0 1c000000 04000893 li a7,64');
    expect(lines[8]).toMatch(/^core 0 1c0000[0-9a-f]{2} 00000073 ecall$/);
  });

  it('accepts a build directory and runs its network.elf', () => {
    const dir = join(OUT, 'cli-build');
    mkdirSync(dir, { recursive: true });
    copyFileSync(assemble('cli-hello', PRINT_EXIT('from dir\n', 0)), join(dir, 'network.elf'));
    const r = cli(dir);
    expect(r.status).toBe(0);
    expect(r.stdout.startsWith('from dir\n')).toBe(true);
  });

  describe('bad input: one line, exit 2', () => {
    it('missing file', () => expectOneLineError(cli(join(OUT, 'nope.elf')), 2, /nope\.elf: no such file/));
    it('not an ELF', () => {
      const f = join(OUT, 'not-elf.txt');
      writeFileSync(f, 'hello, this is text and not an executable\n');
      expectOneLineError(cli(f), 2, /not-elf\.txt: not an ELF file/);
    });
    it('64-bit ELF', () => {
      const s = join(OUT, 'rv64.s');
      writeFileSync(s, '.text\n.globl _start\n_start: nop\n');
      spawnSync('riscv64-unknown-elf-as', ['-march=rv64i', s, '-o', join(OUT, 'rv64.o')]);
      spawnSync('riscv64-unknown-elf-ld', ['-m', 'elf64lriscv', '-Ttext=0x1c000000', join(OUT, 'rv64.o'), '-o', join(OUT, 'rv64.elf')]);
      expectOneLineError(cli(join(OUT, 'rv64.elf')), 2, /rv64\.elf: not a 32-bit ELF/);
    });
    it('non-RISC-V ELF', () => {
      const buf = readFileSync(assemble('cli-hello0', PRINT_EXIT('ok\n', 0)));
      buf.writeUInt16LE(3, 18); // EM_386
      const f = join(OUT, 'x86.elf');
      writeFileSync(f, buf);
      expectOneLineError(cli(f), 2, /x86\.elf: not a RISC-V ELF \(e_machine 3, expected 243\)/);
    });
    it('truncated file', () => {
      const buf = readFileSync(assemble('cli-hello0', PRINT_EXIT('ok\n', 0)));
      const f = join(OUT, 'truncated.elf');
      writeFileSync(f, buf.subarray(0, 200));
      expectOneLineError(cli(f), 2, /truncated\.elf: truncated ELF file/);
      writeFileSync(f, buf.subarray(0, 30));
      expectOneLineError(cli(f), 2, /truncated\.elf: truncated ELF file/);
    });
    it('segment outside the memory map', () => {
      const elf = assemble('cli-outside', PRINT_EXIT('x', 0), { textAddr: 0x20000000 });
      expectOneLineError(cli(elf), 2, /segment at 0x20000000 .* outside the simulated memory/);
    });
  });

  describe('faults: one line with core, pc, instruction, cause; exit 3', () => {
    it('runaway program stops at the instruction limit', () => {
      const elf = assemble('cli-loop', '.text\n.globl _start\n_start: j _start\n');
      expectOneLineError(cli(elf, '--max-instructions', '1000'), 3, /core 0: pc 0x1c000000: 0x\w+ 'j 1c000000': instruction limit reached \(1000 instructions/);
      expectOneLineError(cli(elf, '--max-cycles', '5000'), 3, /cycle limit reached \(5000 cycles\)/);
    });
    it('illegal instruction', () => {
      const elf = assemble('cli-illegal', '.text\n.globl _start\n_start: c.nop\n.word 0xffffffff\n');
      expectOneLineError(cli(elf), 3, /core 0: pc 0x1c000002: 0xffffffff '\.4byte 0xffffffff': illegal instruction/);
    });
    it('unmapped access', () => {
      const elf = assemble('cli-unmapped', '.text\n.globl _start\n_start: li t0, 0x30000000\nlw t1, 8(t0)\n');
      expectOneLineError(cli(elf), 3, /'lw t1,8\(t0\)': load access fault \(unmapped address\) at 0x30000008/);
    });
    it('misaligned jump target (odd entry point)', () => {
      const elf = assemble('cli-misaligned', '.text\n.globl _start\n_start: nop\nnop\n', { ldArgs: ['-e', '0x1c000001'] });
      expectOneLineError(cli(elf), 3, /pc 0x1c000001: .*instruction address misaligned/);
    });
    it('unsupported host call names its number', () => {
      const elf = assemble('cli-syscall', '.text\n.globl _start\n_start: li a7, 1234\necall\n');
      expectOneLineError(cli(elf), 3, /unsupported host call a7=1234/);
    });
  });
});
