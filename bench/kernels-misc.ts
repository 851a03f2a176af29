// Cycles per element of the non-GEMM kernels (iSoftmax, iRMSNorm, RequantShift, Add, Transpose)
// on the cluster simulator, 8 cores and 1 core. Numbers, never assertions (CONTRIBUTING.md).
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildProgram } from '../src/runtime/build.js';
import { runClusterOrThrow } from '../src/sim/cluster/cluster.js';

function repoRoot(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(d, 'package.json')) && dirname(d) !== d) d = dirname(d);
  return d;
}
const REPO = repoRoot();
const OUT = join(REPO, 'bench', '.out', 'kernels-misc');
const KDIR = join(REPO, 'src', 'compiler', 'kernels');

export async function run(): Promise<void> {
  const sources = [
    join(REPO, 'bench', 'programs', 'kernels-misc.c'),
    join(REPO, 'src', 'runtime', 'cluster.c'),
    ...readdirSync(KDIR)
      .filter((f) => f.endsWith('.c'))
      .map((f) => join(KDIR, f)),
  ];
  console.log('kernels-misc: cycles (core 0, fork to join) and cycles per element');
  const results = new Map<string, Record<number, number>>();
  const elements = new Map<string, number>();
  for (const cores of [8, 1]) {
    const elf = join(OUT, `misc-${cores}c.elf`);
    await buildProgram({ sources, out: elf, includeDirs: [join(KDIR, 'include')], defines: [`BENCH_NCORES=${cores}`] });
    const r = runClusterOrThrow(elf, { cores: 8 });
    for (const m of new TextDecoder().decode(r.stdout).matchAll(/^(\S+) cycles (\d+) elements (\d+)$/gm)) {
      const rec = results.get(m[1]!) ?? {};
      rec[cores] = Number(m[2]);
      results.set(m[1]!, rec);
      elements.set(m[1]!, Number(m[3]));
    }
  }
  for (const [name, rec] of results) {
    const n = elements.get(name)!;
    const c8 = rec[8] ?? NaN;
    const c1 = rec[1] ?? NaN;
    console.log(`  ${name.padEnd(26)} 8 cores ${String(c8).padStart(8)} (${(c8 / n).toFixed(2)}/elem)   1 core ${String(c1).padStart(8)} (${(c1 / n).toFixed(2)}/elem)   speed-up ${(c1 / c8).toFixed(2)}`);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await run();
