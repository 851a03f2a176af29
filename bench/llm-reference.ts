// TinyStories stories260K in Node: float reference tokens/s and int8 (integer step graph on the
// reference executor) tokens/s, greedy, 200 steps. Numbers, never assertions (CONTRIBUTING.md).
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadLlama2c } from '../src/frontend/llama2c.js';
import { loadTokenizer } from '../src/frontend/tokenizer.js';
import { FloatModel, type StepEngine } from '../src/llm/float.js';
import { generate } from '../src/llm/generate.js';
import { Int8Engine, quantizeModel } from '../src/llm/int8.js';
import { teacherForcedAgreement } from '../src/llm/agreement.js';
import { argmax, makeSampler } from '../src/llm/sample.js';

const REPO = resolve(fileURLToPath(import.meta.url), '..', '..', '..');
const MODELS = resolve(REPO, '..', 'shared', 'models');

function tokensPerSecond(engine: StepEngine, tok: ReturnType<typeof loadTokenizer>, steps: number): number {
  const t0 = process.hrtime.bigint();
  const r = generate(engine, tok, { prompt: '', steps, sampler: argmax });
  return r.steps / (Number(process.hrtime.bigint() - t0) / 1e9);
}

export async function run(): Promise<void> {
  console.log(`llm-reference: ${cpus()[0]?.model ?? 'unknown cpu'}, node ${process.version}, ${new Date().toISOString()}`);
  const modelPath = join(MODELS, 'stories260K.bin');
  if (!existsSync(modelPath)) {
    console.log(`  skipped: ${MODELS} is absent`);
    return;
  }
  const model = loadLlama2c(modelPath);
  const tok = loadTokenizer(join(MODELS, 'tok512.bin'), model.config.vocabSize);
  const float = new FloatModel(model);
  tokensPerSecond(float, tok, 50); // warm-up (JIT)
  console.log(`  float (bit-exact with llama2.c), 200 steps: ${tokensPerSecond(float, tok, 200).toFixed(0)} tokens/s`);
  const t0 = process.hrtime.bigint();
  const info = quantizeModel(model, tok);
  console.log(`  int8 quantization (calibration on 3 stories + graph build): ${(Number(process.hrtime.bigint() - t0) / 1e6).toFixed(0)} ms, ${info.graph.nodes.length} nodes`);
  const int8 = new Int8Engine(info);
  tokensPerSecond(int8, tok, 10);
  console.log(`  int8 step graph on the reference executor, 200 steps: ${tokensPerSecond(int8, tok, 200).toFixed(1)} tokens/s`);
  // Quality beside speed: teacher-forced top-1 agreement on the calibration story and on held-out sampled ones.
  const own = teacherForcedAgreement(float, int8, generate(float, tok, { prompt: '', steps: 200, sampler: argmax }).tokens);
  let agree = 0;
  let total = 0;
  for (const seed of [11, 12, 13, 14]) {
    const story = generate(float, tok, { prompt: '', steps: 256, sampler: makeSampler({ temperature: 1, seed }) }).tokens;
    const a = teacherForcedAgreement(float, int8, story);
    agree += a.agree;
    total += a.total;
  }
  console.log(`  int8 top-1 agreement: own greedy story ${(100 * own.rate).toFixed(1)}%, 4 held-out sampled stories (T=1, top-p 0.9) ${((100 * agree) / total).toFixed(1)}%`);
}
