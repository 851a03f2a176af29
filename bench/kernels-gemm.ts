// MAC/cycle of the kernel library's int8 GEMM (dk_gemm) on the cluster simulator: 64x256 by 256x64,
// B transposed (K-contiguous: the fast path with pv.sdotsp.b in a hardware loop), per-tensor
// requant to int8, on 8 cores and on 1 core; plus B not transposed (packed on the fly) and int32
// output. Cycles are core 0's cycle counter around one dsim_fork (fork + join included).
// Numbers, never assertions (CONTRIBUTING.md).
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildProgram } from '../src/runtime/build.js';
import { runClusterOrThrow } from '../src/sim/cluster/cluster.js';

// bench/kernels-gemm.ts (tsx/vitest) or dist/bench/kernels-gemm.js: the repo is the first
// ancestor holding package.json
function repoRoot(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(d, 'package.json')) && dirname(d) !== d) d = dirname(d);
  return d;
}
const REPO = repoRoot();
const OUT = join(REPO, 'bench', '.out', 'kernels-gemm');
const KDIR = join(REPO, 'src', 'compiler', 'kernels');

interface Variant {
  label: string;
  defines: string[];
  /** M, K, N (default 64, 256, 64) */
  dims?: [number, number, number];
}

export async function run(): Promise<void> {
  const [M0, K0, N0] = [64, 256, 64];
  const sources = [
    join(REPO, 'bench', 'programs', 'kernels-gemm.c'),
    join(REPO, 'src', 'runtime', 'cluster.c'),
    ...readdirSync(KDIR)
      .filter((f) => f.endsWith('.c'))
      .map((f) => join(KDIR, f)),
  ];
  const variants: Variant[] = [
    { label: '8 cores, B transposed, rq int8', defines: ['BENCH_NCORES=8'] },
    { label: '1 core,  B transposed, rq int8', defines: ['BENCH_NCORES=1'] },
    { label: '8 cores, B transposed, int32 out', defines: ['BENCH_NCORES=8', 'BENCH_RQ=0'] },
    { label: '8 cores, B as K x N (packed on the fly)', defines: ['BENCH_NCORES=8', 'BENCH_TRANS_B=0'] },
    { label: '8 cores, B as K x N, transposed into scratch', defines: ['BENCH_NCORES=8', 'BENCH_TRANS_B=0', 'BENCH_STAGE=1'] },
    { label: '8 cores, B in L2 (direct loads)', defines: ['BENCH_NCORES=8', 'BENCH_B_L2=1'] },
    { label: '8 cores, decode 1x64 by 64x256, rq int8', defines: ['BENCH_NCORES=8'], dims: [1, 64, 256] },
    { label: '8 cores, decode, B in L2 (direct loads)', defines: ['BENCH_NCORES=8', 'BENCH_B_L2=1'], dims: [1, 64, 256] },
  ];
  console.log(`kernels-gemm: dk_gemm int8 ${M0}x${K0} by ${K0}x${N0} (${M0 * K0 * N0} MACs), peak 32 MAC/cycle on 8 cores`);
  for (const v of variants) {
    const [M, K, N] = v.dims ?? [M0, K0, N0];
    const macs = M * K * N;
    const elf = join(OUT, `gemm-${M}x${K}x${N}-${v.defines.join('-').replace(/BENCH_|=/g, '')}.elf`);
    await buildProgram({ sources, out: elf, includeDirs: [join(KDIR, 'include')], defines: [`GEMM_M=${M}`, `GEMM_K=${K}`, `GEMM_N=${N}`, ...v.defines] });
    const r = runClusterOrThrow(elf, { cores: 8 });
    const out = new TextDecoder().decode(r.stdout);
    const m = /cycles (\d+) checksum (\w+)/.exec(out);
    if (!m) {
      console.log(`  ${v.label}: no cycle count in output: ${out.trim()}`);
      continue;
    }
    const cycles = Number(m[1]);
    console.log(`  ${v.label.padEnd(44)} ${String(cycles).padStart(8)} cycles  ${(macs / cycles).toFixed(2).padStart(6)} MAC/cycle  (checksum ${m[2]})`);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await run();
