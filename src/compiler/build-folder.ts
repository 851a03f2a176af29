// The compile driver: reads the network and its test vectors, runs the phases (pipeline.ts),
// writes the build folder of contracts.md and builds network.elf through src/runtime/build.ts.
//
//   build/manifest.json        platform, options, tools, layers, buffers (with linked addresses)
//   build/src/                 network.c network.h testio.c main.c (generated), runtime/ and
//                              kernels/ (copies of what it links), rebuild.sh (the gcc command)
//   build/network.elf
//   build/golden/inputs.npz    the test inputs, keys = graph input names
//   build/golden/outputs.npz   the golden outputs, keys = graph output names
//
// The folder is written beside the target and renamed into place when complete (an interrupted
// or failed compile leaves the old build or none), under a lock (<out>.lock) that refuses a second
// compile into the same folder, and only over an earlier build folder unless `force`.
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { lowerStandardQuantization } from '../frontend/quant-lower.js';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import lockfile from 'proper-lockfile';
import { InputError } from '../errors.js';
import { npuLayoutOf } from './npu/layout.js';
import { besidePath, fsError, removeOnSignal, tryFs } from '../io/outputs.js';
import { shellWord } from './names.js';
import { DTYPES, fromNumbers, toNumberArray } from '../frontend/dtype.js';
import type { Graph, TensorData } from '../frontend/ir.js';
import { elementCount } from '../frontend/ir.js';
import { readNpz, writeNpz, type NamedArray } from '../frontend/npy.js';
import { loadOnnx } from '../frontend/onnx.js';
import { execute } from '../reference/execute.js';
import { buildProgram, GCC, RUNTIME_DIR } from '../runtime/build.js';
import { readElfSymbols } from './elf.js';
import { compileGraph, DEFAULT_OPTIONS, type CompileOptions, type Compiled } from './pipeline.js';
import { l1Minimum } from './plan.js';
import { untiledCycles } from './tile.js';
import { PLATFORMS, platformByName, siracusa, type Platform } from '../sim/platform/siracusa.js';
import { MANIFEST_FORMAT, type Manifest, type ManifestBuffer } from './manifest.js';
// the manifest (format, types, reader) is its own module: `run` and `report` read it without loading the compiler
export { MANIFEST_FORMAT, readManifest, type Manifest, type ManifestBuffer } from './manifest.js';

export interface CompileRequest extends Partial<Omit<CompileOptions, 'platform'>> {
  /** Platform name (PLATFORMS in src/sim/platform/siracusa.ts); default siracusa. */
  platform?: string;
  /** network.onnx or a case folder (network.onnx, inputs.npz, outputs.npz). */
  network: string;
  outDir: string;
  inputs?: string;
  outputs?: string;
  /** Skip riscv-gcc (generate sources, golden files and the manifest only). */
  build?: boolean;
  /** Replace outDir even when it is not a deeploy-sim build folder. */
  force?: boolean;
  /** Entries of the old build folder carried into the new one (a caller's own cached artefacts). */
  keep?: string[];
}

export interface CompileResult {
  outDir: string;
  elf?: string;
  manifest: Manifest;
  compiled: Compiled;
}

/** The kernel library's C sources (src/compiler/kernels/). */
export function kernelDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const cand of [join(here, 'kernels'), resolve(here, '../../../src/compiler/kernels')]) if (existsSync(join(cand, 'include', 'kernels.h'))) return cand;
  return join(here, 'kernels');
}

function kernelSources(dir = kernelDir()): string[] {
  const found: string[] = [];
  const walk = (d: string) => {
    for (const f of readdirSync(d).sort()) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) {
        if (f !== 'include' && f !== 'test') walk(p);
      } else if (f.endsWith('.c')) found.push(p);
    }
  };
  walk(dir);
  return found;
}

/** Copy the C sources, headers, assembly and link script of `from` (no TypeScript, no tests). */
function copySources(from: string, to: string): void {
  rmSync(to, { recursive: true, force: true });
  cpSync(from, to, {
    recursive: true,
    filter: (p) => statSync(p).isDirectory() ? basename(p) !== 'test' : /\.(c|h|S|ld)$/.test(p),
  });
}

/** src/rebuild.sh: the exact gcc command (its paths are relative to the build folder). */
function writeRebuildScript(outDir: string, command: string[]): void {
  const quoted = command.map(shellWord);
  const script = `#!/bin/sh\n# Rebuilds network.elf from this folder alone (written by deeploy-sim compile).\nset -e\ncd "$(dirname "$0")/.."\n${quoted.join(' \\\n  ')}\n`;
  writeFileSync(join(outDir, 'src', 'rebuild.sh'), script);
  chmodSync(join(outDir, 'src', 'rebuild.sh'), 0o755);
}

function packageVersion(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const cand of [resolve(here, '../../package.json'), resolve(here, '../../../package.json')])
    if (existsSync(cand)) return (JSON.parse(readFileSync(cand, 'utf8')) as { version: string }).version;
  return 'unknown';
}

/** The i-th array is the i-th graph tensor, whatever its key (contracts.md). */
function arraysFor(list: { name: string; shape: number[] }[], arrays: NamedArray[], file: string, what: string): TensorData[] {
  if (arrays.length < list.length) throw new InputError(`${file}: holds ${arrays.length} arrays, the graph has ${list.length} ${what}`);
  return list.map((info, k) => {
    const a = arrays[k]!;
    if (elementCount(a.shape) !== elementCount(info.shape))
      throw new InputError(`${file}: array ${k} ('${a.name}') has shape [${a.shape.join(', ')}], graph ${what.replace(/s$/, '')} '${info.name}' is [${info.shape.join(', ')}]`);
    return a.data;
  });
}

function resolveNetwork(req: CompileRequest): { onnx: string; inputs?: string; outputs?: string; name: string } {
  const p = req.network;
  if (!existsSync(p)) throw new InputError(`${p}: no such file or directory`);
  if (statSync(p).isDirectory()) {
    const onnx = join(p, 'network.onnx');
    if (!existsSync(onnx)) throw new InputError(`${p}: case folder without network.onnx`);
    const inp = req.inputs ?? join(p, 'inputs.npz');
    const out = req.outputs ?? (existsSync(join(p, 'outputs.npz')) ? join(p, 'outputs.npz') : undefined);
    return { onnx, inputs: inp, outputs: out, name: basename(resolve(p)) };
  }
  return { onnx: p, inputs: req.inputs, outputs: req.outputs, name: basename(p).replace(/\.onnx$/, '') };
}

/** `--l1` / `--l2`: integers the runtime can live with and the platform has (exit 2 otherwise). */
function checkBudgets(opts: CompileOptions, p: Platform): void {
  const budgets = [
    ['--l1', opts.l1, l1Minimum(p), p.memory.L1.region.size, 'the runtime\'s L1 sections (the core stacks are kept beside the budget)'],
    ['--l2', opts.l2, p.l2RuntimeBytes, p.memory.L2.region.size, 'code, runtime data and the test vectors'],
  ] as const;
  for (const [flag, v, min, max, what] of budgets) {
    if (typeof v !== 'number' || !Number.isInteger(v)) throw new InputError(`${flag} ${String(v)}: expected a whole number of bytes`);
    if (v < min) throw new InputError(`${flag} ${v}: below what the runtime needs (${min} B for ${what}); give at least ${min}`);
    if (v > max) throw new InputError(`${flag} ${v}: the ${p.name} ${flag.slice(2).toUpperCase()} has only ${max} B`);
  }
}

/**
 * What is at `outDir` now: nothing (or an empty folder), an earlier build folder, or something
 * else, which is replaced only with `force`.
 */
function checkTarget(outDir: string, force: boolean): void {
  if (!existsSync(outDir)) return;
  if (!statSync(outDir).isDirectory()) throw new InputError(`-o ${outDir}: exists and is not a folder`);
  if (force || readdirSync(outDir).length === 0 || isBuildFolder(outDir)) return;
  throw new InputError(`-o ${outDir}: not a deeploy-sim build folder (no ${MANIFEST_FORMAT} manifest.json) and not empty; choose another folder or pass --force to replace it`);
}

function isBuildFolder(dir: string): boolean {
  try {
    const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { format?: unknown };
    return typeof m.format === 'string' && m.format.startsWith(MANIFEST_FORMAT.split('/')[0]! + '/');
  } catch {
    return false;
  }
}

/** Necessary for any plan: the constants (at least a byte each) and the largest activation fit the platform's memories. */
function checkFitsPlatform(graph: Graph, opts: CompileOptions, source: string): void {
  const pf = opts.platform ?? siracusa;
  const memory = opts.l1 + opts.l2 + (opts.wmem ? pf.sram.size : 0);
  let constants = 0;
  for (const t of graph.initializers.values()) constants += elementCount(t.shape);
  if (constants > memory)
    throw new InputError(
      `${source}: its constants need at least ${constants} bytes, more than L1 ${opts.l1} + L2 ${opts.l2}${opts.wmem ? ` + weight memory ${pf.sram.size}` : ''} bytes of ${pf.name}${opts.wmem ? '' : ' (--wmem adds the weight memory)'}`,
    );
  // Values computed from graph inputs live at run time; the rest folds into constants.
  const runtime = new Set(graph.inputs.map((i) => i.name));
  for (const n of graph.nodes) if (n.inputs.some((i) => runtime.has(i))) for (const o of n.outputs) runtime.add(o);
  for (const v of graph.values.values()) {
    if (!runtime.has(v.name)) continue;
    const bytes = elementCount(v.shape);
    if (bytes > Math.max(opts.l1, opts.l2))
      throw new InputError(`${source}: tensor '${v.name}' [${v.shape.join(', ')}] needs at least ${bytes} bytes, more than L1 (${opts.l1}) or L2 (${opts.l2}) of ${pf.name} holds`);
  }
}

/** Exclusive right to write `outDir` (a lock folder beside it); refused while another compile holds it. */
async function lockTarget(outDir: string): Promise<() => Promise<void>> {
  let compromised: Error | undefined;
  try {
    const release = await lockfile.lock(outDir, {
      realpath: false,
      lockfilePath: `${outDir}.lock`,
      // long compiles block the event loop for seconds: only a lock untouched for 2 min is stale
      stale: 120_000,
      retries: 0,
      onCompromised: (e) => {
        compromised = e;
      },
    });
    const releaseOnSignal = removeOnSignal(`${outDir}.lock`);
    return async () => {
      releaseOnSignal();
      await release().catch(() => undefined);
      if (compromised) throw new InputError(`-o ${outDir}: the lock ${outDir}.lock was taken over while compiling (${compromised.message})`);
    };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ELOCKED')
      throw new InputError(`-o ${outDir}: another deeploy-sim compile is writing this folder (lock ${outDir}.lock); wait for it or choose another folder`);
    throw fsError(e, outDir, 'lock the build folder');
  }
}

/** Put the finished `stage` in place of `outDir` (the old folder moves aside first, then goes). */
function swapInto(stage: string, outDir: string, keep: readonly string[] = []): void {
  const old = existsSync(outDir) ? `${stage}.old` : undefined;
  tryFs(outDir, 'replace the build folder', () => {
    for (const k of keep) if (old && existsSync(join(outDir, k)) && !existsSync(join(stage, k))) renameSync(join(outDir, k), join(stage, k));
    if (old) renameSync(outDir, old);
    try {
      renameSync(stage, outDir);
    } catch (e) {
      if (old) renameSync(old, outDir);
      throw e;
    }
  });
  if (old) rmSync(old, { recursive: true, force: true });
}

export async function compileToFolder(req: CompileRequest): Promise<CompileResult> {
  const platform = platformByName(req.platform ?? 'siracusa');
  if (!platform) throw new InputError(`--platform ${req.platform}: unknown platform (expected one of ${Object.keys(PLATFORMS).join(', ')})`);
  const opts: CompileOptions = {
    platform,
    cores: req.cores ?? DEFAULT_OPTIONS.cores,
    l1: req.l1 ?? DEFAULT_OPTIONS.l1,
    l2: req.l2 ?? DEFAULT_OPTIONS.l2,
    wmem: req.wmem ?? DEFAULT_OPTIONS.wmem,
    fuse: req.fuse,
    forkPerLayer: req.forkPerLayer,
    npu: req.npu,
  };
  if (!Number.isInteger(opts.cores) || opts.cores < 1 || opts.cores > platform.cores) throw new InputError(`--cores ${opts.cores}: must be 1..${platform.cores}`);
  checkBudgets(opts, platform);
  const outDir = resolve(req.outDir);
  checkTarget(outDir, req.force === true);
  const src = resolveNetwork(req);
  // Standard ONNX quantization (QDQ / QOperator) is deployed as the integer graph it lowers to.
  const graph: Graph = lowerStandardQuantization(loadOnnx(src.onnx), src.onnx);
  if (!src.inputs) throw new InputError(`${src.onnx}: no test inputs: pass --inputs i.npz (the harness runs the network on them)`);
  if (!existsSync(src.inputs)) throw new InputError(`${src.inputs}: no such file`);
  const inputs = arraysFor(graph.inputs, readNpz(src.inputs), src.inputs, 'inputs');
  let golden: TensorData[] | (() => TensorData[]);
  let goldenSource: string;
  if (src.outputs) {
    if (!existsSync(src.outputs)) throw new InputError(`${src.outputs}: no such file`);
    golden = arraysFor(graph.outputs, readNpz(src.outputs), src.outputs, 'outputs');
    goldenSource = src.outputs;
  } else {
    golden = () =>
      execute(
        graph,
        graph.inputs.map((info, k) => ({ name: info.name, dtype: info.dtype, shape: info.shape, data: inputs[k]! })),
        { source: src.inputs },
      ).outputs.map((v) => Float64Array.from(v.data));
    goldenSource = 'reference executor (src/reference)';
  }
  checkFitsPlatform(graph, opts, src.onnx);

  // The inputs are valid: from here on this compile owns the target (a second one is refused).
  tryFs(dirname(outDir), 'create the folder of -o', () => mkdirSync(dirname(outDir), { recursive: true }));
  const unlock = await lockTarget(outDir);
  try {
    checkTarget(outDir, req.force === true); // it may have changed while we waited
    const t0 = performance.now();
    const compiled = compileGraph(graph, inputs, golden, opts, src.name);
    const compileMs = { ...compiled.phaseMs, total: Math.round(performance.now() - t0) };
    const stage = besidePath(outDir);
    const releaseStage = removeOnSignal(stage);
    try {
      const built = await writeBuild(stage, compiled, graph, inputs, req.build !== false);
      const manifest = makeManifest(compiled, graph, src, opts, goldenSource, built.elf, built.command, compileMs);
      tryFs(stage, 'write manifest.json', () => writeFileSync(join(stage, 'manifest.json'), JSON.stringify(manifest, null, 1) + '\n'));
      swapInto(stage, outDir, req.keep);
      return { outDir, elf: built.elf ? join(outDir, 'network.elf') : undefined, manifest, compiled };
    } finally {
      rmSync(stage, { recursive: true, force: true });
      releaseStage();
    }
  } finally {
    await unlock();
  }
}

/** Sources, golden files, runtime and kernel copies and (with `build`) network.elf, into `dir`. */
async function writeBuild(dir: string, compiled: Compiled & { golden: TensorData[] }, graph: Graph, inputs: TensorData[], build: boolean): Promise<{ elf?: string; command: string[] | null }> {
  tryFs(dir, 'create the build folder', () => {
    mkdirSync(join(dir, 'src'), { recursive: true });
    mkdirSync(join(dir, 'golden'), { recursive: true });
    for (const [f, text] of Object.entries(compiled.emitted.files)) writeFileSync(join(dir, 'src', f), text);
  });
  const tg = compiled.typed;
  const store = (list: { name: string; shape: number[] }[], data: TensorData[]) =>
    list.map((info, k) => {
      const dtype = tg.dtypes.get(info.name)!;
      return { name: info.name, dtype, shape: info.shape.slice(), data: fromNumbers(dtype, toNumberArray(data[k]!)) };
    });
  // The build folder carries the runtime and kernels it links, so it rebuilds with nothing else.
  const runtimeCopy = join(dir, 'src', 'runtime');
  const kernelCopy = join(dir, 'src', 'kernels');
  tryFs(dir, 'write the build folder', () => {
    writeNpz(join(dir, 'golden', 'inputs.npz'), store(graph.inputs, inputs));
    writeNpz(join(dir, 'golden', 'outputs.npz'), store(graph.outputs, compiled.golden));
    copySources(RUNTIME_DIR, runtimeCopy);
    copySources(kernelDir(), kernelCopy);
  });
  if (!build) return { command: null };
  // gcc runs in the build folder with relative paths: src/rebuild.sh then makes the same bytes.
  const rel = (p: string) => relative(dir, p);
  const gen = ['network.c', 'testio.c', 'main.c'].map((f) => join('src', f));
  const r = await buildProgram({
    sources: [rel(join(runtimeCopy, 'cluster.c')), ...kernelSources(kernelCopy).map(rel), ...gen],
    out: 'network.elf',
    includeDirs: [rel(join(kernelCopy, 'include')), 'src'],
    runtimeDir: rel(runtimeCopy),
    cwd: dir,
  });
  tryFs(dir, 'write src/rebuild.sh', () => writeRebuildScript(dir, r.command));
  return { elf: join(dir, r.elf), command: r.command };
}

function makeManifest(
  c: Compiled,
  graph: Graph,
  src: { onnx: string; name: string },
  opts: CompileOptions,
  goldenSource: string,
  elf: string | undefined,
  command: string[] | null,
  compileMs: Record<string, number>,
): Manifest {
  const syms = elf ? readElfSymbols(elf) : undefined;
  const pf = opts.platform ?? siracusa;
  const tg = c.typed;
  const arenaAddr = (level: string) => syms?.get(c.emitted.arenas[level] ?? '')?.addr;
  const constByName = new Map(c.emitted.constants.map((k) => [k.cname, k]));
  const buffers: ManifestBuffer[] = c.plan.buffers.map((b) => {
    let address: number | null = null;
    if (b.kind === 'constant') address = syms?.get(b.name)?.addr ?? null;
    else {
      const base = arenaAddr(b.level);
      address = base === undefined ? null : base + b.offset;
    }
    const info = tg.graph.values.get(b.name);
    const k = constByName.get(b.name);
    return {
      name: b.name,
      tensors: b.tensors,
      kind: b.kind,
      level: b.level,
      address,
      offset: b.offset,
      size: b.size,
      dtype: k ? k.dtype : tg.dtypes.get(b.name),
      shape: k ? k.shape : info?.shape,
      lifetime: [b.first, b.last],
    };
  });
  const addrOf = (t: string) => buffers.find((b) => b.tensors.includes(t))?.address ?? null;
  return {
    format: MANIFEST_FORMAT,
    network: src.name,
    source: resolve(src.onnx),
    platform: { name: pf.name, cores: opts.cores, l1: opts.l1, l2: opts.l2, wmem: pf.memory.WMEM.region.size },
    options: { cores: opts.cores, l1: opts.l1, l2: opts.l2, wmem: opts.wmem, fuse: opts.fuse !== false, forkPerLayer: opts.forkPerLayer === true, npu: opts.npu !== false },
    tools: { 'deeploy-sim': packageVersion(), node: process.version, gcc: GCC },
    layers: c.emitted.layers.map((L) => {
      const engineOf = (x: typeof L) => c.engines[x.index] ?? { engine: 'cluster' };
      const t = c.tiling.layers.find((x) => x.step === L.index);
      return {
      index: L.index,
      name: L.name,
      function: L.function,
      op: L.bound.node.op,
      from: L.bound.node.from,
      kernel: L.bound.binding.kernel,
      engine: engineOf(L).engine,
      engineReason: engineOf(L).reason,
      enginePrediction: engineOf(L).npuCycles !== undefined ? { npu: engineOf(L).npuCycles!, cluster: engineOf(L).clusterCycles! } : undefined,
      npuLayout: npuLayoutOf(L.bound),
      tiling: t
        ? `${t.tiles.length} tile${t.tiles.length > 1 ? 's, double-buffered DMA' : ''} (${t.dims.map((d) => `${d.name} ${d.tile}/${d.size}`).join(', ')})`
        : 'none (operands in place)',
      tiles: t && {
        dims: t.dims,
        count: t.tiles.length,
        l1Bytes: t.l1Bytes,
        dmaBytesIn: t.dmaBytesIn,
        dmaBytesOut: t.dmaBytesOut,
        predictedCycles: t.predicted.total,
        ...(t.pipeline ? { pipeline: t.pipeline } : {}),
      },
      estimatedCycles: t ? t.predicted.total : untiledEstimate(L, opts.cores),
      ops: L.bound.mapping.ops(L.bound.params),
      inputs: L.bound.node.inputs.filter((i) => i),
      outputs: L.bound.node.outputs,
      };
    }),
    buffers,
    memory: { levels: c.plan.levels, peakLiveActivations: c.plan.peakLive, verified: true },
    inputs: graph.inputs.map((i) => ({ name: i.name, dtype: tg.dtypes.get(i.name)!, shape: i.shape, address: addrOf(i.name) })),
    outputs: graph.outputs.map((o) => ({ name: o.name, dtype: tg.dtypes.get(o.name)!, shape: o.shape, address: addrOf(o.name) })),
    golden: { inputs: 'golden/inputs.npz', outputs: 'golden/outputs.npz', source: goldenSource },
    elf: elf ? 'network.elf' : null,
    build: { command },
    compileMs,
  };
}

/** A layer without tiles: its kernel's cycle model on the whole layer when it has a tiling rule. */
function untiledEstimate(L: Compiled['constants']['layers'][number], cores: number): number {
  if (!L.bound.binding.tiling) return Math.round(L.bound.mapping.cycles(L.bound.params, cores));
  return Math.round(untiledCycles(L, cores));
}

export { DTYPES };
