import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../src/frontend/builder.js';
import { lower } from '../../src/compiler/lower.js';
import '../../src/compiler/ops/index.js';
import { dtypeForRange, inferTypes } from '../../src/compiler/types.js';
import { linearGraph, rqAttrs } from './helpers.js';

describe('integer type and signedness inference', () => {
  it('picks the narrowest of int8 / uint8 / int32 for a range', () => {
    expect(dtypeForRange({ lo: -128, hi: 127 })).toBe('int8');
    expect(dtypeForRange({ lo: 0, hi: 255 })).toBe('uint8');
    expect(dtypeForRange({ lo: -129, hi: 0 })).toBe('int32');
    expect(dtypeForRange({ lo: 0, hi: 2 ** 31 })).toBeUndefined();
  });

  it('takes graph-input types from the test data and RequantShift types from n_levels/signed', () => {
    const g = lower(linearGraph());
    const t = inferTypes(g, [Int8Array.from({ length: 32 }, (_, i) => i - 16)]);
    expect(t.dtypes.get('x')).toBe('int8');
    expect(t.ranges.get('requantshift_2_out')).toEqual({ lo: -128, hi: 127 });
    expect(t.dtypes.get('requantshift_2_out')).toBe('int8');
    // alias keeps the type of what it aliases
    expect(t.dtypes.get('reshape_3_out')).toBe('int8');
    const u = inferTypes(g, [Uint8Array.from({ length: 32 }, (_, i) => 200 + i)]);
    expect(u.dtypes.get('x')).toBe('uint8');
  });

  it('derives int32 for an Add of two int8 tensors and uint8 for an unsigned RequantShift', () => {
    const b = new GraphBuilder('t');
    const x = b.input('x', 'float32', [4]);
    const y = b.input('y', 'float32', [4]);
    const mul = b.init('mul', 'float32', [], [1]);
    const add = b.init('add', 'float32', [], [0]);
    const s = b.node('Add', [x, y], {}, { nodeName: 'sum', dtype: 'float32' });
    const rq = b.node('RequantShift', [x, mul, add], rqAttrs(1, 256, 0), { nodeName: 'rq', dtype: 'float32', shape: [4] });
    const t = inferTypes(lower(b.output(s, rq).build()), [Int8Array.of(-128, 0, 1, 127), Int8Array.of(-128, 5, 1, 127)]);
    expect(t.ranges.get(s)).toEqual({ lo: -256, hi: 254 });
    expect(t.dtypes.get(s)).toBe('int32');
    expect(t.dtypes.get(rq)).toBe('uint8');
  });

  it('widens tensors that a Concat joins to one type (int8 + uint8 -> int32)', () => {
    const b = new GraphBuilder('c');
    const x = b.input('x', 'float32', [1, 4]);
    const y = b.input('y', 'float32', [1, 4]);
    const c = b.node('Concat', [x, y], { axis: 1 }, { nodeName: 'cat', dtype: 'float32', shape: [1, 8] });
    const t = inferTypes(lower(b.output(c).build()), [Int8Array.of(-1, 0, 1, 2), Uint8Array.of(0, 200, 255, 1)]);
    expect([t.dtypes.get(x), t.dtypes.get(y), t.dtypes.get(c)]).toEqual(['int32', 'int32', 'int32']);
  });

  it('a float test input makes a float32 tensor, and an integer kernel behind it fails naming the node', () => {
    const g = lower(linearGraph());
    expect(() => inferTypes(g, [Float32Array.from({ length: 32 }, () => 0.5)])).toThrow(/node 'mm \+ bias_add \+ rq' \(RQMatMul\): needs integer input but 'x' holds non-integer float values/);
  });

  it('float ops get float32 and integer consumers of integral floats get an inserted cast', () => {
    const b = new GraphBuilder('f');
    const x = b.input('x', 'float32', [4]);
    const c = b.init('c', 'float32', [], [0.5]);
    const d = b.node('Div', [x, c], {}, { nodeName: 'div', dtype: 'float32', shape: [4] });
    const r = b.node('Round', [d], {}, { nodeName: 'round', dtype: 'float32', shape: [4] });
    const w = b.init('W', 'float32', [4, 2], [1, 2, 3, 4, 5, 6, 7, 8]);
    const x2 = b.node('Reshape', [r, b.init('s', 'int64', [2], [1, 4])], {}, { nodeName: 'flat', dtype: 'float32', shape: [1, 4] });
    const y = b.node('MatMul', [x2, w], {}, { nodeName: 'mm', dtype: 'float32', shape: [1, 2] });
    const t = inferTypes(lower(b.output(y).build()), [Int8Array.of(1, -2, 3, 4)]);
    expect(t.dtypes.get(d)).toBe('float32');
    expect(t.ranges.get(r)).toMatchObject({ float: true, integral: true });
    expect(t.nodes.map((n) => n.node.op)).toEqual(['Cast', 'Div', 'Round', 'Alias', 'Cast', 'MatMul']);
    expect(t.dtypes.get(y)).toBe('int32');
  });
});
