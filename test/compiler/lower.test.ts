import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../src/frontend/builder.js';
import { lower } from '../../src/compiler/lower.js';
import { referenceEvaluator } from '../../src/compiler/pipeline.js';
import { linearGraph, rqAttrs } from './helpers.js';

describe('lowering and fusion', () => {
  it('fuses MatMul + bias Add + RequantShift into one RQMatMul named after the MatMul', () => {
    const g = lower(linearGraph());
    const ops = g.nodes.map((n) => n.op);
    expect(ops).toEqual(['RQMatMul', 'Alias']);
    const f = g.nodes[0]!;
    expect(f.name).toBe('mm');
    expect(f.from).toEqual(['mm', 'bias_add', 'rq']);
    expect(f.inputs).toEqual(['x', 'W', 'bias', 'mul', 'add']);
    expect(f.outputs).toEqual(['requantshift_2_out']);
  });

  it('turns Reshape into an alias and drops its now-dead shape constant', () => {
    const g = lower(linearGraph());
    const alias = g.nodes[1]!;
    expect(alias.op).toBe('Alias');
    expect(alias.inputs).toEqual(['requantshift_2_out']);
    expect(g.initializers.has('shape')).toBe(false);
  });

  it('does not fuse when the intermediate has another reader or is a graph output', () => {
    const b = new GraphBuilder('shared');
    const x = b.input('x', 'float32', [2, 4]);
    const y = b.input('y', 'float32', [2, 4]);
    const mul = b.init('mul', 'float32', [], [1]);
    const add = b.init('add', 'float32', [], [0]);
    const s = b.node('Add', [x, y], {}, { nodeName: 'sum', dtype: 'float32' });
    const rq = b.node('RequantShift', [s, mul, add], rqAttrs(2), { nodeName: 'rq', dtype: 'float32', shape: [2, 4] });
    const g = lower(b.output(rq, s).build());
    expect(g.nodes.map((n) => n.op)).toEqual(['Add', 'RequantShift']);
  });

  it('fuses Add + RequantShift into RQAdd; --no-fuse keeps them apart', () => {
    const b = new GraphBuilder('addrq');
    const x = b.input('x', 'float32', [2, 4]);
    const y = b.input('y', 'float32', [2, 4]);
    const mul = b.init('mul', 'float32', [], [1]);
    const add = b.init('add', 'float32', [], [0]);
    const s = b.node('Add', [x, y], {}, { nodeName: 'sum', dtype: 'float32' });
    const rq = b.node('RequantShift', [s, mul, add], rqAttrs(2), { nodeName: 'rq', dtype: 'float32', shape: [2, 4] });
    const graph = b.output(rq).build();
    expect(lower(graph).nodes.map((n) => n.op)).toEqual(['RQAdd']);
    expect(lower(graph, { fuse: false }).nodes.map((n) => n.op)).toEqual(['Add', 'RequantShift']);
  });

  it('folds a node whose inputs are all constants (Transpose of a weight) through the reference executor', () => {
    const b = new GraphBuilder('fold');
    const x = b.input('x', 'float32', [1, 3]);
    const w = b.init('W', 'float32', [2, 3], [1, 2, 3, 4, 5, 6]);
    const wt = b.node('Transpose', [w], { perm: [1, 0] }, { nodeName: 'wt', dtype: 'float32', shape: [3, 2] });
    const y = b.node('MatMul', [x, wt], {}, { nodeName: 'mm', dtype: 'float32', shape: [1, 2] });
    const g = lower(b.output(y).build(), { evaluate: referenceEvaluator });
    expect(g.nodes.map((n) => n.op)).toEqual(['MatMul']);
    const folded = g.initializers.get(wt)!;
    expect(folded.shape).toEqual([3, 2]);
    expect(Array.from(folded.data as Float32Array)).toEqual([1, 4, 2, 5, 3, 6]);
  });
});

describe('fold-transpose-into-matmul and hardswish requant fusion', () => {
  it('a Transpose of the last two axes feeding MatMul B becomes transB', () => {
    const b = new GraphBuilder('kt');
    const q = b.input('q', 'float32', [1, 2, 1, 4]);
    const k = b.input('k', 'float32', [1, 2, 3, 4]);
    const kt = b.node('Transpose', [k], { perm: [0, 1, 3, 2] }, { nodeName: 'kt', dtype: 'float32', shape: [1, 2, 4, 3] });
    const s = b.node('MatMul', [q, kt], {}, { nodeName: 'qk', dtype: 'float32', shape: [1, 2, 1, 3] });
    const g = lower(b.output(s).build());
    expect(g.nodes.map((n) => n.op)).toEqual(['MatMul']);
    expect(g.nodes[0]!.inputs).toEqual(['q', 'k']);
    expect(g.nodes[0]!.attrs.transB).toBe(1);
  });

  it('keeps a Transpose that also feeds something else', () => {
    const b = new GraphBuilder('kt2');
    const q = b.input('q', 'float32', [1, 2, 1, 4]);
    const k = b.input('k', 'float32', [1, 2, 3, 4]);
    const kt = b.node('Transpose', [k], { perm: [0, 1, 3, 2] }, { nodeName: 'kt', dtype: 'float32', shape: [1, 2, 4, 3] });
    const s = b.node('MatMul', [q, kt], {}, { nodeName: 'qk', dtype: 'float32', shape: [1, 2, 1, 3] });
    const g = lower(b.output(s, kt).build());
    expect(g.nodes.map((n) => n.op)).toEqual(['Transpose', 'MatMul']);
  });

  it('fuses iHardswish + per-tensor RequantShift, not a per-channel one', () => {
    const mk = (mulShape: number[]) => {
      const b = new GraphBuilder('hs');
      const x = b.input('x', 'float32', [1, 4]);
      const mul = b.init('mul', 'float32', mulShape, mulShape.length ? [1, 2, 3, 4] : [3]);
      const add = b.init('add', 'float32', [], [0]);
      const h = b.node('iHardswish', [x], { one_over_six: 42, three: 122, six: 244 }, { nodeName: 'hs', dtype: 'float32', shape: [1, 4] });
      const y = b.node('RequantShift', [h, mul, add], rqAttrs(256), { nodeName: 'rq', dtype: 'float32', shape: [1, 4] });
      return lower(b.output(y).build()).nodes.map((n) => n.op);
    };
    expect(mk([])).toEqual(['RQHardswish']);
    expect(mk([1, 4])).toEqual(['iHardswish', 'RequantShift']);
  });
});
