import { existsSync } from 'node:fs';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { ALL_DTYPES, DTYPES, allocate } from '../../src/frontend/dtype.js';
import { GraphBuilder } from '../../src/frontend/builder.js';
import type { DType, Graph, Tensor } from '../../src/frontend/ir.js';
import { loadOnnx, parseOnnx, writeOnnx } from '../../src/frontend/onnx.js';
import { readNpz } from '../../src/frontend/npy.js';
import { execute } from '../../src/reference/execute.js';

const { onnx } = onnxProto;
const T = onnx.AttributeProto.AttributeType;
const CONF = join(import.meta.dirname, '../../../shared/conformance/deeploy');

function vi(name: string, elemType: number, shape?: number[]): onnxProto.onnx.IValueInfoProto {
  return { name, type: { tensorType: { elemType, ...(shape ? { shape: { dim: shape.map((d) => ({ dimValue: d })) } } : {}) } } };
}
function model(graph: onnxProto.onnx.IGraphProto): Uint8Array {
  return onnx.ModelProto.encode({ irVersion: 8, opsetImport: [{ domain: '', version: 13 }], graph }).finish();
}

describe('ONNX loading', () => {
  it('sorts nodes, names unnamed ones, makes names unique, folds Constant nodes', () => {
    const bytes = model({
      name: 'g',
      node: [
        // listed consumer-first: the file is not topologically sorted
        { opType: 'Add', input: ['t', 'c1'], output: ['y'], name: 'dup' },
        { opType: 'Mul', input: ['x', 'c2'], output: ['t'], name: 'dup' },
        { opType: 'Constant', output: ['c1'], attribute: [{ name: 'value', type: T.TENSOR, t: { dataType: 1, dims: [1], floatData: [3] } }] },
        { opType: 'Constant', output: ['c2'], attribute: [{ name: 'value_int', type: T.INT, i: 2 }] },
        { opType: 'Identity', input: ['y'], output: ['z'] },
      ],
      input: [vi('x', 1, [2])],
      output: [vi('z', 1, [2])],
      valueInfo: [vi('t', 1, [2]), vi('y', 1, [2])],
    });
    const g = parseOnnx(bytes);
    expect(g.nodes.map((n) => n.op)).toEqual(['Mul', 'Add', 'Identity']);
    expect(g.nodes.map((n) => n.name)).toEqual(['dup_1', 'dup', 'Identity_4']);
    expect([...g.initializers.keys()].sort()).toEqual(['c1', 'c2']);
    expect(g.initializers.get('c2')!.dtype).toBe('int64');
    expect(Array.from(g.initializers.get('c1')!.data as Float32Array)).toEqual([3]);
    const r = execute(g, [{ name: 'x', dtype: 'float32', shape: [2], data: Float32Array.of(1, -4) }]);
    expect(Array.from(r.outputs[0]!.data)).toEqual([1 * 2 + 3, -4 * 2 + 3]);
  });

  it('decodes typed *_data fields and raw_data for every dtype', () => {
    const field = (d: DType): Partial<onnxProto.onnx.ITensorProto> => {
      if (d === 'float32') return { floatData: [1.5, -2] };
      if (d === 'float64') return { doubleData: [1.5, -2] };
      if (d === 'int64') return { int64Data: [7, -9] };
      if (d === 'uint32') return { uint64Data: [7, 4000000000] };
      return { int32Data: d.startsWith('u') ? [7, 200] : [7, -9] };
    };
    const inits: onnxProto.onnx.ITensorProto[] = [];
    for (const d of ALL_DTYPES) {
      inits.push({ name: `typed_${d}`, dataType: DTYPES[d].onnx, dims: [2], ...field(d) });
      const raw = allocate(d, 2);
      if (raw instanceof BigInt64Array) raw.set([5n, -6n]);
      else (raw as Float64Array).set([5, d.startsWith('u') ? 6 : -6]);
      inits.push({ name: `raw_${d}`, dataType: DTYPES[d].onnx, dims: [2], rawData: new Uint8Array(raw.buffer) });
    }
    const g = parseOnnx(model({ node: [{ opType: 'Identity', input: ['x'], output: ['y'] }], initializer: inits, input: [vi('x', 1, [1])], output: [vi('y', 1, [1])] }));
    const vals = (n: string) => Array.from(g.initializers.get(n)!.data as ArrayLike<number | bigint>, Number);
    expect(vals('typed_float32')).toEqual([1.5, -2]);
    expect(vals('typed_float64')).toEqual([1.5, -2]);
    expect(vals('typed_int64')).toEqual([7, -9]);
    expect(vals('typed_uint32')).toEqual([7, 4000000000]);
    expect(vals('typed_int8')).toEqual([7, -9]);
    expect(vals('typed_uint16')).toEqual([7, 200]);
    for (const d of ALL_DTYPES) {
      expect(g.initializers.get(`raw_${d}`)!.dtype).toBe(d);
      expect(vals(`raw_${d}`)).toEqual([5, d.startsWith('u') ? 6 : -6]);
    }
  });

  it('reads attributes of every kind, including one-element float tensors', () => {
    const g = parseOnnx(
      model({
        node: [
          {
            opType: 'RequantShift',
            name: 'rq',
            input: ['x', 'm', 'a'],
            output: ['y'],
            attribute: [
              { name: 'div', type: T.TENSOR, t: { dataType: 1, dims: [], floatData: [256] } },
              { name: 'n_levels', type: T.TENSOR, t: { dataType: 1, dims: [1], floatData: [256] } },
              { name: 'signed', type: T.INT, i: 1 },
              { name: 'alpha', type: T.FLOAT, f: 1 },
              { name: 's', type: T.STRING, s: new TextEncoder().encode('hello') },
              { name: 'ints', type: T.INTS, ints: [1, -2] },
              { name: 'floats', type: T.FLOATS, floats: [0.5] },
              { name: 'strs', type: T.STRINGS, strings: [new TextEncoder().encode('a')] },
            ],
          },
        ],
        initializer: [
          { name: 'm', dataType: 1, dims: [], floatData: [3] },
          { name: 'a', dataType: 1, dims: [], floatData: [0] },
        ],
        input: [vi('x', 1, [2])],
        output: [vi('y', 1, [2])],
      }),
    );
    const n = g.nodes[0]!;
    expect((n.attrs.div as Tensor).data[0]).toBe(256);
    expect(n.attrs.signed).toBe(1);
    expect(n.attrs.alpha).toBe(1);
    expect(n.floatAttrs).toEqual(['alpha', 'floats']);
    expect(n.attrs.s).toBe('hello');
    expect(n.attrs.ints).toEqual([1, -2]);
    expect(n.attrs.strs).toEqual(['a']);
    // (100*3 + 128) >> 8 = 1, (-100*3 + 128) >> 8 = floor(-172/256) = -1
    const r = execute(g, [{ name: 'x', dtype: 'float32', shape: [2], data: Float32Array.of(100, -100) }]);
    expect(Array.from(r.outputs[0]!.data)).toEqual([1, -1]);
  });

  it('infers shapes the file leaves out for simple ops, names the tensor when it cannot', () => {
    const g = parseOnnx(
      model({
        node: [
          { opType: 'Transpose', input: ['x'], output: ['t'], attribute: [{ name: 'perm', type: T.INTS, ints: [1, 0] }] },
          { opType: 'MatMul', input: ['t', 'w'], output: ['y'] },
        ],
        initializer: [{ name: 'w', dataType: 1, dims: [2, 5], floatData: new Array(10).fill(1) }],
        input: [vi('x', 1, [2, 3])],
        output: [vi('y', 1)],
      }),
    );
    expect(g.values.get('t')!.shape).toEqual([3, 2]);
    expect(g.outputs[0]!.shape).toEqual([3, 5]);
    const bad = model({ node: [{ opType: 'Mystery', name: 'm0', input: ['x'], output: ['y'] }], input: [vi('x', 1, [2])], output: [vi('y', 1)] });
    expect(() => parseOnnx(bad, { source: 'net.onnx' })).toThrow(/net\.onnx: tensor 'y' \(output of node 'm0' \(Mystery\)\) has no shape/);
    const noInputShape = model({ node: [{ opType: 'Identity', input: ['x'], output: ['y'] }], input: [vi('x', 1)], output: [vi('y', 1, [2])] });
    expect(() => parseOnnx(noInputShape, { source: 'net.onnx' })).toThrow(/net\.onnx: graph input 'x' has no shape/);
  });

  it('rejects truncated and corrupt files with the file name, and dangling inputs', () => {
    const good = model({ node: [{ opType: 'Identity', input: ['x'], output: ['y'] }], input: [vi('x', 1, [2])], output: [vi('y', 1, [2])] });
    expect(() => parseOnnx(good.subarray(0, good.length - 5), { source: 'cut.onnx' })).toThrow(InputError);
    expect(() => parseOnnx(good.subarray(0, good.length - 5), { source: 'cut.onnx' })).toThrow(/cut\.onnx: not a valid ONNX model/);
    expect(() => parseOnnx(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f]), { source: 'junk.onnx' })).toThrow(/junk\.onnx: not a valid ONNX model/);
    expect(() => loadOnnx('/nonexistent/dir/network.onnx')).toThrow(/network\.onnx: cannot read \(ENOENT\)/);
    const dangling = model({ node: [{ opType: 'Add', name: 'a', input: ['x', 'ghost'], output: ['y'] }], input: [vi('x', 1, [2])], output: [vi('y', 1, [2])] });
    expect(() => parseOnnx(dangling, { source: 'd.onnx' })).toThrow(/d\.onnx: node 'a' \(Add\) reads tensor 'ghost'/);
  });
});

function sameGraph(a: Graph, b: Graph): void {
  expect(b.nodes.map((n) => [n.name, n.op, n.inputs, n.outputs])).toEqual(a.nodes.map((n) => [n.name, n.op, n.inputs, n.outputs]));
  expect(b.inputs).toEqual(a.inputs);
  expect(b.outputs).toEqual(a.outputs);
  expect([...b.values.entries()].sort()).toEqual([...a.values.entries()].sort());
  expect([...b.initializers.keys()].sort()).toEqual([...a.initializers.keys()].sort());
  for (const [k, t] of a.initializers) {
    const u = b.initializers.get(k)!;
    expect([u.dtype, u.shape]).toEqual([t.dtype, t.shape]);
    expect(Array.from(u.data as ArrayLike<number>)).toEqual(Array.from(t.data as ArrayLike<number>));
  }
  a.nodes.forEach((n, i) => {
    const m = b.nodes[i]!;
    expect(Object.keys(m.attrs).sort()).toEqual(Object.keys(n.attrs).sort());
    for (const [k, v] of Object.entries(n.attrs)) {
      if (typeof v === 'object' && !Array.isArray(v)) expect(Array.from((m.attrs[k] as Tensor).data as ArrayLike<number>)).toEqual(Array.from(v.data as ArrayLike<number>));
      else expect(m.attrs[k]).toEqual(v);
    }
  });
}

describe('ONNX writing', () => {
  it('round-trips a built graph: all dtypes, attributes of every kind, float-vs-int attributes', () => {
    const b = new GraphBuilder('rt');
    const x = b.input('x', 'int8', [2, 3]);
    for (const d of ALL_DTYPES) b.init(`w_${d}`, d, [3], [1, 2, 3]);
    const g1 = b.node('Gemm', [x, b.init('w', 'int8', [3, 2], [1, 0, 0, 1, 1, 1])], { alpha: 1, beta: 1, transA: 0, transB: 0 }, { floatAttrs: ['alpha', 'beta'] });
    const q = b.node('RequantShift', [g1, b.init('m', 'int32', [], [3]), b.init('a', 'int32', [], [0])], {
      div: { name: '', dtype: 'float32', shape: [], data: Float32Array.of(4) },
      n_levels_out: { name: '', dtype: 'float32', shape: [1], data: Float32Array.of(256) },
      signed: 1,
      note: 'text',
      lst: ['a', 'b'],
      fl: [0.5, 1.5],
    });
    const g = b.output(q).build();
    const back = parseOnnx(writeOnnx(g));
    sameGraph(g, back);
    expect(back.nodes[0]!.floatAttrs).toEqual(['alpha', 'beta']);
    const raw = onnx.ModelProto.decode(writeOnnx(g));
    const alpha = raw.graph!.node![0]!.attribute!.find((a) => a.name === 'alpha')!;
    expect(alpha.type).toBe(T.FLOAT);
    expect(raw.graph!.node![0]!.attribute!.find((a) => a.name === 'transA')!.type).toBe(T.INT);
  });

  it.skipIf(!existsSync(CONF))('round-trips a conformance network with identical results (microLlama4)', () => {
    const dir = join(CONF, 'Models/microLlama/INT8/microLlama4');
    const g = loadOnnx(join(dir, 'network.onnx'));
    const back = parseOnnx(writeOnnx(g));
    sameGraph(g, back);
    const inputs = readNpz(join(dir, 'inputs.npz'));
    const r1 = execute(g, inputs);
    const r2 = execute(back, inputs);
    r1.outputs.forEach((o, i) => expect(Array.from(r2.outputs[i]!.data)).toEqual(Array.from(o.data)));
  });
});
