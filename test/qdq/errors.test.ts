// Bad quantized input: a QDQ group without an exact integer form, or an attribute outside the
// supported range, is a user error (InputError, exit 2) naming the node and why.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { GraphBuilder } from '../../src/frontend/builder.js';
import type { AttrValue, DType } from '../../src/frontend/ir.js';
import { formatNpz } from '../../src/frontend/npy.js';
import { writeOnnx } from '../../src/frontend/onnx.js';
import { lowerStandardQuantization } from '../../src/frontend/quant-lower.js';

const MAIN = join(import.meta.dirname, '../../dist/src/cli/main.js');

/** x (float [1,4]) -> Q -> DQ -> op(DQ'd weights when given) -> Q -> DQ -> y */
function group(op: string, attrs: Record<string, AttrValue> = {}, opts: { weights?: boolean; scaleDtype?: DType; runtimeScale?: boolean; then?: string } = {}) {
  const b = new GraphBuilder('bad');
  b.input('x', 'float32', [1, 4]);
  const s = opts.runtimeScale ? b.input('s', 'float32', []) : b.init('s', opts.scaleDtype ?? 'float32', [], [0.5]);
  const z = b.init('z', 'uint8', [], [128]);
  const q = b.node('QuantizeLinear', ['x', s, z], {}, { name: 'xq', dtype: 'uint8', shape: [1, 4] });
  const d = b.node('DequantizeLinear', [q, s, z], {}, { name: 'xd', dtype: 'float32', shape: [1, 4] });
  const ins = [d];
  if (opts.weights) {
    const w = b.init('w', 'int8', [4, 4], new Array(16).fill(1));
    const ws = b.init('ws', 'float32', [], [0.1]);
    const wz = b.init('wz', 'int8', [], [0]);
    ins.push(b.node('DequantizeLinear', [w, ws, wz], {}, { name: 'wd', dtype: 'float32', shape: [4, 4] }));
  }
  let y = b.node(op, ins, attrs, { name: 'f', dtype: 'float32', shape: [1, 4], nodeName: 'the_op' });
  if (opts.then) y = b.node(opts.then, [y], {}, { name: 'g', dtype: 'float32', shape: [1, 4], nodeName: 'the_next' });
  const yq = b.node('QuantizeLinear', [y, s, z], {}, { name: 'yq', dtype: 'uint8', shape: [1, 4] });
  const yd = b.node('DequantizeLinear', [yq, s, z], {}, { name: 'y', dtype: 'float32', shape: [1, 4] });
  return b.output(yd).build();
}

describe('QDQ patterns that cannot be lowered exactly', () => {
  it('a float op between DequantizeLinear and QuantizeLinear names the node and the supported ops', () => {
    expect(() => lowerStandardQuantization(group('Softmax', { axis: -1 }))).toThrow(InputError);
    expect(() => lowerStandardQuantization(group('Softmax', { axis: -1 }))).toThrow(/node 'the_op' \(Softmax\) cannot be lowered to integer arithmetic exactly: float Softmax on dequantized values \(after DequantizeLinear\) has no exact integer form \(supported: .*Conv.*Gemm/);
  });
  it('two float ops in a row (no QuantizeLinear between them)', () => {
    expect(() => lowerStandardQuantization(group('MatMul', {}, { weights: true, then: 'Sigmoid' }))).toThrow(/node 'the_next' \(Sigmoid\) cannot be lowered .*: it reads 'f', the float result of a quantized group that has no QuantizeLinear in between/);
  });
  it('unsupported scale types: an int32 scale, a scale that is not a constant', () => {
    expect(() => lowerStandardQuantization(group('Relu', {}, { scaleDtype: 'int32' }))).toThrow(/node 'QuantizeLinear_\d+' \(QuantizeLinear\) cannot be lowered .*: scale 's' is int32, only float32 scales are supported/);
    expect(() => lowerStandardQuantization(group('Relu', {}, { runtimeScale: true }))).toThrow(/the scale 's' is not a constant/);
  });
  it('an attribute outside the supported range names node, attribute and range', () => {
    expect(() => lowerStandardQuantization(group('Gemm', { alpha: 2, transB: 1 }, { weights: true }))).toThrow(/node 'the_op' \(Gemm\) cannot be lowered .*: attribute alpha = 2 is outside the supported range \[1, 1\]/);
  });
  it('the CLI exits 2 with the one-line message', () => {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` first`);
    const dir = mkdtempSync(join(tmpdir(), 'qdq-bad-'));
    writeFileSync(join(dir, 'network.onnx'), writeOnnx(group('Softmax', { axis: -1 })));
    writeFileSync(join(dir, 'inputs.npz'), formatNpz([{ name: 'x', dtype: 'float32', shape: [1, 4], data: new Float32Array(4) }]));
    const r = spawnSync(process.execPath, [MAIN, 'compile', dir, '-o', join(dir, 'build')], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/network\.onnx: node 'the_op' \(Softmax\) cannot be lowered to integer arithmetic exactly/);
  });
});

describe('unsupported op types', () => {
  it('the compiler lists every unsupported op type of the graph at once', async () => {
    const { checkCompilable } = await import('../../src/compiler/coverage.js');
    const { lower } = await import('../../src/compiler/lower.js');
    await import('../../src/compiler/ops/index.js');
    const b = new GraphBuilder('many');
    let v = b.input('x', 'int8', [4]);
    for (const [i, op] of ['Mystery', 'Enigma', 'Mystery', 'Riddle', 'Puzzle', 'Cipher', 'Rebus'].entries()) v = b.node(op, [v], {}, { shape: [4], dtype: 'int8', nodeName: `n${i}` });
    const g = lower(b.output(v).build(), { fuse: false });
    expect(() => checkCompilable(g)).toThrow(InputError);
    expect(() => checkCompilable(g)).toThrow(/many: 6 op types the compiler does not support: node 'n0' \(Mystery\): unsupported operator Mystery \(2 nodes\); node 'n1' \(Enigma\).*node 'n6' \(Rebus\): unsupported operator Rebus$/);
  });
});
