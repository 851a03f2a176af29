// Reference executor speed on Deeploy's microLlama graphs: load time and time per step, measured
// by Benchmark.js (it picks the sample count and reports the relative margin of error, which a
// shared 2-core machine needs). Target: one microLlama64 decode step under 200 ms.
import { existsSync, readdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadOnnx } from '../src/frontend/onnx.js';
import { readNpz } from '../src/frontend/npy.js';
import { execute } from '../src/reference/execute.js';
import Benchmark from 'benchmark';

const REPO = resolve(fileURLToPath(import.meta.url), '..', '..', '..');
const DIR = resolve(REPO, '..', 'shared', 'conformance', 'deeploy', 'Models', 'microLlama', 'INT8');

export async function run(): Promise<void> {
  console.log(`reference-microllama: ${cpus()[0]?.model ?? 'unknown cpu'}, node ${process.version}, ${new Date().toISOString()}`);
  if (!existsSync(DIR)) {
    console.log(`  skipped: ${DIR} is absent`);
    return;
  }
  const names = readdirSync(DIR).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  console.log('  case                     nodes   load ms   step ms (mean)   +-%   samples   capture ms');
  for (const name of names) {
    const dir = join(DIR, name);
    const t0 = performance.now();
    const g = loadOnnx(join(dir, 'network.onnx'));
    const load = performance.now() - t0;
    const inputs = readNpz(join(dir, 'inputs.npz'));
    const bench = new Benchmark(name, () => execute(g, inputs), { maxTime: 2, minSamples: 10 }).run();
    const stats = bench.stats;
    const c0 = performance.now();
    execute(g, inputs, { captureActivations: true });
    const capture = performance.now() - c0;
    console.log(
      `  ${name.padEnd(24)} ${String(g.nodes.length).padStart(5)} ${load.toFixed(1).padStart(9)} ${(stats.mean * 1000).toFixed(2).padStart(16)} ${stats.rme.toFixed(1).padStart(5)} ${String(stats.sample.length).padStart(9)} ${capture.toFixed(2).padStart(12)}`,
    );
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) await run();
