// Simulator speed: MIPS of the single-core interpreter on (a) an int8 matmul using XpulpV2 SIMD,
// hardware loops and post-increment loads, (b) a branchy plain-RV32IMC program, which also runs
// under qemu-riscv32 for the ratio. Numbers, never assertions (CONTRIBUTING.md).
import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildProgram } from '../src/runtime/build.js';
import { runProgram } from '../src/sim/run.js';

const REPO = resolve(fileURLToPath(import.meta.url), '..', '..', '..');
const OUT = join(REPO, 'bench', '.out');

function timeSim(elf: string): { mips: number; instret: number; seconds: number; out: string } {
  runProgram(elf); // warm-up: JIT compile the interpreter
  const t0 = process.hrtime.bigint();
  const r = runProgram(elf);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.fault) throw new Error(r.fault.message);
  return { mips: r.instret / seconds / 1e6, instret: r.instret, seconds, out: new TextDecoder().decode(r.stdout) };
}

function timeQemu(elf: string): { seconds: number; out: string } | undefined {
  try {
    execFileSync('qemu-riscv32', [elf]);
    const t0 = process.hrtime.bigint();
    const out = execFileSync('qemu-riscv32', [elf]).toString();
    return { seconds: Number(process.hrtime.bigint() - t0) / 1e9, out };
  } catch {
    return undefined;
  }
}

export async function run(): Promise<void> {
  console.log(`sim-speed: ${cpus()[0]?.model ?? 'unknown cpu'}, node ${process.version}, ${new Date().toISOString()}`);
  const matmul = join(OUT, 'sim-matmul.elf');
  const branchy = join(OUT, 'sim-branchy.elf');
  await buildProgram({ sources: [join(REPO, 'bench', 'programs', 'sim-matmul.c')], out: matmul });
  await buildProgram({ sources: [join(REPO, 'examples', 'branchy', 'main.c')], out: branchy, defines: ['SCALE=8'] });

  const a = timeSim(matmul);
  console.log(`  (a) int8 matmul, XpulpV2 SIMD + hwloop: ${a.instret} instructions in ${a.seconds.toFixed(3)} s = ${a.mips.toFixed(1)} MIPS`);
  const b = timeSim(branchy);
  console.log(`  (b) branchy RV32IMC:                    ${b.instret} instructions in ${b.seconds.toFixed(3)} s = ${b.mips.toFixed(1)} MIPS`);
  const q = timeQemu(branchy);
  if (!q) {
    console.log('  qemu-riscv32 not available: no ratio');
    return;
  }
  const qmips = b.instret / q.seconds / 1e6;
  const same = q.out === b.out ? 'same output' : 'OUTPUT DIFFERS';
  console.log(`  (b) under qemu-riscv32:                 ${q.seconds.toFixed(3)} s = ${qmips.toFixed(1)} MIPS (${same}); ours/qemu = ${(b.mips / qmips).toFixed(2)}`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await run();
