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

interface Timing {
  mips: number;
  /** by process CPU time: less sensitive to other jobs on a shared machine */
  cpuMips: number;
  coldMips: number;
  instret: number;
  seconds: number;
  out: string;
}

/** First run: cold (block translation and V8 tier-up included); best of the next runs: warm. */
function timeSim(elf: string, runs = 3): Timing {
  let cold = 0;
  let best = Infinity;
  let bestCpu = Infinity;
  let r;
  for (let k = 0; k < runs; k++) {
    const t0 = process.hrtime.bigint();
    const c0 = process.cpuUsage();
    r = runProgram(elf);
    const c = process.cpuUsage(c0);
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    if (r.fault) throw new Error(r.fault.message);
    if (k === 0) cold = s;
    else {
      best = Math.min(best, s);
      bestCpu = Math.min(bestCpu, (c.user + c.system) / 1e6);
    }
  }
  return {
    mips: r!.instret / best / 1e6,
    cpuMips: r!.instret / bestCpu / 1e6,
    coldMips: r!.instret / cold / 1e6,
    instret: r!.instret,
    seconds: best,
    out: new TextDecoder().decode(r!.stdout),
  };
}

/** Best of three runs of qemu-riscv32 (process start included: it is small next to the run), wall and CPU time. */
function timeQemu(elf: string): { seconds: number; cpuSeconds: number; out: string } | undefined {
  try {
    let best = Infinity;
    let bestCpu = Infinity;
    let out = '';
    for (let k = 0; k < 3; k++) {
      const t0 = process.hrtime.bigint();
      out = execFileSync('qemu-riscv32', [elf], { maxBuffer: 64 << 20 }).toString();
      best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e9);
      // CPU time of the child, from bash's `time` (user + sys)
      const t = execFileSync('bash', ['-c', `TIMEFORMAT='%3U %3S'; { time qemu-riscv32 "$0" >/dev/null; } 2>&1`, elf]).toString().trim().split(/\s+/).map(Number);
      bestCpu = Math.min(bestCpu, t[0] + t[1]);
    }
    return { seconds: best, cpuSeconds: bestCpu, out };
  } catch {
    return undefined;
  }
}

export async function run(): Promise<void> {
  console.log(`sim-speed: ${cpus()[0]?.model ?? 'unknown cpu'}, node ${process.version}, ${new Date().toISOString()}`);
  const matmul = join(OUT, 'sim-matmul.elf');
  const branchy = join(OUT, 'sim-branchy.elf');
  await buildProgram({ sources: [join(REPO, 'bench', 'programs', 'sim-matmul.c')], out: matmul, defines: ['REPS=200'] });
  await buildProgram({ sources: [join(REPO, 'examples', 'branchy', 'main.c')], out: branchy, defines: ['SCALE=40'] });

  const a = timeSim(matmul);
  // no qemu ratio for (a): qemu-riscv32 has no XpulpV2 (SIMD, hardware loops, post-increment)
  console.log(`  (a) int8 matmul, XpulpV2 SIMD + hwloop: ${a.instret} instructions in ${a.seconds.toFixed(3)} s = ${a.mips.toFixed(1)} MIPS (by CPU time ${a.cpuMips.toFixed(1)}; first run ${a.coldMips.toFixed(1)}; qemu-riscv32 cannot run XpulpV2)`);
  const b = timeSim(branchy);
  console.log(`  (b) branchy RV32IMC:                    ${b.instret} instructions in ${b.seconds.toFixed(3)} s = ${b.mips.toFixed(1)} MIPS (by CPU time ${b.cpuMips.toFixed(1)}; first run ${b.coldMips.toFixed(1)})`);
  const q = timeQemu(branchy);
  if (!q) {
    console.log('  qemu-riscv32 not available: no ratio');
    return;
  }
  const qmips = b.instret / q.seconds / 1e6;
  const qcpu = b.instret / Math.max(q.cpuSeconds, 1e-3) / 1e6;
  const same = q.out === b.out ? 'same output' : 'OUTPUT DIFFERS';
  console.log(`  (b) under qemu-riscv32:                 ${q.seconds.toFixed(3)} s = ${qmips.toFixed(1)} MIPS (by CPU time ${qcpu.toFixed(1)}; ${same})`);
  console.log(`  ours/qemu: ${(b.mips / qmips).toFixed(3)} (wall), ${(b.cpuMips / qcpu).toFixed(3)} (CPU time)`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await run();
