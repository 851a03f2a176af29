// Hand-worked cases for the operators the LLM step adds to the reference executor (Lut, ArgMax)
// and for the requantization parameter choice.
import { describe, expect, it } from 'vitest';
import type { Graph, TensorInfo } from '../../src/frontend/ir.js';
import { requantParams } from '../../src/llm/quantize.js';
import { execute } from '../../src/reference/index.js';

function oneNode(op: string, inputs: TensorInfo[], out: TensorInfo, attrs: Graph['nodes'][0]['attrs'] = {}): Graph {
  const values = new Map<string, TensorInfo>([...inputs, out].map((v) => [v.name, v]));
  return { name: op, nodes: [{ name: op, op, domain: '', inputs: inputs.map((i) => i.name), outputs: [out.name], attrs }], inputs, outputs: [out], initializers: new Map(), values };
}

describe('Lut', () => {
  it('out = table[x + 128]', () => {
    const g = oneNode('Lut', [{ name: 'x', dtype: 'int8', shape: [4] }, { name: 't', dtype: 'int8', shape: [256] }], { name: 'y', dtype: 'int8', shape: [4] });
    const table = Int8Array.from({ length: 256 }, (_, i) => ((i * 7) % 256) - 128); // t[i] = (7i mod 256) - 128
    const r = execute(g, [
      { name: 'x', dtype: 'int8', shape: [4], data: Int8Array.of(-128, -1, 0, 127) },
      { name: 't', dtype: 'int8', shape: [256], data: table },
    ]);
    // x=-128 -> t[0] = -128; x=-1 -> t[127] = 889 mod 256 - 128 = 121 - 128 = -7; x=0 -> t[128] = 896 mod 256 - 128 = 0; x=127 -> t[255] = 1785 mod 256 - 128 = 249 - 128 = 121
    expect(Array.from(r.outputs[0]!.data)).toEqual([-128, -7, 0, 121]);
  });
});

describe('ArgMax', () => {
  const g = (last: number) =>
    oneNode('ArgMax', [{ name: 'x', dtype: 'int16', shape: [2, 4] }], { name: 'y', dtype: 'int64', shape: [2] }, { axis: 1, keepdims: 0, select_last_index: last });
  const x = { name: 'x', dtype: 'int16' as const, shape: [2, 4], data: Int16Array.of(3, 9, 9, -1, -5, -5, -7, -6) };
  it('first maximum wins by default', () => {
    expect(Array.from(execute(g(0), [x]).outputs[0]!.data)).toEqual([1, 0]);
  });
  it('select_last_index picks the last maximum', () => {
    expect(Array.from(execute(g(1), [x]).outputs[0]!.data)).toEqual([2, 1]);
  });
});

describe('requantParams', () => {
  it('takes the largest shift whose int32 intermediate cannot overflow', () => {
    // m = 0.5, |x| <= 1000: mul = 2^(k-1), need 1000 * 2^(k-1) + 2^(k-1) < 2^31 -> 2^(k-1) <= 2^21 -> k = 22.
    expect(requantParams([0.5], [1000])).toEqual({ mul: [2 ** 21], shift: 22 });
  });
  it('per channel: one shift, the tightest channel decides', () => {
    // channel 1 (|x| <= 2^20, m = 1): mul = 2^k, 2^(k+20) + 2^(k-1) < 2^31 -> k = 10; channel 0: round(0.25 * 1024) = 256.
    expect(requantParams([0.25, 1], [16, 2 ** 20])).toEqual({ mul: [256, 1024], shift: 10 });
  });
});
