// The compiler on Deeploy's microLlama graphs: network cycles on the simulated 8-core cluster for
// microLlama1, microLlama64 (decode, 64 cached tokens) and microLlama8_parallel (prefill of 8),
// the 1-core vs 8-core speedup, and compile time (phases + gcc) for microLlama64. Every run is
// checked bit-exact against the case's outputs.npz (program + host check), so a number is only
// printed for a correct run. Deeploy's published GVSoC figure for microLlama64 decode
// (operators.md): about 712 k cycles with NPU and weight memory, 857 k -> 780 k without/with wmem.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { testCase } from '../src/compiler/test-runner.js';

const REPO = resolve(fileURLToPath(import.meta.url), '..', '..', '..');
const DIR = resolve(REPO, '..', 'shared', 'conformance', 'deeploy', 'Models', 'microLlama', 'INT8');
const DEEPLOY_MICROLLAMA64 = { noNpu: 857_000, wmem: 780_000, npuWmem: 712_000 };

export async function run(): Promise<void> {
  console.log(`compiler-microllama: ${cpus()[0]?.model ?? 'unknown cpu'}, node ${process.version}, ${new Date().toISOString()}`);
  if (!existsSync(DIR)) {
    console.log(`  skipped: ${DIR} is absent`);
    return;
  }
  const tmp = mkdtempSync(join(tmpdir(), 'bench-compiler-'));
  try {
    console.log('  case                   cores  cycles (network)  simulated total   compile ms   gcc+phases ms   sim s   check');
    const results = new Map<string, number>();
    for (const [name, cores] of [
      ['microLlama1', 8],
      ['microLlama1', 1],
      ['microLlama64', 8],
      ['microLlama64', 1],
      ['microLlama8_parallel', 8],
      ['microLlama8_parallel', 1],
    ] as const) {
      const r = await testCase(join(DIR, name), join(tmp, `${name}_${cores}`), { cores });
      const ms = r.compile?.manifest.compileMs ?? {};
      console.log(
        `  ${name.padEnd(22)} ${String(cores).padStart(5)}  ${String(r.cycles ?? '-').padStart(16)}  ${String(r.run?.cycles ?? '-').padStart(15)}` +
          `   ${String(ms.total ?? '-').padStart(10)}   ${String(Math.round(r.compileMs ?? 0)).padStart(13)}   ${((r.runMs ?? 0) / 1000).toFixed(1).padStart(5)}   ${r.passed ? 'bit-exact' : `FAIL ${r.reason}`}`,
      );
      if (r.passed && r.cycles !== undefined) results.set(`${name}/${cores}`, r.cycles);
    }
    for (const name of ['microLlama1', 'microLlama64', 'microLlama8_parallel']) {
      const a = results.get(`${name}/1`);
      const b = results.get(`${name}/8`);
      if (a && b) console.log(`  speedup 1 -> 8 cores, ${name}: ${(a / b).toFixed(2)}x`);
    }
    const m64 = results.get('microLlama64/8');
    if (m64)
      console.log(
        `  microLlama64 decode, 8 cores: ${m64} cycles vs Deeploy on GVSoC ${DEEPLOY_MICROLLAMA64.noNpu} (no NPU), ${DEEPLOY_MICROLLAMA64.wmem} (weight memory), ${DEEPLOY_MICROLLAMA64.npuWmem} (NPU + weight memory): ${(m64 / DEEPLOY_MICROLLAMA64.noNpu).toFixed(2)}x of the no-NPU figure`,
      );
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
