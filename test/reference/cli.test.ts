// `deeploy-sim golden` as a user runs it: the built CLI in a child process (npm run build first).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { beforeAll, describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../src/frontend/builder.js';
import { writeOnnx } from '../../src/frontend/onnx.js';
import { formatNpz, readNpz, writeNpz } from '../../src/frontend/npy.js';
import type { Tensor } from '../../src/frontend/ir.js';

const MAIN = join(import.meta.dirname, '../../dist/src/cli/main.js');
const CONF = join(import.meta.dirname, '../../../shared/conformance/deeploy');
const dir = mkdtempSync(join(tmpdir(), 'golden-cli-'));

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [MAIN, 'golden', ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
const t = (v: number): Tensor => ({ name: '', dtype: 'float32', shape: [1], data: Float32Array.of(v) });

/** x (int8 [4]) -> RequantShift(mul 3, add 0, div 256) -> y */
function smallCase(name: string) {
  const b = new GraphBuilder('small');
  const x = b.input('x', 'int8', [4]);
  const y = b.node('RequantShift', [x, b.init('m', 'float32', [], [3]), b.init('a', 'float32', [], [0])], { div: t(256), n_levels_out: t(256), signed: t(1) }, { name: 'y', dtype: 'float32' });
  const g = b.output(y).build();
  const net = join(dir, `${name}.onnx`);
  writeFileSync(net, writeOnnx(g));
  return { g, net };
}

beforeAll(() => {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` before these tests`);
});

describe('deeploy-sim golden', () => {
  it('runs a small network and writes outputs keyed by graph output name, as int8 (RequantShift range)', () => {
    const { net } = smallCase('ok');
    const inputs = join(dir, 'ok_in.npz');
    writeNpz(inputs, [{ name: 'anything', dtype: 'int8', shape: [4], data: Int8Array.of(100, -100, 0, 127) }]);
    const out = join(dir, 'ok_out.npz');
    const r = cli(net, '--inputs', inputs, '-o', out);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const o = readNpz(out);
    expect(o.map((a) => [a.name, a.dtype, a.shape])).toEqual([['y', 'int8', [4]]]);
    // (100*3+128)>>8 = 1, (-300+128)>>8 = -1, 128>>8 = 0, (381+128)>>8 = 1
    expect(Array.from(o[0]!.data as Int8Array)).toEqual([1, -1, 0, 1]);
  });

  it.skipIf(!existsSync(CONF))('runs a conformance case folder, writes activations, --compare passes', () => {
    const caseDir = join(CONF, 'Models/microLlama/INT8/microLlama1');
    const out = join(dir, 'ml_out.npz');
    const acts = join(dir, 'ml_acts.npz');
    const r = cli(caseDir, '-o', out, '--activations', acts, '--compare', join(caseDir, 'outputs.npz'));
    expect(r.code).toBe(0);
    expect(r.out).toContain('Errors: 0 out of 2112');
    expect(readNpz(out).map((a) => a.name)[0]).toBe('output');
    expect(readNpz(acts).length).toBeGreaterThan(289);
  });

  it('exits 1 when --compare finds differences', () => {
    const { net } = smallCase('cmp');
    const inputs = join(dir, 'cmp_in.npz');
    writeNpz(inputs, [{ name: 'x', dtype: 'int8', shape: [4], data: Int8Array.of(0, 0, 0, 0) }]);
    const expected = join(dir, 'cmp_exp.npz');
    writeNpz(expected, [{ name: 'y', dtype: 'int8', shape: [4], data: Int8Array.of(0, 0, 1, 0) }]);
    const r = cli(net, '--inputs', inputs, '-o', join(dir, 'cmp_out.npz'), '--compare', expected);
    expect(r.out).toContain('Errors: 1 out of 4');
    expect(r.code).toBe(1);
  });

  describe('bad input: exit 2 with one line naming the file and tensor', () => {
    const good = () => {
      const { net } = smallCase('bad');
      const inputs = join(dir, 'bad_in.npz');
      writeNpz(inputs, [{ name: 'x', dtype: 'int8', shape: [4], data: Int8Array.of(1, 2, 3, 4) }]);
      return { net, inputs, out: join(dir, 'bad_out.npz') };
    };
    const expectInputError = (r: ReturnType<typeof cli>, pattern: RegExp) => {
      expect(r.code).toBe(2);
      expect(r.err.trim().split('\n')).toHaveLength(1);
      expect(r.err).toMatch(pattern);
    };

    it('truncated ONNX', () => {
      const { net, inputs, out } = good();
      const cut = join(dir, 'cut.onnx');
      const bytes = readFileSync(net);
      writeFileSync(cut, bytes.subarray(0, bytes.length - 7));
      expectInputError(cli(cut, '--inputs', inputs, '-o', out), /cut\.onnx: not a valid ONNX model/);
    });
    it('corrupt ONNX (not protobuf)', () => {
      const { inputs, out } = good();
      const junk = join(dir, 'junk.onnx');
      writeFileSync(junk, 'this is not an onnx file at all');
      expectInputError(cli(junk, '--inputs', inputs, '-o', out), /junk\.onnx: not a valid ONNX model/);
    });
    it('unknown op, named with its node', () => {
      const b = new GraphBuilder('u');
      const y = b.node('FancyOp', [b.input('x', 'int8', [4])], {}, { name: 'y', nodeName: 'fancy_1', shape: [4] });
      const net = join(dir, 'unknown.onnx');
      writeFileSync(net, writeOnnx(b.output(y).build()));
      expectInputError(cli(net, '--inputs', good().inputs, '-o', join(dir, 'u.npz')), /does not support the op type FancyOp \(1 node, e\.g\. 'fancy_1'\)/);
    });
    it('missing shapes, named with the tensor', () => {
      const { onnx } = onnxProto;
      const bytes = onnx.ModelProto.encode({
        irVersion: 8,
        opsetImport: [{ domain: '', version: 13 }],
        graph: {
          node: [{ opType: 'FancyOp', name: 'f', input: ['x'], output: ['hidden'] }, { opType: 'Identity', name: 'i', input: ['hidden'], output: ['y'] }],
          input: [{ name: 'x', type: { tensorType: { elemType: 3, shape: { dim: [{ dimValue: 4 }] } } } }],
          output: [{ name: 'y', type: { tensorType: { elemType: 3 } } }],
        },
      }).finish();
      const net = join(dir, 'noshape.onnx');
      writeFileSync(net, bytes);
      expectInputError(cli(net, '--inputs', good().inputs, '-o', join(dir, 'n.npz')), /noshape\.onnx: tensor 'hidden' \(output of node 'f' \(FancyOp\)\) has no shape/);
    });
    it('npz with too few arrays', () => {
      const { net, out } = good();
      const empty = join(dir, 'empty.npz');
      writeFileSync(empty, formatNpz([]));
      expectInputError(cli(net, '--inputs', empty, '-o', out), /empty\.npz: holds 0 arrays, .*bad\.onnx has 1 inputs \(x\)/);
    });
    it('npz array with the wrong shape', () => {
      const { net, out } = good();
      const p = join(dir, 'shape.npz');
      writeNpz(p, [{ name: 'q', dtype: 'int8', shape: [2, 2], data: Int8Array.of(1, 2, 3, 4) }]);
      expectInputError(cli(net, '--inputs', p, '-o', out), /shape\.npz: array 0 \('q'\) has shape \[2, 2\], graph input 'x' needs \[4\]/);
    });
    it('npz array whose values do not fit the input type', () => {
      const { net, out } = good();
      const p = join(dir, 'dtype.npz');
      writeNpz(p, [{ name: 'q', dtype: 'int32', shape: [4], data: Int32Array.of(1, 2, 300, 4) }]);
      expectInputError(cli(net, '--inputs', p, '-o', out), /dtype\.npz: array 0 \('q'\) holds 300, not a value of graph input 'x' \(int8\)/);
      const pf = join(dir, 'frac.npz');
      writeNpz(pf, [{ name: 'q', dtype: 'float64', shape: [4], data: Float64Array.of(1, 2.5, 3, 4) }]);
      expectInputError(cli(net, '--inputs', pf, '-o', out), /frac\.npz: array 0 \('q'\) holds 2\.5/);
    });
    it('corrupt npz, missing inputs file, missing --inputs', () => {
      const { net, out } = good();
      const p = join(dir, 'corrupt.npz');
      writeFileSync(p, 'PK not really');
      expectInputError(cli(net, '--inputs', p, '-o', out), /corrupt\.npz: not a valid \.npz/);
      expectInputError(cli(net, '--inputs', join(dir, 'nope.npz'), '-o', out), /nope\.npz: cannot read/);
      expectInputError(cli(net, '-o', out), /--inputs is required/);
    });
  });
});
