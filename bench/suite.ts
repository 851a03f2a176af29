// The benchmark suite: runs the exported run() of every bench/*.ts module (compiled to
// dist/bench/*.js), in name order, or only those whose file name contains one of `only`.
import { readdirSync } from 'node:fs';
import { cpus, platform, release } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const NOT_BENCHMARKS = new Set(['index.js', 'suite.js']);

export function benchmarkNames(): string[] {
  return readdirSync(here)
    .filter((f) => f.endsWith('.js') && !NOT_BENCHMARKS.has(f))
    .map((f) => f.slice(0, -3))
    .sort();
}

export async function runBenchmarks(only: readonly string[] = []): Promise<string[]> {
  const names = benchmarkNames().filter((n) => only.length === 0 || only.some((o) => n.includes(o)));
  const cpu = cpus();
  console.log(`# deeploy-sim bench, ${new Date().toISOString()}, node ${process.version}, ${platform()} ${release()}, ${cpu.length} x ${cpu[0]?.model ?? 'unknown CPU'}`);
  for (const name of names) {
    const mod = (await import(pathToFileURL(join(here, `${name}.js`)).href)) as { run?: () => Promise<void> | void };
    if (typeof mod.run === 'function') await mod.run();
  }
  return names;
}
