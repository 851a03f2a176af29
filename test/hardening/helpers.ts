// Shared material of the hardening tests: the built CLI in a child process, one-line error
// checks, and small valid and hostile input files.
import { spawn, spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import onnxProto from 'onnx-proto';
import { expect } from 'vitest';
import { GraphBuilder } from '../../src/frontend/builder.js';
import type { Graph, Tensor } from '../../src/frontend/ir.js';
import { formatNpz } from '../../src/frontend/npy.js';
import { writeOnnx } from '../../src/frontend/onnx.js';

export const ROOT = resolve(import.meta.dirname, '../..');
export const CLI = join(ROOT, 'dist/src/cli/main.js');
export const HAVE_GCC = spawnSync('riscv64-unknown-elf-gcc', ['--version']).status === 0;

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function cli(args: string[], opts: SpawnSyncOptions = {}): CliResult {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', maxBuffer: 1 << 26, ...opts });
  return { status: r.status, stdout: String(r.stdout), stderr: String(r.stderr) };
}

/** The CLI as a child process that the test can signal. */
export function cliAsync(args: string[], env: NodeJS.ProcessEnv = process.env) {
  return spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Exit `status` with exactly one stderr line matching `pattern`, and no stack trace. */
export function expectOneLine(r: CliResult, status: number, pattern: RegExp): void {
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(lines[0]).not.toMatch(/internal error|\bat .*\.[jt]s:\d+/);
  expect(r.status, r.stderr).toBe(status);
}

export function tempDir(tag: string): string {
  mkdirSync(join(tmpdir(), 'deeploy-sim-harden'), { recursive: true });
  return mkdtempSync(join(tmpdir(), 'deeploy-sim-harden', `${tag}-`));
}

const ft = (v: number): Tensor => ({ name: '', dtype: 'float32', shape: [1], data: Float32Array.of(v) });

/**
 * x[1,4,8] -> MatMul(W[8,6]) -> Add(bias) -> RequantShift -> y, with every node and tensor
 * name chosen by the caller (`name(k)` for the k-th), e.g. names that try to inject C.
 */
export function namedGraph(name: (k: number) => string = (k) => `n${k}`): Graph {
  const b = new GraphBuilder(name(9));
  const x = b.input(name(0), 'float32', [1, 4, 8]);
  const w = b.init(name(1), 'float32', [8, 6], Array.from({ length: 48 }, (_, i) => (i % 7) - 3));
  const bias = b.init(name(2), 'float32', [6], [1, -2, 3, -4, 5, -6]);
  const mul = b.init(name(3), 'float32', [], [3]);
  const add = b.init(name(4), 'float32', [], [0]);
  const mm = b.node('MatMul', [x, w], {}, { nodeName: name(5), name: name(10), dtype: 'float32' });
  const ad = b.node('Add', [mm, bias], {}, { nodeName: name(6), name: name(11), dtype: 'float32' });
  const rq = b.node('RequantShift', [ad, mul, add], { div: ft(16), n_levels_out: ft(256), signed: ft(1) }, { nodeName: name(7), name: name(8), dtype: 'float32', shape: [1, 4, 6] });
  return b.output(rq).build();
}

export const INPUT_X: Tensor = { name: 'x', dtype: 'int8', shape: [1, 4, 8], data: Int8Array.from({ length: 32 }, (_, i) => ((i * 37) % 255) - 127) };

/** A case folder (network.onnx + inputs.npz) of `graph` in `dir`. */
export function writeCase(dir: string, graph: Graph = namedGraph()): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'network.onnx'), writeOnnx(graph));
  writeFileSync(join(dir, 'inputs.npz'), formatNpz([INPUT_X]));
  return dir;
}

const { onnx } = onnxProto;

/** ONNX bytes of a ModelProto given as a plain object (for fields the IR writer cannot express). */
export function encodeModel(graph: onnxProto.onnx.IGraphProto): Uint8Array {
  return onnx.ModelProto.encode({ irVersion: 8, opsetImport: [{ domain: '', version: 13 }], graph }).finish();
}

export function valueInfo(name: string, elemType: number, dims: number[]): onnxProto.onnx.IValueInfoProto {
  return { name, type: { tensorType: { elemType, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } };
}

export const INT8 = 3;
export const FLOAT = 1;
export const INT64 = 7;
