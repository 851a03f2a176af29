// Hardening figures (docs/hardening.md): fuzz throughput per loader (cases/s, in-process, the
// harness of test/hardening/), and the peak resident memory of the CLI on the hostile inputs of
// issue 12 it must refuse (an honest 1 GiB deflate bomb of ~1 MB, a Pad to 2e9 elements, a
// 1e12-element initializer, a network far too big for L2) beside a small valid run.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Zip, ZipDeflate } from 'fflate';
import onnxProto from 'onnx-proto';
import { formatNpy, formatNpz } from '../src/frontend/npy.js';

const REPO = resolve(fileURLToPath(import.meta.url), '..', '..', '..');
const CLI = join(REPO, 'dist', 'src', 'cli', 'main.js');
const { onnx } = onnxProto;

/** A zip with one deflated member of `size` bytes: an .npy header, then zeros (fflate's streaming
 *  zip writer, so the 1 GiB member is never held in memory). */
function deflateBomb(size: number): Uint8Array {
  const header = formatNpy({ dtype: 'int8', shape: [0], data: new Int8Array(0) });
  // same header layout with the real length (the shape digits fit the growth room)
  const text = Buffer.from(header).toString('latin1').replace("'shape': (0,)", `'shape': (${size - header.length},)`);
  const head = Buffer.from(text.slice(0, header.length), 'latin1');
  const zeros = new Uint8Array(1 << 20);
  const parts: Uint8Array[] = [];
  const zip = new Zip((err, chunk) => {
    if (err) throw err;
    parts.push(chunk);
  });
  const member = new ZipDeflate('x.npy', { level: 9 });
  zip.add(member);
  member.push(head);
  for (let left = size - head.length; left > 0; left -= zeros.length) member.push(left >= zeros.length ? zeros : zeros.subarray(0, left), left <= zeros.length);
  zip.end();
  return Buffer.concat(parts);
}

const model = (graph: onnxProto.onnx.IGraphProto) => onnx.ModelProto.encode({ irVersion: 8, opsetImport: [{ domain: '', version: 13 }], graph }).finish();
const info = (name: string, elemType: number, dims: number[]) => ({ name, type: { tensorType: { elemType, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } });

/** Peak resident set of one CLI run (a preload reports process.resourceUsage().maxRSS at exit). */
function peakRss(dir: string, args: string[]): { status: number | null; mib: number; line: string } {
  const preload = join(dir, 'rss.cjs');
  const out = join(dir, 'rss.txt');
  writeFileSync(preload, `process.on('exit', () => require('fs').writeFileSync(${JSON.stringify(out)}, String(process.resourceUsage().maxRSS)));\n`);
  const r = spawnSync(process.execPath, ['-r', preload, CLI, ...args], { encoding: 'utf8' });
  return { status: r.status, mib: Number(readFileSync(out, 'utf8')) / 1024, line: r.stderr.trim().split('\n')[0] ?? '' };
}

export async function run(): Promise<void> {
  console.log('hardening:');
  const dir = mkdtempSync(join(tmpdir(), 'deeploy-sim-bench-harden-'));
  try {
    // fuzz throughput: the CI harness with 2,000 cases per loader
    const report = join(dir, 'fuzz.json');
    const f = spawnSync(process.execPath, [join(REPO, 'test', 'hardening', 'run-fuzz.mjs'), '--runs', '2000', '--seed', '1', '--report', report], { cwd: REPO, encoding: 'utf8' });
    if (f.status !== 0) console.log(`  fuzz run failed (exit ${f.status}): ${f.stdout.slice(-400)}`);
    else
      for (const s of JSON.parse(readFileSync(report, 'utf8')) as { loader: string; cases: number; refused: number; casesPerSecond: number; maxRssMiB: number }[])
        console.log(`  fuzz ${s.loader.padEnd(10)} ${s.casesPerSecond.toFixed(0).padStart(6)} cases/s (${s.cases} cases, ${s.refused} refused, max RSS ${s.maxRssMiB.toFixed(0)} MiB)`);

    // hostile inputs, each refused by the CLI; peak memory of the whole process
    const inputs = join(dir, 'in.npz');
    writeFileSync(inputs, formatNpz([{ name: 'x', dtype: 'int8', shape: [1, 4], data: new Int8Array(4) }]));
    const small = join(dir, 'small.onnx');
    writeFileSync(small, model({ node: [{ opType: 'Relu', input: ['x'], output: ['y'], name: 'relu' }], input: [info('x', 3, [1, 4])], output: [info('y', 3, [1, 4])] }));
    const t0 = performance.now();
    const bomb = join(dir, 'bomb.npz');
    writeFileSync(bomb, deflateBomb(1 << 30));
    const bombBytes = readFileSync(bomb).length;
    console.log(`  (deflate bomb: ${(bombBytes / 2 ** 20).toFixed(2)} MiB inflating to 1024 MiB, made in ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    const pad = join(dir, 'pad.onnx');
    writeFileSync(pad, model({ node: [{ opType: 'Pad', input: ['x', 'pads'], output: ['y'], name: 'pad' }], initializer: [{ name: 'pads', dataType: 7, dims: [4], int64Data: [0, 0, 0, 2e9] }], input: [info('x', 3, [1, 4])], output: [{ name: 'y', type: { tensorType: { elemType: 3 } } }] }));
    const huge = join(dir, 'huge.onnx');
    writeFileSync(huge, model({ node: [{ opType: 'Add', input: ['x', 'c'], output: ['y'], name: 'add' }], initializer: [{ name: 'c', dataType: 3, dims: [1e12] }], input: [info('x', 3, [1, 4])], output: [info('y', 3, [1, 4])] }));
    const big = join(dir, 'big.onnx');
    writeFileSync(big, model({ node: [{ opType: 'MatMul', input: ['x', 'w'], output: ['y'], name: 'mm' }], initializer: [{ name: 'w', dataType: 1, dims: [1024, 3072], rawData: new Uint8Array(4 * 1024 * 3072) }], input: [info('x', 3, [1, 1024])], output: [info('y', 1, [1, 3072])] }));
    const bigIn = join(dir, 'big-in.npz');
    writeFileSync(bigIn, formatNpz([{ name: 'x', dtype: 'int8', shape: [1, 1024], data: new Int8Array(1024) }]));
    const runs: [string, string[]][] = [
      ['valid small network (golden, baseline)', ['golden', small, '--inputs', inputs, '-o', join(dir, 'ok.npz')]],
      [`npz bomb ${(bombBytes / 2 ** 20).toFixed(1)} MiB -> 1 GiB (golden --inputs)`, ['golden', small, '--inputs', bomb, '-o', join(dir, 'x.npz')]],
      ['Pad to 2e9 elements (golden)', ['golden', pad, '--inputs', inputs, '-o', join(dir, 'x.npz')]],
      ['initializer of 1e12 elements, no data (golden)', ['golden', huge, '--inputs', inputs, '-o', join(dir, 'x.npz')]],
      ['12 MiB of weights, far beyond L2 (compile, no outputs.npz)', ['compile', big, '--inputs', bigIn, '-o', join(dir, 'big-build'), '--no-build']],
    ];
    for (const [what, args] of runs) {
      const r = peakRss(dir, args);
      console.log(`  peak RSS ${r.mib.toFixed(0).padStart(4)} MiB, exit ${r.status}: ${what}${r.status === 0 ? '' : ` -- ${r.line.replace(dir, '<tmp>')}`}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
