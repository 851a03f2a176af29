// The compiler's NPU offload (src/compiler/npu/): network cycles with and without the NPU for
// miniMobileNetv2, microLlama64 (one decode step), microLlama8_parallel and the stories260K step
// at positions 1, 64 and 256 (the sim engine, one step from the int8 engine's state), the NPU's
// utilisation (its busy cycles over the network's cycles), and the tiled NPU convs that still
// transpose at small L1 (which tile loop they run, src/compiler/npu/tile-loop.ts); every run
// bit-exact. Numbers only.
import { existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { testCase } from '../src/compiler/test-runner.js';
import { loadLlama2c } from '../src/frontend/llama2c.js';
import { loadTokenizer } from '../src/frontend/tokenizer.js';
import { Int8Engine, quantizeModel } from '../src/llm/int8.js';
import { argmax } from '../src/llm/sample.js';
import { createSimEngine } from '../src/llm/sim-engine.js';

const REPO = resolve(fileURLToPath(import.meta.url), '..', '..', '..');
const SHARED = resolve(REPO, '..', 'shared');
const MODELS = join(SHARED, 'conformance', 'deeploy', 'Models');
const CASES = ['miniMobileNetv2', 'microLlama/INT8/microLlama64', 'microLlama/INT8/microLlama8_parallel'];
/** Shared cases whose NPU conv is tiled and transposes both operands at these budgets. */
const TRANSPOSING = ['Conv/PW_2D_RQ/Unsigned_RQ', 'Conv/PW_2D_RQ/Regular_RQ'];
const KERNELS = join(SHARED, 'conformance', 'deeploy', 'Kernels', 'Integer');

const fmt = (n: number) => n.toLocaleString('en-US');

export async function run(): Promise<void> {
  console.log('npu-offload: network cycles on 8 cores, NPU off / on (default L1), NPU busy cycles / network cycles');
  console.log('| network | cluster only | with NPU | ratio | NPU layers | NPU busy | NPU utilisation | bit-exact |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const name of CASES) {
    const dir = join(MODELS, name);
    if (!existsSync(dir)) {
      console.log(`| ${name} | skipped: ${dir} is absent |`);
      continue;
    }
    const out = join(tmpdir(), `deeploy-sim-bench-npu-${process.pid}`);
    const off = await testCase(dir, `${out}-off`, { npu: false });
    const on = await testCase(dir, `${out}-on`, { npu: true });
    rmSync(`${out}-off`, { recursive: true, force: true });
    rmSync(`${out}-on`, { recursive: true, force: true });
    const busy = on.run?.cluster.engines?.npu?.busyCycles ?? 0;
    const npuLayers = on.compile?.manifest.layers.filter((l) => l.engine === 'npu').length ?? 0;
    const c0 = off.cycles ?? NaN;
    const c1 = on.cycles ?? NaN;
    console.log(
      `| ${name.split('/').pop()} | ${fmt(c0)} | ${fmt(c1)} | ${(c1 / c0).toFixed(2)}x | ${npuLayers} | ${fmt(busy)} | ${((100 * busy) / c1).toFixed(1)} % | ${off.passed && on.passed} |`,
    );
  }

  console.log('| tiled NPU conv that transposes | --l1 | tiles | tile loop | cycles | NPU utilisation | bit-exact |');
  console.log('|---|---|---|---|---|---|---|');
  for (const name of TRANSPOSING) {
    const dir = join(KERNELS, name);
    if (!existsSync(dir)) {
      console.log(`| ${name} | skipped: ${dir} is absent |`);
      continue;
    }
    for (const l1 of [16000, 8000]) {
      const out = join(tmpdir(), `deeploy-sim-bench-npu-tpipe-${process.pid}`);
      const r = await testCase(dir, out, { npu: true, l1 });
      rmSync(out, { recursive: true, force: true });
      const layer = r.compile?.manifest.layers.find((l) => l.engine === 'npu');
      const busy = r.run?.cluster.engines?.npu?.busyCycles ?? 0;
      const loop = layer?.tiles?.pipeline?.on ? 'pipelined' : 'synchronous';
      console.log(`| ${name} | ${l1} | ${layer?.tiles?.count ?? 1} | ${loop} | ${fmt(r.cycles ?? NaN)} | ${((100 * busy) / (r.cycles ?? NaN)).toFixed(1)} % | ${r.passed} |`);
    }
  }

  const modelPath = join(SHARED, 'models', 'stories260K.bin');
  if (!existsSync(modelPath)) {
    console.log(`  stories260K skipped: ${modelPath} is absent`);
    return;
  }
  const model = loadLlama2c(modelPath);
  const tok = loadTokenizer(join(SHARED, 'models', 'tok512.bin'), model.config.vocabSize);
  const int8 = new Int8Engine(quantizeModel(model, tok));
  // the int8 engine's state after greedy positions 0..p-1, then one sim step at p on each engine
  const positions = [1, 64, 256];
  const states = new Map<number, { token: number; state: ReturnType<Int8Engine['stepInputs']>; logits: ArrayLike<number> }>();
  int8.reset();
  let token = 1;
  for (let p = 0; p <= 256; p++) {
    if (positions.includes(p)) {
      // copied: the inputs may share the engine's KV arrays, which the step below changes
      const state = int8.stepInputs(token, p).map((t) => ({ ...t, data: t.data.slice() }) as typeof t);
      const logits = Array.from(int8.step(token, p));
      states.set(p, { token, state, logits });
      token = argmax(logits);
    } else token = argmax(int8.step(token, p));
  }
  console.log('| stories260K step | cluster only | with NPU | ratio | logits = int8 |');
  console.log('|---|---|---|---|---|');
  const cycles: Record<string, number[]> = {};
  const same: boolean[] = [];
  for (const npu of [false, true]) {
    const sim = await createSimEngine(int8, { cores: 8, npu, steps: 257 });
    cycles[String(npu)] = positions.map((p) => {
      const s = states.get(p)!;
      sim.setState(s.state.slice(2), p);
      const l = sim.step(s.token, p);
      same.push(Array.from(l).every((v, i) => v === s.logits[i]));
      return sim.stats.at(-1)!.cycles;
    });
  }
  positions.forEach((p, k) => {
    const a = cycles.false![k]!;
    const b = cycles.true![k]!;
    console.log(`| position ${p} | ${fmt(a)} | ${fmt(b)} | ${(b / a).toFixed(2)}x | ${same[k] && same[k + positions.length]} |`);
  });
}
