// Checking a build folder's run against its golden outputs, twice (docs/compiler.md):
//  1. on the target: main.c compares every output element with the golden arrays compiled into
//     the ELF and prints `Errors: E out of T` / `Runtime: N cycles` (Deeploy's harness words);
//  2. on the host: after the run, the output buffers are read back from simulated memory at the
//     addresses in manifest.json and compared with golden/outputs.npz, element by element.
// A run passes when the program exits 0, both checks find 0 errors, and both count the same T.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../errors.js';
import { DTYPES, toNumberArray } from '../frontend/dtype.js';
import type { DType } from '../frontend/ir.js';
import { elementCount } from '../frontend/ir.js';
import { readNpz } from '../frontend/npy.js';
import { Cluster, type ClusterResult } from '../sim/cluster/cluster.js';
import { readManifest, type Manifest } from './manifest.js';
import { readElfSymbols } from './elf.js';

/** Float outputs match within 1e-4 (Deeploy's harness); integers bit for bit. */
export const FLOAT_TOLERANCE = 1e-4;

export interface HostCheck {
  errors: number;
  total: number;
  /** First mismatches, for messages. */
  mismatches: { output: string; index: number; expected: number; got: number }[];
}

export interface ProgramSummary {
  errors?: number;
  total?: number;
  cycles?: number;
}

/** Parse the harness's summary lines from the console output. */
export function parseSummary(stdout: string): ProgramSummary {
  const e = /Errors: (\d+) out of (\d+)/.exec(stdout);
  const c = /Runtime: (\d+) cycles/.exec(stdout);
  return { errors: e ? Number(e[1]) : undefined, total: e ? Number(e[2]) : undefined, cycles: c ? Number(c[1]) : undefined };
}

function decode(bytes: Uint8Array, dtype: DType, n: number): Float64Array {
  const info = DTYPES[dtype];
  const copy = bytes.slice(0, n * info.bytes);
  return toNumberArray(new info.ctor(copy.buffer, 0, n));
}

/** Compare the output buffers (read with `readBytes`) with the build folder's golden outputs. */
export function hostCheck(dir: string, manifest: Manifest, readBytes: (addr: number, len: number) => Uint8Array): HostCheck {
  const goldenPath = join(dir, manifest.golden.outputs);
  if (!existsSync(goldenPath)) throw new InputError(`${goldenPath}: missing (the build folder has no golden outputs)`);
  const golden = readNpz(goldenPath);
  const res: HostCheck = { errors: 0, total: 0, mismatches: [] };
  manifest.outputs.forEach((o, k) => {
    if (o.address === null) throw new InputError(`${dir}/manifest.json: output '${o.name}' has no address (built with --no-build?)`);
    const n = elementCount(o.shape);
    const dtype = o.dtype as DType;
    const got = decode(readBytes(o.address, n * DTYPES[dtype].bytes), dtype, n);
    const want = toNumberArray(golden[k]!.data);
    const tol = dtype === 'float32' ? FLOAT_TOLERANCE : 0;
    for (let i = 0; i < n; i++) {
      res.total++;
      if (!(Math.abs(got[i]! - want[i]!) <= tol)) {
        res.errors++;
        if (res.mismatches.length < 8) res.mismatches.push({ output: o.name, index: i, expected: want[i]!, got: got[i]! });
      }
    }
  });
  return res;
}

export interface BuildRun {
  exitCode: number;
  cycles: number;
  /** Cycles between the harness's two timer reads (the network alone). */
  networkCycles?: number;
  stdout: string;
  program: ProgramSummary;
  host: HostCheck;
  fault?: string;
  passed: boolean;
  /** Measured cycles per layer (RunNetwork's dsim_layer_cycles), in manifest layer order. */
  layerCycles: number[];
  /** The simulator's own report (statistics; per-cause counts with `stats`). */
  cluster: ClusterResult;
}

export interface RunBuildOptions {
  cores?: number;
  maxCycles?: number;
  onOutput?: (fd: number, bytes: Uint8Array) => void;
  /** per-core stall causes and instruction classes (the cycle baseline, test/sim/baseline) */
  stats?: boolean;
}

/** Run a build folder's network.elf on the simulated cluster and check it both ways. */
export function runBuild(dir: string, opts: RunBuildOptions = {}): BuildRun {
  const manifest = readManifest(dir);
  if (!manifest) throw new InputError(`${dir}: not a build folder (no manifest.json)`);
  const elf = join(dir, 'network.elf');
  if (!existsSync(elf)) throw new InputError(`${dir}: no network.elf (compiled with --no-build?)`);
  const cl = new Cluster(elf, { cores: opts.cores ?? manifest.platform.cores, maxCycles: opts.maxCycles, onOutput: opts.onOutput, stats: opts.stats });
  const r = cl.run();
  const stdout = Buffer.from(r.stdout).toString('utf8');
  const program = parseSummary(stdout);
  const host = r.fault ? { errors: 0, total: 0, mismatches: [] } : hostCheck(dir, manifest, (a, n) => cl.memory.readBytes(a, n));
  const passed = !r.fault && r.exitCode === 0 && program.errors === 0 && host.errors === 0 && program.total === host.total;
  const sym = readElfSymbols(elf).get('dsim_layer_cycles');
  const layerCycles: number[] = [];
  if (sym && !r.fault) {
    const bytes = cl.memory.readBytes(sym.addr, manifest.layers.length * 4);
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let k = 0; k < manifest.layers.length; k++) layerCycles.push(dv.getUint32(4 * k, true));
  }
  return { exitCode: r.exitCode, cycles: r.cycles, networkCycles: program.cycles, stdout, program, host, fault: r.fault, passed, layerCycles, cluster: r };
}

/** One line for the user about the host-side check. */
export function describeHostCheck(h: HostCheck): string {
  const first = h.mismatches.map((m) => `${m.output}[${m.index}] expected ${m.expected} got ${m.got}`).join('; ');
  return `Host check: Errors: ${h.errors} out of ${h.total}${first ? ` (${first})` : ''}`;
}

/**
 * The hook `deeploy-sim run` calls after a run: when `program` is a build folder, compare the
 * output buffers in simulated memory with golden/outputs.npz and print the host's
 * `Errors: E out of T` line. Returns undefined for a plain ELF.
 */
export function goldenHook(program: string, readBytes: (addr: number, len: number) => Uint8Array, done?: HostCheck): { ok: boolean } | undefined {
  if (!existsSync(join(program, 'manifest.json'))) return undefined;
  // `done`: the check made already for the run record (the same memory, the same golden file)
  const h = done ?? hostCheck(program, readManifest(program)!, readBytes);
  process.stdout.write(`${describeHostCheck(h)}\n`);
  return { ok: h.errors === 0 };
}
