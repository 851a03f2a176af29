// Cluster simulator speed: aggregate simulated MIPS of an int8 matmul on 8 cores with the full
// timing model (bank arbitration, event unit, scheduler), and the ratio to the functional
// single-core speed (one core, no cluster, same kernel). Numbers, never assertions.
// Speeds use CPU time (process.cpuUsage), not wall time: the machines we share run other jobs, and
// CPU time is what the simulator costs. Best of 5 runs; ELF loading not timed. Each measurement
// runs in its own node process: compiled guest blocks are cached per program, and a cache shared
// by plain cores and cluster cores would make both slower than either alone.
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildProgram, RUNTIME_DIR } from '../src/runtime/build.js';
import { Cluster } from '../src/sim/cluster/cluster.js';
import { loadProgram } from '../src/sim/run.js';

const REPO = resolve(fileURLToPath(import.meta.url), '..', '..', '..');
const OUT = join(REPO, 'bench', '.out');
const SIZE = ['M=128', 'N=64', 'K=128'];
const cpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

function timeCluster(elf: string, cores: number, quantum?: number): { mips: number; instr: number; cycles: number; s: number } {
  let best = { mips: 0, instr: 0, cycles: 0, s: 0 };
  for (let k = 0; k < 5; k++) {
    const cl = new Cluster(elf, { cores, quantum }); // ELF loading is not timed
    const t0 = cpuSeconds();
    const r = cl.run();
    const s = cpuSeconds() - t0;
    if (r.fault) throw new Error(r.fault);
    const m = { mips: r.instructions / s / 1e6, instr: r.instructions, cycles: r.cycles, s };
    if (m.mips > best.mips) best = m;
  }
  return best;
}

function timeSingle(elf: string): { mips: number; instr: number; s: number } {
  let best = { mips: 0, instr: 0, s: 0 };
  for (let k = 0; k < 5; k++) {
    const { core } = loadProgram(elf);
    const t0 = cpuSeconds();
    let stop;
    while ((stop = core.run(1 << 20)) === 'limit');
    const s = cpuSeconds() - t0;
    if (stop !== 'exit') throw new Error(`single-core run stopped: ${stop} ${core.faultMessage()}`);
    const m = { mips: core.instret / s / 1e6, instr: core.instret, s };
    if (m.mips > best.mips) best = m;
  }
  return best;
}

type Kind = 'single' | 'cluster';
function measure(kind: Kind, elf: string, quantum?: number): { mips: number; instr: number; cycles: number; s: number } {
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--measure', kind, elf, String(quantum ?? '')], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`measurement failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

export async function run(): Promise<void> {
  console.log(`cluster-speed: ${cpus()[0]?.model ?? 'unknown cpu'}, node ${process.version}, ${new Date().toISOString()}`);
  const src = join(REPO, 'test', 'cluster', 'programs', 'matmul.c');
  const cl = join(RUNTIME_DIR, 'cluster.c');
  const e8 = join(OUT, 'cluster-matmul-8.elf');
  const e1 = join(OUT, 'cluster-matmul-1.elf');
  await buildProgram({ sources: [src, cl], out: e8, defines: [...SIZE, 'NCORES=8'] });
  await buildProgram({ sources: [src, cl], out: e1, defines: [...SIZE, 'NCORES=1'] });
  const single = measure('single', e1);
  console.log(`  functional 1 core (no cluster):     ${single.instr} instructions, ${single.s.toFixed(3)} s = ${single.mips.toFixed(1)} MIPS`);
  const c8 = measure('cluster', e8);
  console.log(`  8-core cluster, timing on:          ${c8.instr} instructions, ${c8.cycles} cycles, ${c8.s.toFixed(3)} s = ${c8.mips.toFixed(1)} MIPS aggregate (target >= 60)`);
  console.log(`  ratio cluster / functional 1 core:  ${(c8.mips / single.mips).toFixed(2)}`);
  const c1 = measure('cluster', e1);
  console.log(`  same kernel on 1 core of the cluster: ${c1.cycles} cycles, ${c1.mips.toFixed(1)} MIPS; speed-up 8 cores = ${(c1.cycles / c8.cycles).toFixed(2)}x`);
  for (const q of [64, 128, 256, 1024]) {
    const cq = measure('cluster', e8, q);
    console.log(`  scheduler quantum ${String(q).padStart(4)} (default 512):    ${cq.cycles} cycles, ${cq.mips.toFixed(1)} MIPS aggregate`);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (process.argv[2] === '--measure') {
    const [kind, elf, q] = process.argv.slice(3) as [Kind, string, string];
    const r = kind === 'single' ? { ...timeSingle(elf), cycles: 0 } : timeCluster(elf, 8, q ? Number(q) : undefined);
    console.log(JSON.stringify(r));
  } else await run();
}
