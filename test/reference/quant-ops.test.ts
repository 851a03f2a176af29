// Hand-worked expected values for the ops added with issue 14 (Deeploy's remaining integer
// vocabulary and ONNX's quantization ops); the arithmetic is in the comments, none comes from the
// executor.
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { GraphBuilder } from '../../src/frontend/builder.js';
import type { AttrValue, DType, Tensor } from '../../src/frontend/ir.js';
import { execute } from '../../src/reference/execute.js';

type In = [DType, number[], number[]];
const t = (v: number): Tensor => ({ name: '', dtype: 'float32', shape: [1], data: Float32Array.of(v) });

function run(op: string, ins: (In | undefined)[], attrs: Record<string, AttrValue> = {}, out: { dtype?: DType; shape?: number[] } = {}) {
  const b = new GraphBuilder(op);
  const names = ins.map((x, i) => (x ? b.init(`in${i}`, x[0], x[1], x[2]) : ''));
  const y = b.node(op, names, attrs, { name: 'y', nodeName: 'n', ...out });
  const r = execute(b.output(y).build(), []);
  return { v: Array.from(r.outputs[0]!.data), shape: r.outputs[0]!.shape, warnings: r.warnings };
}
const f32 = (shape: number[], v: number[]): In => ['float32', shape, v];
const i8 = (shape: number[], v: number[]): In => ['int8', shape, v];
const u8 = (shape: number[], v: number[]): In => ['uint8', shape, v];
const i32 = (shape: number[], v: number[]): In => ['int32', shape, v];
const rq = { div: t(1), n_levels: t(256), signed: t(1) };

describe('IntegerMean (Deeploy ReduceMean template rounding)', () => {
  const mean = (x: number[], shape: number[], axes: number[], keepdims = 0) => run('IntegerMean', [f32(shape, x)], { axes, keepdims }).v;
  it('power-of-two count: floor((s + N/2) / N), halves up', () => {
    // rows of 2: (1+2)=3 -> floor(4/2)=2; (-1-2)=-3 -> floor(-2/2)=-1; (3+4)=7 -> 4; (-3-4) -> floor(-6/2) = -3
    expect(mean([1, 2, -1, -2, 3, 4, -3, -4], [4, 2], [1])).toEqual([2, -1, 4, -3]);
  });
  it('other counts: round half away from zero', () => {
    // rows of 6: sum 3 -> (3+3)/6 = 1; sum -3 -> (-3-3)/6 = -1; sum 0 -> (0+3)/6 = 0; sum 8 -> 11/6 = 1
    expect(mean([1, 1, 1, 0, 0, 0, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 2, 2, 2, 0, 0], [4, 6], [-1])).toEqual([1, -1, 0, 1]);
  });
  it('all-equal and zero rows give the value itself, keepdims keeps the axis', () => {
    const r = run('IntegerMean', [f32([2, 3, 1], [-7, -7, -7, 0, 0, 0])], { axes: [1], keepdims: 1 });
    expect(r.v).toEqual([-7, 0]);
    expect(r.shape).toEqual([2, 1, 1]);
  });
  it('an axis outside the rank is exit 2 naming node, attribute and range', () => {
    expect(() => mean([1, 2], [2], [3])).toThrow(/node 'n' \(IntegerMean\): attribute axes = \[3\] is outside the supported range \[-1, 0\]/);
  });
});

describe('ITAPartialMax', () => {
  const pm = (x: number[], gw: number) => run('ITAPartialMax', [f32([x.length], x)], { group_width: gw, n_levels: t(256) }).v;
  it('equals ITAMax when one group holds the row', () => {
    // max 10: shifts (10-10+16)>>5=0, (10-0+16)>>5=0, (10+54+16)>>5=2 -> sum 256+256+64 = 576
    // inv = 127*256/576 = 56 -> 56-128 = -72, -72, (56>>2)-128 = -114
    expect(pm([10, 0, -54], 3)).toEqual([-72, -72, -114]);
  });
  it('shifts the running sum when a later group raises the maximum', () => {
    // group 1 [-100, -100]: max -100, sum 512; group 2 [100, 0]: shift_sum = (100+100+16)>>5 = 6,
    // sum = (512>>6) + 256 + (256 >> ((100+16)>>5 = 3)) = 8 + 256 + 32 = 296; inv = 32512/296 = 109
    // out: -100 -> 109 >> 6 = 1 -> -127; 100 -> 109-128 = -19; 0 -> 109>>3 = 13 -> -115
    expect(pm([-100, -100, 100, 0], 2)).toEqual([-127, -127, -19, -115]);
  });
  it('all-equal rows: every element 127*256/(n*256) - 128', () => {
    // 4 equal: sum 1024, inv = 32512/1024 = 31 -> -97
    expect(pm([5, 5, 5, 5], 2)).toEqual([-97, -97, -97, -97]);
  });
  it('a group width that does not divide the row is exit 2 naming node, attribute and range', () => {
    expect(() => pm([1, 2, 3], 2)).toThrow(/node 'n' \(ITAPartialMax\): attribute group_width = 2 is outside the supported range/);
  });
});

describe('IntegerDiv / RQIntegerDiv (Deeploy Div_s32, RQDiv_s8)', () => {
  const attrs = { Delta: 1, eta: 1, eps: 0 };
  it('rounds half away from zero, broadcasts the denominator', () => {
    // 7/2 = 3.5 -> 4; -7/2 -> -4; 5/2 = 2.5 -> 3; 1/3 -> 0; -2/3 = -0.67 -> -1; 0 -> 0
    expect(run('IntegerDiv', [f32([2, 3], [7, -7, 5, 1, -2, 0]), f32([2, 1], [2, 3])], attrs).v).toEqual([4, -4, 3, 0, -1, 0]);
  });
  it('uses Delta*eta*a / (eta*b + eps) in 64 bits', () => {
    // Delta=1000, eta=1000: 1e6*100 / (1000*3 + 1) = 1e8/3001 = 33322.2 -> 33322
    expect(run('IntegerDiv', [f32([1], [100]), f32([1], [3])], { Delta: 1000, eta: 1000, eps: 1 }).v).toEqual([33322]);
  });
  it('RQIntegerDiv requantises with a shift and saturates', () => {
    // q = 7/2 -> 4, 300/1 = 300, -300 -> -300; (q*3 + 1 + 2) >> 2: 15>>2=3, 903>>2=225->127, -897>>2=-225 -> -128
    const r = run('RQIntegerDiv', [f32([3], [7, 300, -300]), f32([3], [2, 1, 1]), f32([], [3]), f32([], [1]), f32([], [2])], { ...attrs, ...rq });
    expect(r.v).toEqual([3, 127, -128]);
  });
  it('negative values into an unsigned output clamp to 0', () => {
    const r = run('RQIntegerDiv', [f32([2], [-9, 9]), f32([2], [1, 1]), f32([], [1]), f32([], [0]), f32([], [0])], { ...attrs, div: t(1), n_levels: t(256), signed: t(0) });
    expect(r.v).toEqual([0, 9]);
  });
  it('Delta*eta beyond int32 is exit 2 naming the attribute and range', () => {
    expect(() => run('IntegerDiv', [f32([1], [1]), f32([1], [1])], { Delta: 65536, eta: 65536, eps: 0 })).toThrow(/attribute Delta\*eta = 4294967296 is outside the supported range/);
  });
});

describe('RequantizediGELU / RequantizediHardswish', () => {
  it('GELU then (y*mul + add + 2^(s-1)) >> s with saturation', () => {
    // b=-4, one=16: x=2: q=2, L=16-(2-4)^2=12, y=2*((16+12)>>1)=28; x=-2: L=-12, y=-2*(4>>1)=-4; x=0 -> 0; x=9: q=4, L=16, y=9*16=144
    // mul 1, add 0, shift 2: (28+2)>>2 = 7, (-4+2)>>2 = -1, 0, (144+2)>>2 = 36
    // mul 4: 144*4 = 576 -> 144 saturates to 127; x=-9: q=4, L=-(16-0)=-16, y=-9*0 = 0 -> 0
    const g = (x: number[], mul: number) => run('RequantizediGELU', [f32([x.length], x), f32([], [mul]), f32([], [0]), f32([], [2])], { b: -4, one: 16, ...rq }).v;
    expect(g([2, -2, 0, 9], 1)).toEqual([7, -1, 0, 36]);
    expect(g([9, -9], 4)).toEqual([127, 0]);
  });
  it('Hardswish then the shift requant; rounding at .5 goes up', () => {
    // three=3, six=6, 1/6=1: x=1: clamp(4)=4 -> 4; x=-2: clamp(1)*1=1 -> -2; x=5: 6 -> 30; x=-5: 0 -> 0
    // mul 1, add 0, shift 1: (4+1)>>1 = 2, (-2+1)>>1 = -1, (30+1)>>1 = 15, 0; x=3: 6*3=18 -> 9; x=-1: 2*-1=-2 -> (-1)>>1 = -1
    const r = run('RequantizediHardswish', [f32([6], [1, -2, 5, -5, 3, -1])], { one_over_six: 1, three: 3, six: 6, mul: 1, add: 0, shift: 1, ...rq });
    expect(r.v).toEqual([2, -1, 15, 0, 9, -1]);
  });
});

describe('iNoNorm', () => {
  it('((x*w + b) * mul) >> log2 D, stored as int8 (wraps, no clamp)', () => {
    // [1,2,2]: w per last axis [2, -3], b [1, 0], mul 3, D 4: (1*2+1)*3=9>>2=2; (1*-3)*3=-9>>2=-3;
    // (10*2+1)*3=63>>2=15; (100*-3)*3=-900>>2=-225 -> (int8) 31
    expect(run('iNoNorm', [f32([1, 2, 2], [1, 1, 10, 100]), f32([2], [2, -3]), f32([2], [1, 0])], { D: t(4), mul: t(3) }).v).toEqual([2, -3, 15, 31]);
  });
});

describe('AveragePool / GlobalAveragePool', () => {
  it('float: ONNX (float32) means, count_include_pad off by default', () => {
    // 1x1x2x2 window 2 -> one mean (1+2+3+4)/4 = 2.5; 1D [1,1,3] k=2: 0.5, 2.5
    expect(run('AveragePool', [f32([1, 1, 2, 2], [1, 2, 3, 4])], { kernel_shape: [2, 2] }, { dtype: 'float32' }).v).toEqual([2.5]);
    expect(run('AveragePool', [f32([1, 1, 3], [0, 1, 4])], { kernel_shape: [2] }, { dtype: 'float32' }).v).toEqual([0.5, 2.5]);
    // pads 1 at the start, no include: window [pad, 0] -> 0/1; include: 0/2
    expect(run('AveragePool', [f32([1, 1, 2], [6, 2])], { kernel_shape: [2], pads: [1, 0] }, { dtype: 'float32' }).v).toEqual([6, 4]);
    expect(run('AveragePool', [f32([1, 1, 2], [6, 2])], { kernel_shape: [2], pads: [1, 0], count_include_pad: 1 }, { dtype: 'float32' }).v).toEqual([3, 4]);
  });
  it('integer output: IntegerMean rounding; GlobalAveragePool over all spatial dims', () => {
    // (-1 + -2) / 2 = -1.5 -> floor(-1.5 + .5) = -1; 3 elements (-1,-1,0) sum -2: (-2-1)/3 = -1
    expect(run('AveragePool', [i8([1, 1, 2], [-1, -2])], { kernel_shape: [2] }, { dtype: 'int8' }).v).toEqual([-1]);
    expect(run('GlobalAveragePool', [i8([1, 2, 1, 3], [-1, -1, 0, 5, 5, 5])], {}, { dtype: 'int8' }).v).toEqual([-1, 5]);
  });
  it('ceil_mode = 1 is exit 2 naming node, attribute and range', () => {
    expect(() => run('AveragePool', [f32([1, 1, 3], [0, 1, 4])], { kernel_shape: [2], ceil_mode: 1 }, { dtype: 'float32', shape: [1, 1, 2] })).toThrow(/node 'n' \(AveragePool\): attribute ceil_mode = 1 is outside the supported range \[0, 0\]/);
  });
});

describe("Deeploy's Quant / Dequant (float32, half away from zero)", () => {
  it('Quant: trunc(f(x*scale + zp) + 0.5 sgn), clamped to bit_width', () => {
    // x*0.5 + 0.25: 0.5 -> 0.5 -> 1; -1.5 -> -0.5 -> -1; 2.5 -> 1.5 -> 2; -2.5 -> -1 -> -1.5 -> -1; 100 -> 7 (4-bit signed); -100 -> -8
    expect(run('Quant', [f32([6], [0.5, -1.5, 2.5, -2.5, 100, -100])], { scale: 0.5, zero_point: 0.25, bit_width: 4, signed: 1 }).v).toEqual([1, -1, 2, -1, 7, -8]);
    // unsigned 8 bit: negative values clamp to 0
    expect(run('Quant', [f32([2], [-3, 3])], { scale: 1, zero_point: 0, bit_width: 8, signed: 0 }).v).toEqual([0, 3]);
  });
  it('Dequant: f(f(q - zp) * scale)', () => {
    expect(run('Dequant', [i8([3], [-1, 0, 5])], { scale: 0.5, zero_point: -3, bit_width: 8, signed: 1 }).v).toEqual([1, 1.5, 4]);
  });
});

describe('ONNX quantization ops (float scales, round half to even, saturation)', () => {
  it('QuantizeLinear rounds half to even and saturates; DequantizeLinear per axis', () => {
    // x / 0.5: 0.25 -> 0.5 -> 0, 0.75 -> 1.5 -> 2, 1.25 -> 2.5 -> 2, -0.25 -> -0.5 -> -0 ; + zp 10; 1000 -> 255, -1000 -> 0
    expect(run('QuantizeLinear', [f32([6], [0.25, 0.75, 1.25, -0.25, 1000, -1000]), f32([], [0.5]), u8([], [10])]).v).toEqual([10, 12, 12, 10, 255, 0]);
    // int8, per-axis 1 scales [1, 2]: [[3, 3], [3, 3]] -> col 0 /1 = 3, col 1 /2 = 1.5 -> 2
    expect(run('QuantizeLinear', [f32([2, 2], [3, 3, 3, 3]), f32([2], [1, 2]), i8([2], [0, 0])], { axis: 1 }).v).toEqual([3, 2, 3, 2]);
    expect(run('DequantizeLinear', [u8([3], [0, 128, 255]), f32([], [0.5]), u8([], [128])]).v).toEqual([-64, 0, 63.5]);
  });
  it('MatMulInteger / ConvInteger subtract zero points exactly', () => {
    // A u8 [[130, 128]] zp 128 -> [2, 0]; B i8 [[1], [5]] zp 1 -> [0, 4]: 2*0 + 0*4 = 0 ; second column: B [[3],[3]] -> [2,2]: 4
    expect(run('MatMulInteger', [u8([1, 2], [130, 128]), i8([2, 2], [1, 3, 5, 3]), u8([], [128]), i8([], [1])]).v).toEqual([0, 4]);
    // x u8 [1,1,3] zp 2, w i8 [1,1,2] = [1, -1], pads 1: windows [pad, 5], [5, 3], [3, 1], [1, pad] -> shifted [0,3],[3,1],[1,-1],[-1,0]
    // -> 0*1 + 3*-1 = -3; 3 - 1 = 2; 1 + 1 = 2; -1 - 0 = -1
    expect(run('ConvInteger', [u8([1, 1, 3], [5, 3, 1]), i8([1, 1, 2], [1, -1]), u8([], [2])], { kernel_shape: [2], pads: [1, 1] }).v).toEqual([-3, 2, 2, -1]);
  });
  it('QLinearMatMul: acc * float32(sa*sb/sy), half to even, saturation', () => {
    // acc = [1*2, 3*2] = [2, 6] ... with scales 0.5*0.5/0.5 = 0.5: 1, 3; + zp 0; acc 255*2: 255 -> 127 saturates
    const q = (a: number[]) => run('QLinearMatMul', [i8([1, a.length], a), f32([], [0.5]), i8([], [0]), i8([a.length, 1], a.map(() => 2)), f32([], [0.5]), i8([], [0]), f32([], [0.5]), i8([], [0])]).v;
    expect(q([1])).toEqual([1]);
    expect(q([3])).toEqual([3]);
    // 5 * 2 * 0.5 = 5; 127*2*... = 127; -1*2*0.5 = -1 ; half: acc 5 with ratio 0.5 -> 2.5 -> 2 (even)
    expect(q([127, 127])).toEqual([127]);
    expect(run('QLinearMatMul', [i8([1, 1], [5]), f32([], [0.5]), i8([], [0]), i8([1, 1], [1]), f32([], [0.5]), i8([], [0]), f32([], [0.5]), i8([], [0])]).v).toEqual([2]);
  });
});

describe('unsupported attribute values are user errors', () => {
  it('are InputErrors (exit 2)', () => {
    expect(() => run('ITAPartialMax', [f32([2], [1, 2])], { group_width: 0 })).toThrow(InputError);
  });
});
