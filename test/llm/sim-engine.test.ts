// The sim engine: the int8 step graph compiled by the compiler and run on the simulated cluster
// must give exactly what the int8 engine (the reference executor on the same graph) gives: the
// same tokens, the same logits, and every output of a step equal to the reference executor's.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { toNumberArray } from '../../src/frontend/dtype.js';
import { loadLlama2c } from '../../src/frontend/llama2c.js';
import { loadTokenizer, type Tokenizer } from '../../src/frontend/tokenizer.js';
import { generate } from '../../src/llm/generate.js';
import { Int8Engine, quantizeModel } from '../../src/llm/int8.js';
import { argmax } from '../../src/llm/sample.js';
import { InputError } from '../../src/errors.js';
import { createSimEngine, engineWindows, summarize, type SimEngine } from '../../src/llm/sim-engine.js';
import { execute } from '../../src/reference/index.js';
import { cli, haveModels, MODEL, TOKENIZER } from './helpers.js';

const STEPS = 20;
const WINDOWS = { windows: [15, 7], steps: STEPS + 1 };

describe.skipIf(!haveModels)('generate --engine sim', () => {
  let int8: Int8Engine;
  let sim: SimEngine;
  let tok: Tokenizer;
  let buildDir = '';
  beforeAll(async () => {
    const model = loadLlama2c(MODEL);
    tok = loadTokenizer(TOKENIZER, model.config.vocabSize);
    int8 = new Int8Engine(quantizeModel(model, tok));
    buildDir = mkdtempSync(join(tmpdir(), 'dsim-llm-sim-'));
    // short windows 7 and 15 so that a short run crosses two window changes (0-6, 7-14, 15-)
    sim = await createSimEngine(int8, { cores: 8, buildDir, ...WINDOWS });
  });

  it(`produces the int8 engine's tokens and logits for ${STEPS} greedy steps`, () => {
    const logits: Float32Array[][] = [[], []];
    const tap = (k: number, e: { step(t: number, p: number): Float32Array }) => ({
      vocabSize: int8.vocabSize,
      seqLen: int8.seqLen,
      reset: () => (k === 0 ? int8.reset() : sim.reset()),
      step(t: number, p: number) {
        const l = e.step(t, p);
        logits[k]!.push(l);
        return l;
      },
    });
    const a = generate(tap(0, int8), tok, { prompt: 'Once upon', steps: STEPS, sampler: argmax });
    const b = generate(tap(1, sim), tok, { prompt: 'Once upon', steps: STEPS, sampler: argmax });
    expect(a.steps).toBe(STEPS);
    expect(b.tokens).toEqual(a.tokens);
    expect(logits[1]!.length).toBe(STEPS);
    for (let s = 0; s < STEPS; s++) expect(Array.from(logits[1]![s]!), `logits at position ${s}`).toEqual(Array.from(logits[0]![s]!));
    // the graph's own ArgMax ran on the cluster too
    expect(sim.lastArgmax).toBe(int8.lastArgmax);
    const sum = summarize(sim.stats, 360);
    expect(sum.tokens).toBe(STEPS);
    expect(sum.meanCycles).toBeGreaterThan(0);
    expect(sum.uJPerToken).toBeGreaterThan(0);
    // each position ran on the shortest window that holds its filled slots
    expect(sim.builds.map((b) => b.window)).toEqual([7, 15, 511]);
    expect(sim.stats.map((x) => x.window)).toEqual(Array.from({ length: STEPS }, (_, p) => (p < 7 ? 7 : p < 15 ? 15 : 511)));
  });

  it('one step: every output (next token, logits, mask, K/V windows) equals the reference executor on the same inputs', () => {
    // continue the sequence above by one position with a token that is not the greedy one
    const pos = sim.stats.at(-1)!.pos + 1;
    sim.step(42, pos);
    const { inputs, outputs } = sim.lastStep!;
    const ref = execute(int8.graph, inputs).outputs;
    expect(outputs.length).toBe(int8.graph.outputs.length);
    outputs.forEach((o, k) => expect(Array.from(toNumberArray(o.data)), `output ${o.name}`).toEqual(Array.from(ref[k]!.data)));
    // the state really moves: the new key column is not all zero in layer 0
    const kOut = toNumberArray(outputs[3]!.data);
    expect(kOut.some((v) => v !== 0)).toBe(true);
  });

  it('reuses the build: a second engine does not run gcc and starts at position 0 again', async () => {
    await createSimEngine(int8, { cores: 2, buildDir, ...WINDOWS }); // (re)builds if the sources changed since beforeAll
    const again = await createSimEngine(int8, { cores: 2, buildDir, ...WINDOWS });
    expect(again.builds.map((b) => b.built)).toEqual([false, false, false]);
    int8.reset();
    const a = int8.step(1, 0);
    const b = again.step(1, 0);
    expect(Array.from(b)).toEqual(Array.from(a));
  });

  it('a state from another engine continues on the window that holds it, a too-full one is refused', async () => {
    int8.reset();
    let token = 1;
    for (let p = 0; p < 10; p++) token = argmax(int8.step(token, p));
    sim.setState(int8.stepInputs(token, 10).slice(2), 10);
    expect(Array.from(sim.step(token, 10))).toEqual(Array.from(int8.step(token, 10)));
    expect(sim.stats.at(-1)!.window).toBe(15);
    // an engine built for 8 positions has windows 7 and 15 only: 20 filled slots do not fit
    const short = await createSimEngine(int8, { cores: 8, buildDir, windows: [7, 15], steps: 8 });
    expect(short.builds.map((b) => b.window)).toEqual([7, 15]);
    for (let p = 11; p < 20; p++) token = argmax(int8.step(token, p));
    short.setState(int8.stepInputs(token, 20).slice(2), 20);
    expect(() => short.step(token, 20)).toThrow(/the state fills 20 slots; the largest window built is 15/);
  });

  it('engineWindows: sorted, the graph window last, trimmed to what the steps need; bad windows refused', () => {
    expect(engineWindows(511)).toEqual([63, 127, 255, 511]);
    expect(engineWindows(511, { steps: 16 })).toEqual([63]);
    expect(engineWindows(511, { steps: 63 })).toEqual([63]);
    expect(engineWindows(511, { steps: 64 })).toEqual([63, 127]);
    expect(engineWindows(511, { steps: 300 })).toEqual([63, 127, 255, 511]);
    expect(engineWindows(511, { windows: [] })).toEqual([511]);
    expect(engineWindows(511, { windows: [100, 20, 20, 511] })).toEqual([20, 100, 511]);
    for (const w of [0, 512, 1.5]) expect(() => engineWindows(511, { windows: [w] })).toThrow(InputError);
  });

  it('CLI: stdout is the int8 engine\'s text; stderr ends with the sim summary line', () => {
    const args = ['generate', '--model', MODEL, '--tokenizer', TOKENIZER, '--steps', '16'];
    const ref = cli([...args, '--engine', 'int8']);
    const r = cli([...args, '--engine', 'sim', '--build-dir', buildDir, '--cores', '8', '--freq-mhz', '500']);
    expect(r.stderr).toMatch(/compiled the step graph with window 63 /);
    expect(r.stderr).not.toMatch(/window (127|255|511)/);
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.status).toBe(0);
    expect(ref.status).toBe(0);
    expect(r.stdout).toBe(ref.stdout);
    expect(r.stderr).toMatch(/\nsim: 16 tokens on 8 cores: \d+ cycles\/token \(by position 0-0: \d+, 1-15: \d+\), [\d.]+ tokens\/s at 500 MHz, [\d.]+ uJ\/token; host [\d.]+ ms\/token \([\d.]+ simulated MIPS\)\n$/);
  });
});

describe.skipIf(!haveModels)('generate --engine sim: bad inputs exit 2', () => {
  const base = ['generate', '--model', MODEL, '--tokenizer', TOKENIZER, '--engine', 'sim', '--steps', '2'];
  it.each([
    [['--cores', '0'], /--cores 0: expected an integer 1\.\.8/],
    [['--cores', '9'], /--cores 9: expected an integer 1\.\.8/],
    [['--cores', '2.5'], /--cores 2\.5: expected an integer 1\.\.8/],
    [['--freq-mhz', '0'], /--freq-mhz 0: expected a positive number/],
    [['--windows', '63,x'], /--windows 63,x: 'x' is not an integer/],
    [['--windows', '63,,127'], /--windows 63,,127: '' is not an integer/],
    [['--windows', '600'], /--windows: 600 is not an integer 1\.\.511/],
    [['--windows', '0'], /--windows: 0 is not an integer 1\.\.511/],
  ])('%j', (extra, message) => {
    const r = cli([...base, ...extra]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
  });
  it('--windows without --engine sim', () => {
    const r = cli(['generate', '--model', MODEL, '--tokenizer', TOKENIZER, '--engine', 'int8', '--windows', '63']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--windows needs --engine sim/);
  });
  it('--build-dir without --engine sim', () => {
    const r = cli(['generate', '--model', MODEL, '--tokenizer', TOKENIZER, '--engine', 'int8', '--build-dir', '/tmp/x']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--build-dir needs --engine sim/);
  });
});
