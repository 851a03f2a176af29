// Window buckets: the decoder step with a smaller state window gives exactly the full graph's
// outputs whenever the state's filled slots fit, which is what lets the sim engine run early
// positions on short windows.
import { beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { toNumberArray } from '../../src/frontend/dtype.js';
import type { Tensor } from '../../src/frontend/ir.js';
import { loadLlama2c } from '../../src/frontend/llama2c.js';
import { loadTokenizer } from '../../src/frontend/tokenizer.js';
import { Int8Engine, quantizeModel } from '../../src/llm/int8.js';
import type { StepGraphInfo } from '../../src/llm/quantize.js';
import { argmax } from '../../src/llm/sample.js';
import { resizeWindow, usedSlots, withWindow } from '../../src/llm/window.js';
import { execute } from '../../src/reference/index.js';
import { haveModels, MODEL, TOKENIZER } from './helpers.js';

const values = (t: { data: Tensor['data'] }) => Array.from(toNumberArray(t.data));

describe.skipIf(!haveModels)('attention window buckets', () => {
  let info: StepGraphInfo;
  let int8: Int8Engine;
  beforeAll(() => {
    const model = loadLlama2c(MODEL);
    const tok = loadTokenizer(TOKENIZER, model.config.vocabSize);
    info = quantizeModel(model, tok);
    int8 = new Int8Engine(info);
  });

  it('withWindow keeps the nodes and initializers and reshapes only what depends on the window', () => {
    expect(withWindow(info, info.window)).toBe(info);
    const w = withWindow(info, 31);
    expect(w.window).toBe(31);
    expect(w.graph.nodes).toBe(info.graph.nodes);
    expect(w.graph.initializers).toBe(info.graph.initializers);
    const shape = (n: string) => w.graph.values.get(n)!.shape;
    expect(shape('mask_in')).toEqual([1, 1, 31]);
    expect(shape('k_in_0')).toEqual([4, 8, 31]);
    expect(shape('v_out_4')).toEqual([4, 31, 8]);
    expect(shape('l0.k_all')).toEqual([4, 8, 32]);
    expect(shape('l2.probs')).toEqual([4, 2, 32]);
    expect(shape('logits')).toEqual([1, 512]);
    expect(shape('rope_cos_row')).toEqual([1, 8]);
    // every value keeps its type; only window-dependent shapes change
    for (const [name, v] of info.graph.values) {
      const v2 = w.graph.values.get(name)!;
      expect(v2.dtype, name).toBe(v.dtype);
      if (!/mask|k_|v_|k_all|v_all|scores|probs/.test(name)) expect(v2.shape, name).toEqual(v.shape);
    }
    // the original is untouched
    expect(info.graph.values.get('mask_in')!.shape).toEqual([1, 1, 511]);
  });

  it('rejects windows outside 1..the graph window', () => {
    for (const bad of [0, -3, 2.5, 512, Number.NaN]) expect(() => withWindow(info, bad), String(bad)).toThrow(InputError);
    expect(() => withWindow(info, 512)).toThrow(/attention window 512: expected an integer 1\.\.511/);
  });

  it('usedSlots and resizeWindow: the newest slots survive, empty ones fill the old end', () => {
    int8.reset();
    const s0 = int8.stepInputs(1, 0).slice(2);
    expect(usedSlots(s0, info.maskFill)).toBe(0);
    let t = 1;
    for (let p = 0; p < 3; p++) t = argmax(int8.step(t, p));
    const s3 = int8.stepInputs(t, 3).slice(2);
    expect(usedSlots(s3, info.maskFill)).toBe(3);
    const small = resizeWindow(s3, 5, info.maskFill);
    expect(small[0]!.shape).toEqual([1, 1, 5]);
    expect(values(small[0]!)).toEqual([info.maskFill, info.maskFill, 0, 0, 0]);
    expect(small[2]!.shape).toEqual([4, 5, 8]);
    expect(usedSlots(small, info.maskFill)).toBe(3);
    const back = resizeWindow(small, info.window, info.maskFill);
    back.forEach((b, k) => expect(values(b), b.name).toEqual(values(s3[k]!)));
    // a lone non-empty K value in an otherwise empty slot counts as used
    const k = s3.map((x) => ({ ...x, data: x.data.slice() }));
    (k[1]!.data as Int8Array)[100] = 1; // K [4, 8, 511]: slot 100 of row 0
    expect(usedSlots(k, info.maskFill)).toBe(511 - 100);
  });

  it('a greedy run through windows 8, 16, 32 and the full one: every output equals the full graph, state by state', () => {
    const buckets = [8, 16, 32].map((w) => withWindow(info, w));
    int8.reset();
    let token = 1;
    const used: number[] = [];
    for (let pos = 0; pos < 40; pos++) {
      const full = int8.stepInputs(token, pos);
      const state = full.slice(2);
      const n = usedSlots(state, info.maskFill);
      expect(n).toBe(pos);
      const b = buckets.find((x) => x.window > n) ?? info;
      used.push(b.window);
      const small = execute(b.graph, [...full.slice(0, 2), ...resizeWindow(state, b.window, info.maskFill)]).outputs;
      const smallState = resizeWindow(
        small.slice(2).map((o, k) => ({ ...o, name: b.graph.outputs[k + 2]!.name, data: Int32Array.from(o.data) })),
        info.window,
        info.maskFill,
      );
      const logits = int8.step(token, pos);
      const ref = int8.stepInputs(0, pos + 1).slice(2);
      expect(values(small[0]!)).toEqual([int8.lastArgmax]);
      expect(Array.from(small[1]!.data), `logits at ${pos}`).toEqual(Array.from(int8.lastLogitsInt));
      smallState.forEach((s, k) => expect(values(s), `${s.name} at ${pos}`).toEqual(values(ref[k]!)));
      token = argmax(logits);
    }
    expect(new Set(used)).toEqual(new Set([8, 16, 32, 511]));
  });
});
