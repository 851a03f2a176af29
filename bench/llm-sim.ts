// The sim engine (the int8 step graph compiled and run on the simulated 8-core cluster) against
// the int8 engine: a 200-token greedy story (token agreement), simulated cycles per token at
// positions 1, 64 and 256, tokens/s at the default clock, uJ/token, host time. Numbers only.
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadLlama2c } from '../src/frontend/llama2c.js';
import { loadTokenizer } from '../src/frontend/tokenizer.js';
import { generate } from '../src/llm/generate.js';
import { Int8Engine, quantizeModel } from '../src/llm/int8.js';
import { argmax } from '../src/llm/sample.js';
import { createSimEngine, DEFAULT_FREQ_MHZ, formatSummary, summarize } from '../src/llm/sim-engine.js';

const REPO = resolve(fileURLToPath(import.meta.url), '..', '..', '..');
const MODELS = resolve(REPO, '..', 'shared', 'models');
const STEPS = 200;

export async function run(): Promise<void> {
  console.log(`llm-sim: ${cpus()[0]?.model ?? 'unknown cpu'} (${cpus().length} cpus), node ${process.version}, ${new Date().toISOString()}`);
  const modelPath = join(MODELS, 'stories260K.bin');
  if (!existsSync(modelPath)) {
    console.log(`  skipped: ${MODELS} is absent`);
    return;
  }
  const model = loadLlama2c(modelPath);
  const tok = loadTokenizer(join(MODELS, 'tok512.bin'), model.config.vocabSize);
  const int8 = new Int8Engine(quantizeModel(model, tok));
  const t0 = performance.now();
  const sim = await createSimEngine(int8, { cores: 8, log: (l) => console.log(`  ${l}`) });
  for (const b of sim.builds) console.log(`  window ${String(b.window).padStart(3)}: ${b.built ? 'built' : 'cached'} ${b.dir}`);
  console.log(`  engine ready in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  let t = performance.now();
  const a = generate(int8, tok, { prompt: '', steps: STEPS, sampler: argmax });
  const int8Ms = performance.now() - t;
  t = performance.now();
  const b = generate(sim, tok, { prompt: '', steps: STEPS, sampler: argmax });
  const simMs = performance.now() - t;
  let agree = 0;
  while (agree < a.tokens.length && a.tokens[agree] === b.tokens[agree]) agree++;
  console.log(`  ${STEPS}-step greedy story: sim = int8 on ${agree}/${a.tokens.length} tokens (${a.steps} steps); host ${(simMs / b.steps).toFixed(0)} ms/token sim vs ${(int8Ms / a.steps).toFixed(0)} ms/token int8`);
  const s = summarize(sim.stats, DEFAULT_FREQ_MHZ);
  console.log(`  ${formatSummary(s, 8)}`);
  const at = (p: number) => sim.stats.find((x) => x.pos === p);

  // position 256: the int8 engine's state after 256 greedy positions, then one sim step
  int8.reset();
  let token = 1;
  for (let p = 0; p < 256; p++) token = argmax(int8.step(token, p));
  sim.setState(int8.stepInputs(token, 256).slice(2), 256);
  const l8 = int8.step(token, 256);
  const ls = sim.step(token, 256);
  const same = l8.every((v, i) => v === ls[i]);
  const costliest = (e: typeof sim) =>
    e
      .layerCycles()
      .sort((x, y) => y.cycles - x.cycles)
      .slice(0, 6)
      .map((l) => `${l.name} ${l.cycles}`)
      .join(', ');
  const top256 = costliest(sim);

  // for comparison: position 64 on the graph's own 511-slot window (what every position cost before window buckets)
  const fixed = await createSimEngine(int8, { cores: 8, windows: [] });
  int8.reset();
  token = 1;
  for (let p = 0; p < 64; p++) token = argmax(int8.step(token, p));
  const state64 = int8.stepInputs(token, 64).slice(2);
  fixed.setState(state64, 64);
  const lf = fixed.step(token, 64);
  const same64 = int8.step(token, 64).every((v, i) => v === lf[i]);

  const rows = [1, 64, 256].map((p) => ({ p, st: at(p) ?? (p === 256 ? sim.stats.at(-1) : undefined) }));
  const line = (label: string, st: NonNullable<(typeof rows)[number]['st']>, extra = '') =>
    console.log(
      `  ${label}: ${st.cycles} cycles/token on 8 cores (window ${st.window}), ${((DEFAULT_FREQ_MHZ * 1e6) / st.cycles).toFixed(1)} tokens/s at ${DEFAULT_FREQ_MHZ} MHz, ` +
        `${st.energyUJ.toFixed(1)} uJ/token, host ${st.wallMs.toFixed(0)} ms${extra}`,
    );
  for (const { p, st } of rows) if (st) line(`position ${String(p).padStart(3)}`, st, p === 256 ? ` (logits = int8: ${same})` : '');
  line('position  64, fixed window', fixed.stats.at(-1)!, ` (logits = int8: ${same64})`);
  console.log(`  costliest layers at position 256: ${top256}`);
  const at64 = sim.stats.find((x) => x.pos === 64);
  if (at64) {
    // re-run position 64 from the int8 state for its per-layer view
    sim.setState(state64, 64);
    sim.step(token, 64);
    console.log(`  costliest layers at position 64: ${costliest(sim)}`);
  }
}
