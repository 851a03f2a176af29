// Issue 12's probes on input files and options, through the built CLI: each one exit 2 with one
// line naming the file or option and the problem (before: exit 70 with a stack trace, a NaN
// limit, a 16 GB allocation, or an output file truncated before the input was found missing).
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { beforeAll, describe, expect, it } from 'vitest';
import { formatNpy, formatNpz } from '../../src/frontend/npy.js';
import { writeOnnx } from '../../src/frontend/onnx.js';
import { cli, encodeModel, expectOneLine, FLOAT, INPUT_X, INT64, INT8, namedGraph, tempDir, valueInfo } from './helpers.js';
import { tinyCheckpoint, tinyTokenizer } from './files.js';

const dir = tempDir('inputs');
const inputs = join(dir, 'inputs.npz');
const convInputs = join(dir, 'conv-inputs.npz');

beforeAll(() => {
  writeFileSync(inputs, formatNpz([INPUT_X]));
  writeFileSync(convInputs, formatNpz([{ name: 'x', dtype: 'float32', shape: [1, 1, 8, 8], data: new Float32Array(64) }]));
});

/** Write `bytes` as <name>.onnx and run `golden` on it (output into the temp folder). */
function golden(name: string, bytes: Uint8Array, inp = inputs) {
  const net = join(dir, `${name}.onnx`);
  writeFileSync(net, bytes);
  const out = join(dir, `${name}.out.npz`);
  const r = cli(['golden', net, '--inputs', inp, '-o', out]);
  expect(existsSync(out), 'nothing written on failure').toBe(r.status === 0);
  return r;
}

const x4 = (name = 'x') => valueInfo(name, INT8, [1, 4]);

describe('hostile shapes are refused before anything is allocated', () => {
  it('a Pad to 2e9 elements (was: tries to allocate 16 GB)', () => {
    const bytes = encodeModel({
      node: [{ opType: 'Pad', input: ['x', 'pads'], output: ['y'], name: 'pad' }],
      initializer: [{ name: 'pads', dataType: INT64, dims: [4], int64Data: [0, 0, 0, 2e9] }],
      input: [x4()],
      output: [{ name: 'y', type: { tensorType: { elemType: INT8 } } }],
    });
    expectOneLine(golden('pad', bytes), 2, /pad\.onnx: tensor 'y' \(shape \[1, 2000000004\]\) needs 15259 MiB, more than the host-memory budget of 512 MiB \(DSIM_HOST_BUDGET\)/);
  });

  it('DSIM_HOST_BUDGET sets the budget and is itself checked', () => {
    const net = join(dir, 'small.onnx');
    writeFileSync(net, writeOnnx(namedGraph((k) => ['x', 'W', 'b', 'm', 'a', 'mm', 'add', 'rq', 'y', 'g', 't1', 't2'][k]!)));
    const run = (budget: string) => cli(['golden', net, '--inputs', inputs, '-o', join(dir, 'small.npz')], { env: { ...process.env, DSIM_HOST_BUDGET: budget } });
    expectOneLine(run('64'), 2, /small\.onnx: tensor '\w+' \(shape \[.*\]\) needs 0\.000 MiB, more than the host-memory budget of 0\.000 MiB|needs .* more than the host-memory budget/);
    expectOneLine(run('lots'), 2, /^deeploy-sim: DSIM_HOST_BUDGET=lots: expected a positive byte count such as 536870912, 512M or 2G$/);
    expect(run('1M').status).toBe(0);
  });

  it('initializers with a negative or a 1e12-element shape and no data', () => {
    const model = (dims: number[]) =>
      encodeModel({
        node: [{ opType: 'Add', input: ['x', 'c'], output: ['y'], name: 'add' }],
        initializer: [{ name: 'c', dataType: INT8, dims }],
        input: [x4()],
        output: [valueInfo('y', INT8, [1, 4])],
      });
    expectOneLine(golden('neg', model([-1, 4])), 2, /neg\.onnx: tensor 'c': dimension 0 of shape \[-1, 4\] is -1, expected a non-negative integer/);
    expectOneLine(golden('huge', model([1e12])), 2, /huge\.onnx: tensor 'c' \(shape \[1000000000000\]\) needs 953674 MiB, more than the host-memory budget/);
    expectOneLine(golden('nodata', model([4])), 2, /nodata\.onnx: tensor 'c' has 0 values, shape \[4\] needs 4/);
  });

  it('a declared value shape beyond the budget (value_info)', () => {
    const bytes = encodeModel({
      node: [
        { opType: 'Relu', input: ['x'], output: ['h'], name: 'relu' },
        { opType: 'Relu', input: ['h'], output: ['y'], name: 'relu2' },
      ],
      input: [x4()],
      output: [valueInfo('y', INT8, [1, 4])],
      valueInfo: [valueInfo('h', INT8, [1 << 20, 1 << 20])],
    });
    expectOneLine(golden('declared', bytes), 2, /declared\.onnx: tensor 'h' \(shape \[1048576, 1048576\]\) needs .* MiB, more than the host-memory budget/);
  });

  it('Conv with strides 0 or a dilation larger than the input', () => {
    const conv = (attrs: { name: string; ints: number[] }[]) =>
      encodeModel({
        node: [{ opType: 'Conv', input: ['x', 'w'], output: ['y'], name: 'conv', attribute: attrs.map((a) => ({ ...a, type: 7 })) }],
        initializer: [{ name: 'w', dataType: FLOAT, dims: [1, 1, 3, 3], floatData: new Array(9).fill(1) }],
        input: [valueInfo('x', FLOAT, [1, 1, 8, 8])],
        output: [{ name: 'y', type: { tensorType: { elemType: FLOAT } } }],
      });
    expectOneLine(golden('stride0', conv([{ name: 'strides', ints: [0, 0] }]), convInputs), 2, /stride0\.onnx: node 'conv' \(Conv\): strides \[0, 0\]: expected 2 integers >= 1/);
    expectOneLine(
      golden('dilation', conv([{ name: 'dilations', ints: [1e9, 1] }]), convInputs),
      2,
      /dilation\.onnx: node 'conv' \(Conv\): a window of kernel 3 with dilation 1000000000 spans 2000000001 elements, more than the padded input 8 along spatial axis 0/,
    );
  });

  it('a TENSOR attribute without a tensor', () => {
    const bytes = encodeModel({
      node: [{ opType: 'Relu', input: ['x'], output: ['y'], name: 'relu', attribute: [{ name: 'value', type: 4 }] }],
      input: [x4()],
      output: [valueInfo('y', INT8, [1, 4])],
    });
    expectOneLine(golden('nulltensor', bytes), 2, /nulltensor\.onnx: node 'relu' \(Relu\): attribute 'value' is of type TENSOR but holds no tensor/);
  });

  it('a 1 MB-style npz bomb: a member that inflates to 1 GiB (was: 2.2 GB peak)', () => {
    // a real member, then its sizes in the zip headers raised to 1 GiB, as a deflate bomb declares them
    const zip = zipSync({ 'x.npy': [formatNpy(INPUT_X), { level: 6 }] });
    const dv = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
    dv.setUint32(22, 1 << 30, true);
    for (let i = zip.length - 22; i >= 0; i--)
      if (dv.getUint32(i, true) === 0x02014b50) {
        dv.setUint32(i + 24, 1 << 30, true);
        break;
      }
    const bomb = join(dir, 'bomb.npz');
    writeFileSync(bomb, zip);
    writeFileSync(join(dir, 'ok.onnx'), writeOnnx(namedGraph((k) => `t${k}`)));
    const r = cli(['golden', join(dir, 'ok.onnx'), '--inputs', bomb, '-o', join(dir, 'bomb.out.npz')]);
    expectOneLine(r, 2, /bomb\.npz: member 'x\.npy' \(1073741824 bytes inflated\) needs 1024 MiB, more than the host-memory budget of 512 MiB/);
    expect(existsSync(join(dir, 'bomb.out.npz'))).toBe(false);
  });
});

describe('checkpoints', () => {
  it('a NaN weight is named where it is (was: "requant multiplier NaN too large")', () => {
    const ckpt = join(dir, 'nan.bin');
    const { bytes, offsets } = tinyCheckpoint();
    new DataView(bytes.buffer).setFloat32(offsets.wq + 4 * 5, NaN, true);
    writeFileSync(ckpt, bytes);
    writeFileSync(join(dir, 'tok.bin'), tinyTokenizer());
    const r = cli(['generate', '--model', ckpt, '--tokenizer', join(dir, 'tok.bin'), '--engine', 'int8', '--steps', '4']);
    expectOneLine(r, 2, new RegExp(`nan\\.bin: weight wq holds NaN at index 5 \\(byte ${offsets.wq + 20}\\); expected finite float32 values`));
  });

  it('--steps errors quote what was typed', () => {
    const ckpt = join(dir, 'ok.bin');
    writeFileSync(ckpt, tinyCheckpoint().bytes);
    writeFileSync(join(dir, 'tok.bin'), tinyTokenizer());
    const gen = (steps: string) => cli(['generate', '--model', ckpt, '--tokenizer', join(dir, 'tok.bin'), '--steps', steps]);
    expectOneLine(gen('1e3'), 2, /^deeploy-sim: --steps 1e3: expected an integer >= 1$/);
    expectOneLine(gen('abc'), 2, /^deeploy-sim: --steps abc: expected an integer >= 1$/);
    expectOneLine(gen('0'), 2, /^deeploy-sim: --steps 0: expected an integer >= 1$/);
    expectOneLine(gen('99999'), 2, /^deeploy-sim: --steps 99999: expected 1\.\.8 \(the model's context, seq_len\)$/);
    expect(gen('3').status).toBe(0);
  });
});

describe('numeric options: NaN, negative, fractional are exit 2 naming the option', () => {
  const cases: [string[], RegExp][] = [
    [['run', 'x.elf', '--max-cycles', 'abc'], /^deeploy-sim: --max-cycles abc: expected an integer >= 1$/],
    [['run', 'x.elf', '--max-instructions', '-5'], /^deeploy-sim: --max-instructions -5: expected an integer >= 1$/],
    [['run', 'x.elf', '--cores', '2.5'], /^deeploy-sim: --cores 2\.5: expected an integer 1\.\.8 \(the cluster has 1 to 8 cores\)$/],
    [['run', 'x.elf', '--freq-mhz', 'NaN'], /^deeploy-sim: --freq-mhz NaN: expected a positive number$/],
    [['compile', 'n.onnx', '-o', 'b', '--l2', '-5'], /^deeploy-sim: --l2 -5: expected an integer >= 1$/],
    [['compile', 'n.onnx', '-o', 'b', '--cores', '0'], /^deeploy-sim: --cores 0: expected an integer 1\.\.8 \(the cluster has 1 to 8 cores\)$/],
    [['test', 'case', '--cores', '9'], /^deeploy-sim: --cores 9: expected an integer 1\.\.8 \(the cluster has 1 to 8 cores\)$/],
    [['generate', '--model', 'm', '--tokenizer', 't', '--topp', '1.5'], /^deeploy-sim: --topp 1\.5: expected a number 0\.\.1$/],
    [['generate', '--model', 'm', '--tokenizer', 't', '--temperature', '-1'], /^deeploy-sim: --temperature -1: expected a number >= 0$/],
  ];
  for (const [args, pattern] of cases) it(args.slice(-2).join(' '), () => expectOneLine(cli(args, { cwd: dir }), 2, pattern));
});

describe('output files', () => {
  it('run MISSING.elf --itrace FILE leaves FILE as it was (was: truncated first)', () => {
    const trace = join(dir, 'keep.trace');
    writeFileSync(trace, 'precious\n');
    const r = cli(['run', join(dir, 'missing.elf'), '--itrace', trace]);
    expectOneLine(r, 2, /missing\.elf: no such file or directory/);
    expect(readFileSync(trace, 'utf8')).toBe('precious\n');
  });

  it('-o naming a folder (EISDIR) or a missing folder (ENOENT)', () => {
    writeFileSync(join(dir, 'o.onnx'), writeOnnx(namedGraph((k) => `o${k}`)));
    const out = join(dir, 'a-folder');
    mkdirSync(out, { recursive: true });
    expectOneLine(cli(['golden', join(dir, 'o.onnx'), '--inputs', inputs, '-o', out]), 2, /^deeploy-sim: -o .*a-folder: is a folder, expected a file name$/);
    expectOneLine(cli(['golden', join(dir, 'o.onnx'), '--inputs', inputs, '-o', join(dir, 'no', 'such', 'x.npz')]), 2, /^deeploy-sim: -o .*x\.npz: folder .*no\/such does not exist$/);
    expectOneLine(cli(['golden', join(dir, 'o.onnx'), '--inputs', inputs, '-o', join(dir, 'x.npz'), '--activations', out]), 2, /^deeploy-sim: --activations .*a-folder: is a folder/);
    expect(readdirSync(out)).toEqual([]);
  });

  // EACCES and EPERM need a user the file modes apply to: run the CLI as nobody when we are root.
  const root = process.getuid?.() === 0;
  it.skipIf(!root)('-o in a read-only folder (EACCES) and over another user\'s file in a sticky folder (EPERM)', () => {
    const shared = tempDir('perm');
    chmodSync(shared, 0o755);
    writeFileSync(join(shared, 'o.onnx'), writeOnnx(namedGraph((k) => `p${k}`)));
    writeFileSync(join(shared, 'in.npz'), formatNpz([INPUT_X]));
    const ro = join(shared, 'ro');
    mkdirSync(ro, { mode: 0o555 });
    chmodSync(ro, 0o555);
    const sticky = join(shared, 'sticky');
    mkdirSync(sticky);
    chmodSync(sticky, 0o1777);
    writeFileSync(join(sticky, 'theirs.npz'), 'root owns this');
    const asNobody = (out: string) => cli(['golden', join(shared, 'o.onnx'), '--inputs', join(shared, 'in.npz'), '-o', out], { uid: 65534, gid: 65534, cwd: '/' });
    expectOneLine(asNobody(join(ro, 'x.npz')), 2, /^deeploy-sim: .*ro\/x\.npz: cannot write -o \(folder .*ro is not writable\) \(EACCES: permission denied\)$/);
    expectOneLine(asNobody(join(sticky, 'theirs.npz')), 2, /^deeploy-sim: .*sticky\/theirs\.npz: cannot write -o \(EPERM: operation not permitted\)$/);
    expect(readFileSync(join(sticky, 'theirs.npz'), 'utf8')).toBe('root owns this');
    expect(readdirSync(sticky)).toEqual(['theirs.npz']);
  });
});
