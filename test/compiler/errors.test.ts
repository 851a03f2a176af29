// Bad input: unsupported operator / attribute / type combination (exit 2, naming the node and the
// reason), and a network too big for its memory level (the plan's numbers in the message).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bind } from '../../src/compiler/bind.js';
import { compileToFolder } from '../../src/compiler/build-folder.js';
import { lower } from '../../src/compiler/lower.js';
import { l1Minimum } from '../../src/compiler/plan.js';
import { inferTypes } from '../../src/compiler/types.js';
import { ExitCode, InputError } from '../../src/errors.js';
import { GraphBuilder } from '../../src/frontend/builder.js';
import type { Graph, Tensor } from '../../src/frontend/ir.js';
import { writeNpz } from '../../src/frontend/npy.js';
import { saveOnnx } from '../../src/frontend/onnx.js';
import { OUT } from './cases.js';
import { linearGraph } from './helpers.js';

function writeCase(name: string, graph: Graph, inputs: Tensor[]): string {
  const dir = join(OUT, 'errors', name);
  mkdirSync(dir, { recursive: true });
  saveOnnx(join(dir, 'network.onnx'), graph);
  writeNpz(join(dir, 'inputs.npz'), inputs);
  return dir;
}

async function compileError(dir: string, extra: Record<string, unknown> = {}): Promise<InputError> {
  try {
    await compileToFolder({ network: dir, outDir: join(dir, 'build'), build: false, ...extra });
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    expect((e as InputError).exitCode).toBe(ExitCode.badInput);
    return e as InputError;
  }
  throw new Error('compile succeeded');
}

const x8 = (name: string, shape: number[]): Tensor => ({ name, dtype: 'int8', shape, data: new Int8Array(shape.reduce((a, b) => a * b, 1)) });

describe('bad input', () => {
  it('an unsupported operator names the node and the operator', async () => {
    const b = new GraphBuilder('unsupported');
    const x = b.input('x', 'float32', [1, 8]);
    const y = b.node('HardSigmoid', [x], {}, { nodeName: 'the_sigmoid', dtype: 'float32', shape: [1, 8] });
    const err = await compileError(writeCase('op', b.output(y).build(), [x8('x', [1, 8])]));
    expect(err.message).toContain("node 'the_sigmoid' (HardSigmoid): unsupported operator HardSigmoid");
  });

  it('an unsupported attribute names the node and the reason', async () => {
    const b = new GraphBuilder('attr');
    const x = b.input('x', 'float32', [1, 2, 4, 4]);
    const y = b.node('Pad', [x], { mode: 'reflect', pads: [0, 0, 1, 1, 0, 0, 1, 1] }, { nodeName: 'reflect_pad', dtype: 'float32', shape: [1, 2, 6, 6] });
    const err = await compileError(writeCase('attr', b.output(y).build(), [x8('x', [1, 2, 4, 4])]));
    expect(err.message).toMatch(/node 'reflect_pad' \(Pad\): unsupported: mode 'reflect' \(constant only\)/);
  });

  it('an unsupported type combination names the node, the types and each kernel reason', () => {
    const t = inferTypes(lower(linearGraph()), [new Int8Array(32)]);
    t.dtypes.set('x', 'uint16');
    t.dtypes.set('requantshift_2_out', 'int16');
    expect(() => bind(t)).toThrow(InputError);
    expect(() => bind(t)).toThrow(/node 'mm \+ bias_add \+ rq' \(RQMatMul\): no kernel for types \(uint16, int8, int8, int8, int8\) -> \(int16\): dk_gemm: A\/B type uint16/);
  });

  it('a network too big for L2 fails with the plan numbers', async () => {
    const b = new GraphBuilder('big');
    const x = b.input('x', 'float32', [1, 1024]);
    const w = b.init('W', 'float32', [1024, 2048], new Float32Array(1024 * 2048).fill(1));
    const y = b.node('MatMul', [x, w], {}, { nodeName: 'huge', dtype: 'float32', shape: [1, 2048] });
    const err = await compileError(writeCase('big', b.output(y).build(), [x8('x', [1, 1024])]));
    expect(err.message).toMatch(/network does not fit L2: the memory plan needs \d+ B \(no activations; constants 2097152 B\) but 1835008 B are available/);
    expect(err.message).toContain('--wmem');
  });

  it('activations too big for --l2 fail with the arena and peak numbers', async () => {
    const b = new GraphBuilder('bigact');
    const x = b.input('x', 'float32', [1, 64, 64]);
    const y = b.node('Transpose', [x], { perm: [0, 2, 1] }, { nodeName: 't', dtype: 'float32', shape: [1, 64, 64] });
    const err = await compileError(writeCase('bigact', b.output(y).build(), [x8('x', [1, 64, 64])]), { l1: l1Minimum() + 2048, l2: 256 * 1024 + 4096 });
    expect(err.message).toMatch(/does not fit L2: the memory plan needs \d+ B \(activation arena 8192 B \(peak live 8192 B over 1 layers\)/);
  });

  it('--l1 / --l2 below what the runtime needs, or not a number, fail with the numbers', async () => {
    const b = new GraphBuilder('budget');
    const x = b.input('x', 'float32', [1, 8]);
    const y = b.node('Transpose', [x], { perm: [1, 0] }, { nodeName: 't', dtype: 'float32', shape: [8, 1] });
    const dir = writeCase('budget', b.output(y).build(), [x8('x', [1, 8])]);
    expect((await compileError(dir, { l1: 1000 })).message).toBe("--l1 1000: below what the runtime needs (1024 B for the runtime's L1 sections (the core stacks are kept beside the budget)); give at least 1024");
    expect((await compileError(dir, { l1: 300000 })).message).toBe('--l1 300000: the siracusa L1 has only 262144 B');
    expect((await compileError(dir, { l2: 1000 })).message).toMatch(/^--l2 1000: below what the runtime needs \(262144 B for code/);
    expect((await compileError(dir, { l1: Number.NaN })).message).toBe('--l1 NaN: expected a whole number of bytes');
    expect((await compileError(dir, { platform: 'gap9' })).message).toBe('--platform gap9: unknown platform (expected one of siracusa)');
  });
});
