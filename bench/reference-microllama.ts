// Reference executor speed on Deeploy's microLlama graphs: load time and time per step (median of
// repeated runs after a warm-up). Target: one microLlama64 decode step under 200 ms.
import { existsSync, readdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadOnnx } from '../src/frontend/onnx.js';
import { readNpz } from '../src/frontend/npy.js';
import { execute } from '../src/reference/execute.js';

const REPO = resolve(fileURLToPath(import.meta.url), '..', '..', '..');
const DIR = resolve(REPO, '..', 'shared', 'conformance', 'deeploy', 'Models', 'microLlama', 'INT8');

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export async function run(): Promise<void> {
  console.log(`reference-microllama: ${cpus()[0]?.model ?? 'unknown cpu'}, node ${process.version}, ${new Date().toISOString()}`);
  if (!existsSync(DIR)) {
    console.log(`  skipped: ${DIR} is absent`);
    return;
  }
  const names = readdirSync(DIR).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  console.log('  case                     nodes   load ms   step ms (median)   step ms (min)   capture ms');
  for (const name of names) {
    const dir = join(DIR, name);
    const t0 = performance.now();
    const g = loadOnnx(join(dir, 'network.onnx'));
    const load = performance.now() - t0;
    const inputs = readNpz(join(dir, 'inputs.npz'));
    for (let i = 0; i < 3; i++) execute(g, inputs);
    const times: number[] = [];
    for (let i = 0; i < 15; i++) {
      const s = performance.now();
      execute(g, inputs);
      times.push(performance.now() - s);
    }
    const c0 = performance.now();
    execute(g, inputs, { captureActivations: true });
    const capture = performance.now() - c0;
    console.log(
      `  ${name.padEnd(24)} ${String(g.nodes.length).padStart(5)} ${load.toFixed(1).padStart(9)} ${median(times).toFixed(2).padStart(18)} ${Math.min(...times).toFixed(2).padStart(15)} ${capture.toFixed(2).padStart(12)}`,
    );
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) await run();
