// Hand-worked expected values for each operator (the arithmetic is in the comments); none of
// them comes from the executor.
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { GraphBuilder } from '../../src/frontend/builder.js';
import type { AttrValue, DType, Tensor } from '../../src/frontend/ir.js';
import { execute } from '../../src/reference/execute.js';

type In = [DType, number[], number[]];
const t = (v: number): Tensor => ({ name: '', dtype: 'float32', shape: [1], data: Float32Array.of(v) });

/** Run one node whose inputs are constants; returns values, shape and warnings. */
function run(op: string, ins: In[], attrs: Record<string, AttrValue> = {}, out: { dtype?: DType; shape?: number[] } = {}) {
  const b = new GraphBuilder(op);
  const names = ins.map(([d, s, v], i) => b.init(`in${i}`, d, s, v));
  const y = b.node(op, names, attrs, { name: 'y', nodeName: 'n', ...out });
  const r = execute(b.output(y).build(), []);
  return { v: Array.from(r.outputs[0]!.data), shape: r.outputs[0]!.shape, warnings: r.warnings };
}
const f32 = (shape: number[], v: number[]): In => ['float32', shape, v];
const i32 = (shape: number[], v: number[]): In => ['int32', shape, v];

describe('RequantShift', () => {
  const rq = (x: In, mul: In, add: In, div: number, levels = 256, signed = 1) =>
    run('RequantShift', [x, mul, add], { div: t(div), n_levels_out: t(levels), signed: t(signed) });

  it('multiplies, adds, rounds with +div/2 and shifts (floor)', () => {
    // 100*3+128=428 -> 1; -300+128=-172 -> floor(-0.67)=-1; 0+128 -> 0; 381+128=509 -> 1; -384+128=-256 -> -1; 15+128 -> 0
    expect(rq(f32([6], [100, -100, 0, 127, -128, 5]), f32([], [3]), f32([], [0]), 256).v).toEqual([1, -1, 0, 1, -1, 0]);
  });
  it('rounds exact halves up (toward +inf)', () => {
    // x/256 = 0.5 -> 1, -0.5 -> 0, 1.5 -> 2, -1.5 -> -1, 127/256 -> 0
    expect(rq(f32([5], [128, -128, 384, -384, 127]), f32([], [1]), f32([], [0]), 256).v).toEqual([1, 0, 2, -1, 0]);
  });
  it('saturates to n_levels, signed and unsigned (negative values through an unsigned path clamp to 0)', () => {
    expect(rq(f32([2], [1000, -1000]), f32([], [1]), f32([], [0]), 1).v).toEqual([127, -128]);
    expect(rq(f32([3], [-5, 300, 17]), f32([], [1]), f32([], [0]), 1, 256, 0).v).toEqual([0, 255, 17]);
    expect(rq(f32([2], [-5, 20]), f32([], [1]), f32([], [0]), 1, 16, 1).v).toEqual([-5, 7]);
  });
  it('applies (C,1,1) parameters along axis 1 and NumPy-broadcast parameters per row', () => {
    // channel 0: x*1+0, channel 1: x*10+5
    expect(rq(f32([1, 2, 3], [1, 2, 3, 1, 2, 3]), f32([2, 1, 1], [1, 10]), f32([2, 1, 1], [0, 5]), 1).v).toEqual([1, 2, 3, 15, 25, 35]);
    // mul (2,1) on (2,3): row 0 times 2, row 1 times 3
    expect(rq(f32([2, 3], [1, 2, 3, 4, 5, 6]), f32([2, 1], [2, 3]), f32([], [0]), 1).v).toEqual([2, 4, 6, 12, 15, 18]);
  });
  it('reports an int32 overflow of x*mul+add', () => {
    const r = rq(f32([1], [70000]), f32([], [65536]), f32([], [0]), 65536 * 65536, 256);
    // 70000*65536 = 4587520000 > 2^31-1; (4587520000 + 2^31) / 2^32 = 1.568 -> 1
    expect(r.v).toEqual([1]);
    expect(r.warnings[0]).toMatch(/node 'n' \(RequantShift\): x\*mul\+add overflows int32 in 1 of 1/);
  });
});

describe('iSoftmax', () => {
  const sm = (x: number[], shape = [x.length]) => run('iSoftmax', [f32(shape, x)], { coeffA: t(1), coeffB: t(10), coeffC: t(100), log2: t(4), n_levels: t(256) }).v;
  it('follows the I-BERT polynomial per row', () => {
    // x~ = 0: z=0, p=0, y=(0+10)^2+100=200; x~=-4: z=1, p=0, y=200>>1=100; x~=-6: z=1, p=-2, y=(64+100)>>1=82
    // sum 382: 200*255/382=133.5->133, 25500/382=66.8->66, 20910/382=54.7->54
    expect(sm([0, -4, -6])).toEqual([133, 66, 54]);
    // shift invariant: the same row moved up by 7
    expect(sm([7, 3, 1])).toEqual([133, 66, 54]);
  });
  it('all-equal rows share 255 evenly (truncating)', () => {
    // y=200 each, sum=800: 200*255/800 = 63.75 -> 63
    expect(sm([5, 5, 5, 5, -9, -9, -9, -9], [2, 4])).toEqual([63, 63, 63, 63, 63, 63, 63, 63]);
  });
  it('clamps the exponent at 31', () => {
    // x~=-200: z=min(50,31)=31, p=-200+124=-76, y=((-66)^2+100)>>31 = 0
    expect(sm([0, -200])).toEqual([255, 0]);
  });
});

describe('ITAMax', () => {
  it('shift-based softmax, signed output', () => {
    // shift = (0-x+16)>>5: 0,1,2; sum = 256+128+64 = 448; scale = 255*256/448 = 145
    // out = (145>>shift) - 128 = 17, 72-128, 36-128
    expect(run('ITAMax', [f32([3], [0, -32, -64])], { n_levels: t(256) }).v).toEqual([17, -56, -92]);
  });
});

describe('iRMSNorm', () => {
  const rms = (x: number[], w: number[], D: number) => run('iRMSNorm', [f32([x.length], x), f32([w.length], w)], { D: t(D), n_levels: t(256) }).v;
  it('divides by the integer sqrt of mean(x^2)+1 and shifts', () => {
    // sum x^2 = 25, /2 = 12, +1 = 13, isqrt = 3; 3*1/3 = 1, 4*2/3 = 2 (truncating); D=2: >>1 -> 0, 1
    expect(rms([3, 4], [1, 2], 1)).toEqual([1, 2]);
    expect(rms([3, 4], [1, 2], 2)).toEqual([0, 1]);
    // negative: -3/3 = -1 >> 1 = -1; -8/3 = -2 >> 1 = -1 (floor)
    expect(rms([-3, -4], [1, 2], 2)).toEqual([-1, -1]);
  });
  it('zero rows give zeros (std = isqrt(1) = 1), large values saturate', () => {
    expect(rms([0, 0], [5, 7], 1)).toEqual([0, 0]);
    // 10000/2+1 = 5001, isqrt = 70; 100*100/70 = 142 -> 127
    expect(rms([100, 0], [100, 1], 1)).toEqual([127, 0]);
  });
});

describe('iLayerNorm', () => {
  it('centres, divides by isqrt(var+1), adds bias, shifts, casts to int8', () => {
    // mean 3; var = (4+1+0+9)/4 = 3, +1 = 4, std = 2; (-2)/2=-1, (-1)/2=0, 0, 3/2=1
    expect(run('iLayerNorm', [f32([4], [1, 2, 3, 6]), f32([4], [1, 1, 1, 1]), f32([4], [0, 0, 0, 0])], { D: t(1), n_levels: t(256) }).v).toEqual([-1, 0, 0, 1]);
    // mean 100, var 10000+1 -> std 100; -100*300/100 = -300 -> (int8) -44; 300 -> 44
    expect(run('iLayerNorm', [f32([2], [0, 200]), f32([2], [300, 300]), f32([2], [0, 0])], { D: t(1), n_levels: t(256) }).v).toEqual([-44, 44]);
  });
});

describe('iHardswish, iGELU, TrueIntegerDiv', () => {
  it('iHardswish: x * (clamp(x+three, 0, six) * one_over_six)', () => {
    // -5: clamp(-2)=0 -> 0; -1: 2*2=4 -> -4; 2: 5*2=10 -> 20; 10: 6*2=12 -> 120
    expect(run('iHardswish', [f32([4], [-5, -1, 2, 10])], { one_over_six: 2, three: 3, six: 6 }).v).toEqual([0, -4, 20, 120]);
  });
  it('iGELU: x * ((one + sgn(x)(one - (min(|x|,-b)+b)^2)) >> 1)', () => {
    // b=-4, one=16: 2 -> L=12, (28)>>1=14 -> 28; -2 -> L=-12 -> 2 -> -4; 10 -> L=16 -> 16 -> 160; -10 -> 0; -1 -> L=-7 -> 9>>1=4 -> -4
    expect(run('iGELU', [f32([5], [2, -2, 10, -10, -1])], { b: -4, one: 16 }).v).toEqual([28, -4, 160, 0, -4]);
  });
  it('TrueIntegerDiv: a * floor(Delta*eta / (eta*y + eps))', () => {
    // 16384*200000 / 400001 = 8191.98 -> 8191; -12*8191 = -98292; 3*8191 = 24573
    expect(run('TrueIntegerDiv', [f32([3], [-12, 3, 0])], { Delta: 16384, eta: 200000, y: 2, eps: 1 }).v).toEqual([-98292, 24573, 0]);
  });
});

describe('elementwise', () => {
  it('Round is half to even', () => {
    expect(run('Round', [f32([8], [0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4, -2.6])]).v).toEqual([0, 2, 2, 0, -2, -2, 2, -3]);
  });
  it('Add/Sub/Mul broadcast; integer Div truncates; float32 Div rounds to float32', () => {
    expect(run('Add', [f32([2, 1], [10, 20]), f32([3], [1, 2, 3])]).v).toEqual([11, 12, 13, 21, 22, 23]);
    expect(run('Sub', [f32([2], [1, 2]), f32([], [5])]).v).toEqual([-4, -3]);
    expect(run('Mul', [f32([2], [1.5, -2]), f32([1], [3])]).v).toEqual([4.5, -6]);
    expect(run('Div', [i32([2], [7, -7]), i32([2], [2, 2])]).v).toEqual([3, -3]);
    expect(run('Div', [f32([1], [1]), f32([1], [3])]).v).toEqual([Math.fround(1 / 3)]);
    // 0.1 + 0.2 in float32 is fround(fround(0.1) + fround(0.2))
    expect(run('Add', [f32([1], [0.1]), f32([1], [0.2])]).v).toEqual([Math.fround(Math.fround(0.1) + Math.fround(0.2))]);
  });
  it('Clip with min/max inputs; Cast truncates and wraps; Identity copies', () => {
    expect(run('Clip', [f32([4], [-9, -1, 5, 200]), f32([], [-2]), f32([], [100])]).v).toEqual([-2, -1, 5, 100]);
    expect(run('Cast', [f32([3], [1.7, -1.7, 200])], { to: 3 }).v).toEqual([1, -1, -56]);
    expect(run('Cast', [['int64', [1], [7]]], { to: 1 }).v).toEqual([7]);
    expect(run('Identity', [f32([2], [4, 5])]).v).toEqual([4, 5]);
  });
});

describe('MatMul, Gemm', () => {
  it('MatMul broadcasts a 2D right operand over a batch', () => {
    // [[1,2],[3,4]] . [[1,0],[0,-1]] = [[1,-2],[3,-4]]; same for the second batch
    const r = run('MatMul', [f32([2, 2, 2], [1, 2, 3, 4, 5, 6, 7, 8]), f32([2, 2], [1, 0, 0, -1])]);
    expect(r.shape).toEqual([2, 2, 2]);
    expect(r.v).toEqual([1, -2, 3, -4, 5, -6, 7, -8]);
  });
  it('MatMul reports int32 accumulator overflow', () => {
    const r = run('MatMul', [i32([1, 1], [65536]), i32([1, 1], [65536])], {}, { dtype: 'int64' });
    expect(r.v).toEqual([4294967296]);
    expect(r.warnings[0]).toMatch(/node 'n' \(MatMul\): accumulator overflows int32 in 1 of 1 elements/);
  });
  it('Gemm with alpha, beta, transA, transB', () => {
    // op(A) = [1,2]; op(B) = [[1,2],[1,-1]]; A.B = [3,0]; *2 = [6,0]; + 3*[1,1] = [9,3]
    const r = run('Gemm', [f32([2, 1], [1, 2]), f32([2, 2], [1, 1, 2, -1]), f32([2], [1, 1])], { alpha: 2, beta: 3, transA: 1, transB: 1 });
    expect(r.shape).toEqual([1, 2]);
    expect(r.v).toEqual([9, 3]);
  });
});

describe('Conv, MaxPool', () => {
  it('1D conv with padding and stride', () => {
    // padded [0,1,2,3,4,5,0], kernel [1,0,-1], positions 0,2,4: 0-2, 2-4, 4-0
    expect(run('Conv', [f32([1, 1, 5], [1, 2, 3, 4, 5]), f32([1, 1, 3], [1, 0, -1])], { pads: [1, 1], strides: [2] }).v).toEqual([-2, -2, 4]);
  });
  it('1D conv with dilation', () => {
    // kernel [1,1] dilated by 2: x[i] + x[i+2]
    expect(run('Conv', [f32([1, 1, 5], [1, 2, 3, 4, 5]), f32([1, 1, 2], [1, 1])], { dilations: [2] }).v).toEqual([4, 6, 8]);
  });
  it('depthwise 2D conv with bias, and pointwise conv', () => {
    // channel 0 times 2 plus 1, channel 1 times -1
    expect(run('Conv', [f32([1, 2, 2, 2], [1, 2, 3, 4, 5, 6, 7, 8]), f32([2, 1, 1, 1], [2, -1]), f32([2], [1, 0])], { group: 2 }).v).toEqual([3, 5, 7, 9, -5, -6, -7, -8]);
    // 1*[1,2] + 10*[3,4]
    expect(run('Conv', [f32([1, 2, 1, 2], [1, 2, 3, 4]), f32([1, 2, 1, 1], [1, 10])]).v).toEqual([31, 42]);
  });
  it('2D conv with stride 2 and symmetric padding', () => {
    // 3x3 input 1..9, 3x3 all-ones kernel, pad 1, stride 2 -> windows at (0,0),(0,2),(2,0),(2,2)
    // (0,0): 1+2+4+5=12; (0,2): 2+3+5+6=16; (2,0): 4+5+7+8=24; (2,2): 5+6+8+9=28
    expect(run('Conv', [f32([1, 1, 3, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9]), f32([1, 1, 3, 3], new Array(9).fill(1))], { pads: [1, 1, 1, 1], strides: [2, 2] }).v).toEqual([12, 16, 24, 28]);
  });
  it('MaxPool 2D and 1D (negative values, stride)', () => {
    expect(run('MaxPool', [f32([1, 1, 3, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9])], { kernel_shape: [2, 2] }).v).toEqual([5, 6, 8, 9]);
    expect(run('MaxPool', [f32([1, 1, 4], [-5, -3, -4, -1])], { kernel_shape: [2], strides: [2] }).v).toEqual([-3, -1]);
  });
});

describe('reductions', () => {
  it('integer ReduceMean rounds half up', () => {
    // axis 1 of [[1,2],[2,2]] per column: (1+2)/2=1.5 -> 2, (2+2)/2 = 2; [-1,-2]: -1.5 -> -1; [-1,-4]: -2.5 -> -2
    expect(run('ReduceMean', [f32([1, 2, 2], [1, 2, 2, 2])], { axes: [1], keepdims: 0 }).v).toEqual([2, 2]);
    expect(run('ReduceMean', [f32([2, 2], [-1, -2, -1, -4])], { axes: [1], keepdims: 0 }).v).toEqual([-1, -2]);
  });
  it('ReduceSum with axes as an input, keepdims', () => {
    const r = run('ReduceSum', [f32([2, 3], [1, 2, 3, 4, 5, 6]), ['int64', [1], [0]]], { keepdims: 1 });
    expect(r.shape).toEqual([1, 3]);
    expect(r.v).toEqual([5, 7, 9]);
  });
});

describe('layout', () => {
  const x = f32([2, 3], [0, 1, 2, 3, 4, 5]);
  it('Transpose, Reshape (0 and -1), Flatten, Squeeze, Unsqueeze', () => {
    expect(run('Transpose', [x], { perm: [1, 0] }).v).toEqual([0, 3, 1, 4, 2, 5]);
    expect(run('Reshape', [x, ['int64', [2], [0, -1]]]).shape).toEqual([2, 3]);
    expect(run('Reshape', [x, ['int64', [1], [-1]]]).shape).toEqual([6]);
    expect(run('Flatten', [f32([2, 1, 3], [0, 1, 2, 3, 4, 5])], { axis: 2 }).shape).toEqual([2, 3]);
    expect(run('Squeeze', [f32([1, 3, 1], [1, 2, 3]), ['int64', [1], [0]]]).shape).toEqual([3, 1]);
    expect(run('Unsqueeze', [f32([3], [1, 2, 3]), ['int64', [2], [0, -1]]]).shape).toEqual([1, 3, 1]);
  });
  it('Concat on the last axis, with an empty input', () => {
    const r = run('Concat', [x, f32([2, 0], []), f32([2, 1], [9, 8])], { axis: -1 });
    expect(r.shape).toEqual([2, 4]);
    expect(r.v).toEqual([0, 1, 2, 9, 3, 4, 5, 8]);
  });
  it('Slice with a negative step, Gather with a negative index, Pad', () => {
    expect(run('Slice', [f32([6], [0, 1, 2, 3, 4, 5]), ['int64', [1], [4]], ['int64', [1], [0]], ['int64', [1], [0]], ['int64', [1], [-2]]]).v).toEqual([4, 2]);
    expect(run('Gather', [x, ['int64', [1], [-1]]], { axis: 1 }).v).toEqual([2, 5]);
    // pads: begin (h 1, w 1), end (h 0, w 1)
    const p = run('Pad', [f32([1, 1, 1, 2], [1, 2])], { pads: [0, 0, 1, 1, 0, 0, 0, 1], mode: 'constant' });
    expect(p.shape).toEqual([1, 1, 2, 4]);
    expect(p.v).toEqual([0, 0, 0, 0, 0, 1, 2, 0]);
  });
});

describe('Constant', () => {
  it('yields its value tensor or value_ints', () => {
    const c = { name: '', dtype: 'int8' as DType, shape: [2], data: Int8Array.of(-3, 4) };
    expect(run('Constant', [], { value: c }, { shape: [2], dtype: 'int8' }).v).toEqual([-3, 4]);
    expect(run('Constant', [], { value_ints: [5, 6, 7] }, { shape: [3], dtype: 'int64' }).v).toEqual([5, 6, 7]);
  });
});

describe('unsupported operators', () => {
  it('fail loudly naming the node and op', () => {
    const b = new GraphBuilder('g');
    const y = b.node('Mystery', [b.input('x', 'int8', [2])], {}, { name: 'y', nodeName: 'odd', shape: [2] });
    const g = b.output(y).build();
    expect(() => execute(g, [{ name: 'x', dtype: 'int8', shape: [2], data: Int8Array.of(1, 2) }])).toThrow(InputError);
    expect(() => execute(g, [{ name: 'x', dtype: 'int8', shape: [2], data: Int8Array.of(1, 2) }])).toThrow(/does not support the op type Mystery \(1 node, e\.g\. 'odd'\)/);
  });
  it('list every unsupported op type of the graph at once', () => {
    const b = new GraphBuilder('g');
    let v = b.input('x', 'int8', [2]);
    for (let i = 0; i < 7; i++) v = b.node(`Mystery${i % 6}`, [v], {}, { shape: [2], nodeName: `m${i}` });
    const g = b.output(v).build();
    const run = () => execute(g, [{ name: 'x', dtype: 'int8', shape: [2], data: Int8Array.of(1, 2) }]);
    expect(run).toThrow(/op types Mystery0 \(2 nodes, e\.g\. 'm0'\), Mystery1 .*Mystery5 \(1 node, e\.g\. 'm5'\)$/);
  });
});
