// NPU job throughput in simulated cycles against the 8-core cluster doing the same requantised conv
// (bench/programs/npu-conv.c): 1x1, 3x3 and 3x3 depthwise on 16x16 pixels, NPU weights in L1 or
// the weight memory, with and without activation prefetch. Numbers, never assertions.
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildProgram, RUNTIME_DIR } from '../src/runtime/build.js';
import { runClusterOrThrow } from '../src/sim/cluster/cluster.js';

const REPO = join(RUNTIME_DIR, '..', '..'); // the runtime finds its sources in src/runtime
const KDIR = join(REPO, 'src', 'compiler', 'kernels');

export async function run(): Promise<void> {
  const elf = join(REPO, 'bench', '.out', 'npu-conv', 'npu-conv.elf');
  const sources = [
    join(REPO, 'bench', 'programs', 'npu-conv.c'), join(RUNTIME_DIR, 'cluster.c'),
    ...readdirSync(KDIR).filter((f) => f.endsWith('.c')).map((f) => join(KDIR, f)),
  ];
  await buildProgram({ sources, out: elf, includeDirs: [join(KDIR, 'include')] });
  const r = runClusterOrThrow(elf, { cores: 8 });
  console.log('npu-conv: cycles of one requantised conv (core 0 timer: submit to wait / fork to join), MACs per cycle');
  const rows = [...new TextDecoder().decode(r.stdout).matchAll(/^(\S+) (\S+) cycles (\d+) macs (\d+)$/gm)];
  const cluster = new Map(rows.filter((m) => m[2] === 'cluster8').map((m) => [m[1]!, Number(m[3])]));
  for (const m of rows) {
    const cycles = Number(m[3]), macs = Number(m[4]);
    const base = cluster.get(m[1]!)!;
    console.log(`  ${m[1]!.padEnd(18)} ${m[2]!.padEnd(18)} ${String(cycles).padStart(8)} cycles  ${(macs / cycles).toFixed(1).padStart(7)} MAC/cycle  ${(base / cycles).toFixed(2).padStart(6)}x the cluster`);
  }
  const e = r.engines.npu!;
  console.log(`  NPU totals: ${e.jobs} jobs, ${e.busyCycles} busy cycles, ${e.macs} MACs, ${e.stallCycles} bank-stall cycles`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await run();
