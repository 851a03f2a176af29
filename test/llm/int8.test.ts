// The int8 engine: quality gate against the float model, integer-only graph, exact masking, and
// the exported network.onnx run by `deeploy-sim golden` equal to the engine.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DTYPES } from '../../src/frontend/dtype.js';
import { loadLlama2c } from '../../src/frontend/llama2c.js';
import { loadTokenizer } from '../../src/frontend/tokenizer.js';
import { teacherForcedAgreement } from '../../src/llm/agreement.js';
import { FloatModel } from '../../src/llm/float.js';
import { generate } from '../../src/llm/generate.js';
import { Int8Engine, quantizeModel } from '../../src/llm/int8.js';
import { argmax } from '../../src/llm/sample.js';
import { execute } from '../../src/reference/index.js';
import { cli, EXPECTED_GREEDY, haveModels, MODEL, TOKENIZER } from './helpers.js';

describe.skipIf(!haveModels)('int8 engine', () => {
  let engine: Int8Engine;
  let float: FloatModel;
  let story: number[];
  beforeAll(() => {
    const model = loadLlama2c(MODEL);
    const tok = loadTokenizer(TOKENIZER, model.config.vocabSize);
    engine = new Int8Engine(quantizeModel(model, tok));
    float = new FloatModel(model);
    story = generate(float, tok, { prompt: '', steps: 200, sampler: argmax }).tokens;
  });

  it('teacher-forced top-1 agreement with the float model over its own 200-token greedy story >= 90%', () => {
    expect(story.length).toBe(201); // BOS + 200 generated tokens: 200 predictions
    const a = teacherForcedAgreement(float, engine, story);
    console.log(`int8 teacher-forced top-1 agreement: ${a.agree}/${a.total} = ${(100 * a.rate).toFixed(1)}%`);
    expect(a.rate).toBeGreaterThanOrEqual(0.9);
    // No int32 overflow anywhere (the C kernels would wrap where the reference stays exact).
    expect(engine.warnings).toEqual([]);
  });

  it('the step graph is integer-only and uses the documented op set', () => {
    const g = engine.graph;
    const ops = new Set(g.nodes.map((n) => n.op));
    const allowed = ['Gather', 'RequantShift', 'Concat', 'Slice', 'iRMSNorm', 'MatMul', 'Reshape', 'Mul', 'Add', 'iSoftmax', 'Lut', 'ArgMax'];
    expect([...ops].filter((o) => !allowed.includes(o))).toEqual([]);
    for (const v of g.values.values()) expect(DTYPES[v.dtype].integer, `${v.name} is ${v.dtype}`).toBe(true);
  });

  it("the graph's ArgMax is the argmax of its logits", () => {
    engine.reset();
    for (let pos = 0; pos < 5; pos++) {
      engine.step(story[pos]!, pos);
      expect(engine.lastArgmax).toBe(argmax(engine.lastLogitsInt));
    }
  });

  it('empty cache slots get exactly zero attention probability', () => {
    engine.reset();
    const inputs = engine.stepInputs(1, 0);
    const r = execute(engine.graph, inputs, { captureActivations: true });
    const W = engine.info.window;
    for (let l = 0; l < engine.info.nLayers; l++) {
      const p = r.activations!.get(`l${l}.probs`)!;
      const S = W + 1;
      for (let row = 0; row < p.data.length / S; row++) {
        for (let t = 0; t < W; t++) expect(p.data[row * S + t]).toBe(0);
        expect(p.data[row * S + W]).toBe(255); // the only filled slot takes all the mass
      }
    }
  });
});

describe.skipIf(!haveModels)('int8 CLI and export', () => {
  it('generate --engine int8 streams a story that starts like the float one', () => {
    const r = cli(['generate', '--engine', 'int8', '--model', MODEL, '--tokenizer', TOKENIZER, '--steps', '30']);
    expect(r.status).toBe(0);
    const expected = readFileSync(EXPECTED_GREEDY, 'utf8');
    expect(r.stdout.slice(0, 16)).toBe(expected.slice(0, 16)); // "Once upon a time"
  });

  it('`golden` runs the exported network.onnx for one step and equals the int8 engine', () => {
    const dir = mkdtempSync(join(tmpdir(), 'llm-case-'));
    const g = cli(['generate', '--engine', 'int8', '--model', MODEL, '--tokenizer', TOKENIZER, '--steps', '12', '--export', dir]);
    expect(g.status).toBe(0);
    const r = cli(['golden', dir, '-o', join(dir, 'golden.npz'), '--compare', join(dir, 'outputs.npz')]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/Errors: 0 out of \d+/);
    // The exported graph, loaded back as the int8 engine, writes the same text.
    const a = cli(['generate', '--engine', 'int8', '--model', MODEL, '--tokenizer', TOKENIZER, '--steps', '12']);
    const b = cli(['generate', '--engine', 'int8', '--graph', dir, '--model', MODEL, '--tokenizer', TOKENIZER, '--steps', '12']);
    expect(b.status).toBe(0);
    expect(b.stdout).toBe(a.stdout);
    const bad = cli(['generate', '--engine', 'int8', '--graph', join(dir, 'nope'), '--model', MODEL, '--tokenizer', TOKENIZER]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/nope: no such step graph/);
  });
});
