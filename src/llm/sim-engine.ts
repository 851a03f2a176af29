// The sim engine: the int8 decoder-step graph compiled ONCE by the compiler (src/compiler) and
// run on the simulated cluster (src/sim/cluster), one token per step, bit-identical to the int8
// engine (the reference executor on the same graph).
//
// Window buckets (docs/llm.md): besides the graph's own window (seq_len - 1 past slots) the engine
// compiles the same step with shorter state windows (default 63, 127, 255: withWindow) and runs
// each position on the shortest one that holds every filled slot of the state, so attention costs
// what the context in use needs. The host keeps the state in the full window (exactly the int8
// engine's) and crops or pads it around each step; outputs are identical because the dropped
// slots are empty and an empty slot's attention probability is exactly 0.
//
// Build (cached): each step graph is written as a case folder, compiled with compileToFolder
// (sources, manifest; no test harness), and linked with the engine harness below instead of the
// test harness main.c: it runs InitNetwork once and then loops { yield to the host; RunNetwork }.
// The yield is the exit host call with code ENGINE_YIELD; the host writes the step's inputs into
// the input buffers (manifest addresses), resumes the stopped core 0 after its ecall and runs the
// cluster to the next yield, then reads the output buffers. The program is loaded once: compiled
// blocks, L1/L2 contents and constants stay; nothing copies embedded inputs over the host's.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FaultError, InputError } from '../errors.js';
import { DTYPES, fromNumbers, toNumberArray } from '../frontend/dtype.js';
import type { DType, Tensor } from '../frontend/ir.js';
import { elementCount } from '../frontend/ir.js';
import { writeNpz } from '../frontend/npy.js';
import { writeOnnx } from '../frontend/onnx.js';
import { compileToFolder, kernelDir } from '../compiler/build-folder.js';
import { removeOnSignal } from '../io/outputs.js';
import { readElfSymbols } from '../compiler/elf.js';
import { buildProgram, gccArgs, RUNTIME_DIR, RUNTIME_INCLUDE_DIR } from '../runtime/build.js';
import { Cluster, type ClusterResult } from '../sim/cluster/cluster.js';
import type { StepEngine } from './float.js';
import type { Int8Engine } from './int8.js';
import type { StepGraphInfo } from './quantize.js';
import { resizeWindow, usedSlots, withWindow } from './window.js';

/** Exit code of the harness's yield host call (any other exit is an error). */
export const ENGINE_YIELD = 0x7d;
/** Default clock for tokens/s (MHz): the cluster clock deeploy-sim's energy figures assume (src/sim/energy.ts). */
export const DEFAULT_FREQ_MHZ = 360;
/** State windows compiled besides the graph's own: 2^k - 1 past slots make 2^k attention columns, which split evenly over 8 cores. */
export const DEFAULT_WINDOWS: readonly number[] = [63, 127, 255];

const ENGINE_MAIN_C = `/* engine_main.c: the harness of deeploy-sim's generate --engine sim (src/llm/sim-engine.ts).
 * InitNetwork once, then per token: yield to the host (exit host call with code ENGINE_YIELD; the
 * host writes the inputs into the network's input buffers and resumes after the ecall), run the
 * network, record its cycles. Inputs are never copied from embedded arrays. */
#include <stdint.h>
#include "dsim.h"
#include "network.h"

volatile uint32_t engine_step_cycles;

static void engine_yield(void) {
  register int a0 __asm__("a0") = ENGINE_YIELD;
  register int a7 __asm__("a7") = 93;
  __asm__ volatile("ecall" : "+r"(a0) : "r"(a7) : "memory");
}

int main(void) {
  InitNetwork();
  for (;;) {
    engine_yield();
    uint32_t t = dsim_cycles();
    RunNetwork(NETWORK_CORES);
    engine_step_cycles = dsim_cycles() - t;
  }
}
`;

export interface SimBuild {
  /** past slots of the state this program's step graph holds */
  window: number;
  dir: string;
  elf: string;
  /** whether gcc ran (false: the cached ELF was reused) */
  built: boolean;
  inputs: IoBuffer[];
  outputs: IoBuffer[];
  stepCyclesAddr: number;
  layerCyclesAddr: number;
  layers: string[];
}

export interface IoBuffer {
  name: string;
  dtype: DType;
  shape: number[];
  address: number;
  bytes: number;
}

export interface SimEngineOptions {
  /** cluster cores the program runs on (1..8; the build forks on 8, the runtime clamps) */
  cores?: number;
  /** clock for tokens/s and average power (MHz) */
  freqMHz?: number;
  /** build folder (one subfolder per window); default a cache under os.tmpdir() keyed by the generated sources */
  buildDir?: string;
  /** state windows to compile besides the graph's own (default DEFAULT_WINDOWS; [] = only the graph's) */
  windows?: readonly number[];
  /** positions the run will use, from 0: windows that only later positions need are not built */
  steps?: number;
  /** progress messages (compile, build) */
  log?: (line: string) => void;
  /** offload eligible layers to the NPU (default on, as compile) */
  npu?: boolean;
}

export interface StepStats {
  pos: number;
  /** state window of the program that ran the step */
  window: number;
  /** cycles of RunNetwork (the harness's own counter, like the test harness's Runtime) */
  cycles: number;
  /** instructions retired on all cores during the step */
  instructions: number;
  /** energy estimate of the step (src/sim/energy.ts), uJ */
  energyUJ: number;
  /** host wall time of the step, ms */
  wallMs: number;
}

/** The range every graph input can take during generation (not just the example's values). */
function fullRangeInputs(step: StepGraphInfo, vocabSize: number, seqLen: number): Tensor[] {
  const g = step.graph;
  return g.inputs.map((v) => {
    const n = elementCount(v.shape);
    const vals = new Array<number>(n).fill(0);
    if (v.name === 'token') vals[0] = vocabSize - 1;
    else if (v.name === 'pos') vals[0] = seqLen - 1;
    else {
      const { min, max } = DTYPES[v.dtype];
      vals[0] = min;
      if (n > 1) vals[1] = max;
    }
    return { name: v.name, dtype: v.dtype, shape: v.shape.slice(), data: fromNumbers(v.dtype, vals) };
  });
}

function kernelSources(): string[] {
  const found: string[] = [];
  const walk = (d: string) => {
    for (const f of readdirSync(d).sort()) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) {
        if (f !== 'include' && f !== 'test') walk(p);
      } else if (f.endsWith('.c')) found.push(p);
    }
  };
  walk(kernelDir());
  return found;
}

function headersIn(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .sort()
    .map((f) => join(dir, f))
    .filter((p) => statSync(p).isFile() && p.endsWith('.h'));
}

/** Compile one step graph and link the engine harness, reusing a cached ELF built from the same sources. */
export async function buildSimProgram(step: StepGraphInfo, vocabSize: number, seqLen: number, opts: SimEngineOptions = {}): Promise<SimBuild> {
  const log = opts.log ?? (() => undefined);
  const root = join(tmpdir(), 'deeploy-sim-llm');
  const dir = opts.buildDir ?? join(root, `tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
  // the case folder is the compile's input: beside the build folder, which compile replaces whole
  const caseDir = `${dir}.case`;
  // interrupted: the temporaries go (once renamed into the cache, the old names are gone anyway)
  removeOnSignal(caseDir);
  if (opts.buildDir === undefined) removeOnSignal(dir);
  mkdirSync(caseDir, { recursive: true });
  writeFileSync(join(caseDir, 'network.onnx'), writeOnnx(step.graph, { producer: 'deeploy-sim llm' }));
  writeNpz(join(caseDir, 'inputs.npz'), fullRangeInputs(step, vocabSize, seqLen));
  // Golden outputs of those range-defining inputs are not needed: the harness does not compare.
  const zeros = step.graph.outputs.map((v) => ({ name: v.name, dtype: v.dtype, shape: v.shape.slice(), data: fromNumbers(v.dtype, new Array<number>(elementCount(v.shape)).fill(0)) }));
  writeNpz(join(caseDir, 'outputs.npz'), zeros);
  const t0 = performance.now();
  // the linked engine and its key stay: the key below decides whether they are still current
  const res = await compileToFolder({ network: caseDir, outDir: dir, build: false, cores: 8, npu: opts.npu, keep: ['engine.elf', 'engine.key'] }).finally(() => rmSync(caseDir, { recursive: true, force: true }));
  log(`sim engine: compiled the step graph with window ${step.window} (${res.manifest.layers.length} layers) in ${Math.round(performance.now() - t0)} ms`);
  writeFileSync(join(dir, 'src', 'engine_main.c'), ENGINE_MAIN_C);
  const sources = [join(RUNTIME_DIR, 'cluster.c'), ...kernelSources(), join(dir, 'src', 'network.c'), join(dir, 'src', 'engine_main.c')];
  const includeDirs = [join(kernelDir(), 'include'), join(dir, 'src')];
  const defines = [`ENGINE_YIELD=${ENGINE_YIELD}`];
  // The key covers every byte gcc sees (sources, headers, flags), not the file paths.
  const h = createHash('sha256');
  const hashed = [...sources, ...headersIn(join(kernelDir(), 'include')), ...headersIn(kernelDir()), ...headersIn(RUNTIME_INCLUDE_DIR), ...headersIn(join(dir, 'src')), join(RUNTIME_DIR, 'crt0.S'), join(RUNTIME_DIR, 'runtime.c'), join(RUNTIME_DIR, 'siracusa.ld')];
  for (const f of hashed) if (existsSync(f)) h.update(readFileSync(f));
  h.update(gccArgs({ sources: [], out: '', defines }).join(' '));
  const key = h.digest('hex').slice(0, 20);

  let final = dir;
  let built = false;
  const cachedOk = (d: string) => existsSync(join(d, 'engine.elf')) && existsSync(join(d, 'engine.key')) && readFileSync(join(d, 'engine.key'), 'utf8') === key;
  if (opts.buildDir === undefined) {
    final = join(root, key);
    if (cachedOk(final)) {
      rmSync(dir, { recursive: true, force: true });
    } else {
      await link();
      try {
        rmSync(final, { recursive: true, force: true });
        renameSync(dir, final);
      } catch {
        // another process finished the same build first: use its folder
        rmSync(dir, { recursive: true, force: true });
        if (!cachedOk(final)) throw new InputError(`sim engine: could not create the build folder ${final}`);
      }
    }
  } else if (!cachedOk(dir)) await link();

  async function link(): Promise<void> {
    const t1 = performance.now();
    const tmp = join(dir, `engine.elf.tmp-${process.pid}`);
    await buildProgram({ sources, out: tmp, includeDirs, defines });
    renameSync(tmp, join(dir, 'engine.elf'));
    writeFileSync(join(dir, 'engine.key'), key);
    built = true;
    log(`sim engine: built ${join(final, 'engine.elf')} in ${Math.round(performance.now() - t1)} ms`);
  }

  // Addresses: the arena symbols of this ELF plus each buffer's offset from the memory plan.
  const elf = join(final, 'engine.elf');
  const syms = readElfSymbols(elf);
  const manifest = JSON.parse(readFileSync(join(final, 'manifest.json'), 'utf8')) as typeof res.manifest;
  const arena: Record<string, string> = { L1: 'dsim_arena_l1', L2: 'dsim_arena_l2' };
  const io = (list: { name: string; dtype: string; shape: number[] }[]): IoBuffer[] =>
    list.map((v) => {
      const b = manifest.buffers.find((x) => x.tensors.includes(v.name));
      const base = b ? syms.get(arena[b.level] ?? '')?.addr : undefined;
      if (!b || base === undefined) throw new Error(`internal: sim engine: no buffer address for '${v.name}'`);
      const dtype = v.dtype as DType;
      return { name: v.name, dtype, shape: v.shape, address: base + b.offset, bytes: elementCount(v.shape) * DTYPES[dtype].bytes };
    });
  const sym = (n: string) => {
    const s = syms.get(n);
    if (!s) throw new Error(`internal: sim engine: ${elf} lacks the symbol ${n}`);
    return s.addr;
  };
  return {
    window: step.window,
    dir: final,
    elf,
    built,
    inputs: io(manifest.inputs),
    outputs: io(manifest.outputs),
    stepCyclesAddr: sym('engine_step_cycles'),
    layerCyclesAddr: sym('dsim_layer_cycles'),
    layers: manifest.layers.map((l) => l.name),
  };
}

/** One compiled step program on its own simulated cluster. */
interface Program {
  step: StepGraphInfo;
  build: SimBuild;
  cluster: Cluster;
  /** cumulative counters at its last yield */
  prev: ClusterResult;
}

export class SimEngine implements StepEngine {
  readonly vocabSize: number;
  readonly seqLen: number;
  readonly cores: number;
  readonly freqMHz: number;
  readonly stats: StepStats[] = [];
  /** The last step's graph inputs and outputs in the full window (outputs in the graph's declared types). */
  lastStep: { inputs: Tensor[]; outputs: Tensor[] } | undefined;
  lastArgmax = -1;
  /** One program per window, shortest first; the last is the graph's own window. */
  private readonly programs: Program[];
  private state: Tensor[] = [];
  private nextPos = 0;
  private last: Program;

  constructor(readonly int8: Int8Engine, builds: readonly { step: StepGraphInfo; build: SimBuild }[], opts: SimEngineOptions = {}) {
    this.vocabSize = int8.vocabSize;
    this.seqLen = int8.seqLen;
    this.cores = opts.cores ?? 8;
    this.freqMHz = opts.freqMHz ?? DEFAULT_FREQ_MHZ;
    this.programs = builds.map(({ step, build }) => {
      const cluster = new Cluster(build.elf, { cores: this.cores, freqMHz: this.freqMHz });
      return { step, build, cluster, prev: runToYield(cluster, build.elf) }; // crt0 + InitNetwork
    });
    this.last = this.programs[0]!;
    this.reset();
  }

  /** The compiled programs, shortest window first. */
  get builds(): SimBuild[] {
    return this.programs.map((p) => p.build);
  }

  reset(): void {
    this.state = this.int8.initialState();
    this.nextPos = 0;
  }

  /** Continue from a given state (mask, K/V windows in graph-input order 2..) at position pos, e.g. another engine's. */
  setState(state: Tensor[], pos: number): void {
    if (state.length !== this.int8.graph.inputs.length - 2) throw new InputError(`sim engine: state of ${state.length} tensors, the step graph carries ${this.int8.graph.inputs.length - 2}`);
    this.state = state.map((t) => ({ ...t, shape: t.shape.slice() }));
    this.nextPos = pos;
  }

  /**
   * The shortest program whose window keeps every filled slot through the step: the step drops
   * its oldest slot, so a window of W serves a state using at most W - 1. The graph's own window
   * serves every state (it is the int8 engine's graph).
   */
  private programFor(state: readonly Tensor[]): Program {
    const used = usedSlots(state, this.int8.info.maskFill);
    const full = this.int8.info.window;
    const p = this.programs.find((x) => x.step.window > used || x.step.window === full);
    if (!p) throw new InputError(`sim engine: the state fills ${used} slots; the largest window built is ${this.programs.at(-1)!.step.window} (the engine was created for fewer positions)`);
    return p;
  }

  step(token: number, pos: number): Float32Array {
    if (pos !== this.nextPos) throw new InputError(`sim engine: position ${pos} out of order (expected ${this.nextPos})`);
    if (pos >= this.seqLen) throw new InputError(`sim engine: position ${pos} beyond the context of ${this.seqLen}`);
    if (!(Number.isInteger(token) && token >= 0 && token < this.vocabSize)) throw new InputError(`sim engine: token ${token} outside the vocabulary 0..${this.vocabSize - 1}`);
    const t0 = performance.now();
    const fill = this.int8.info.maskFill;
    const full = this.int8.info.window;
    const p = this.programFor(this.state);
    const g = p.step.graph;
    const inputs = this.int8.stepInputs(token, pos);
    // stepInputs reads the int8 engine's state; ours is carried here
    for (let i = 2; i < inputs.length; i++) inputs[i] = this.state[i - 2]!;
    const local = [...inputs.slice(0, 2), ...resizeWindow(this.state, p.step.window, fill)];
    const mem = p.cluster.memory;
    p.build.inputs.forEach((b, k) => mem.writeBytes(b.address, encode(b, local[k]!)));
    const r = runToYield(p.cluster, p.build.elf);
    const raw = p.build.outputs.map((b, k) => {
      const info = g.outputs[k]!;
      return { name: info.name, dtype: info.dtype, shape: info.shape.slice(), data: fromNumbers(info.dtype, decode(b, mem.readBytes(b.address, b.bytes))) };
    });
    const outputs = [...raw.slice(0, 2), ...resizeWindow(raw.slice(2), full, fill)];
    const names = this.int8.graph.inputs;
    this.state = outputs.slice(2).map((t, i) => ({ ...t, name: names[2 + i]!.name }));
    this.lastStep = { inputs, outputs };
    this.lastArgmax = Number(outputs[0]!.data[0]!);
    const cycles = mem.read32(p.build.stepCyclesAddr) >>> 0;
    this.stats.push({ pos, window: p.step.window, cycles, instructions: r.instructions - p.prev.instructions, energyUJ: r.energy.totalUJ - p.prev.energy.totalUJ, wallMs: performance.now() - t0 });
    p.prev = r;
    this.last = p;
    this.nextPos = pos + 1;
    const s = this.int8.info.logitScale;
    return Float32Array.from(toNumberArray(outputs[1]!.data), (q) => q * s);
  }

  /** Cycles per layer of the last step (the network's dsim_layer_cycles), by layer name. */
  layerCycles(): { name: string; cycles: number }[] {
    const { build, cluster } = this.last;
    return build.layers.map((name, k) => ({ name, cycles: cluster.memory.read32(build.layerCyclesAddr + 4 * k) >>> 0 }));
  }
}

/** Run the harness to its next yield (from the start, or resuming after the last yield's ecall). */
function runToYield(cluster: Cluster, elf: string): ClusterResult {
  const core0 = cluster.cores[0]!;
  core0.exitCode = undefined; // resume after the yield's ecall (the core stopped past it)
  const r = cluster.run();
  if (r.fault) throw new FaultError(`sim engine: ${r.fault}`);
  if (core0.exitCode !== ENGINE_YIELD) throw new FaultError(`sim engine: the harness exited with code ${core0.exitCode ?? r.exitCode} instead of yielding (${elf})`);
  return r;
}

/** Graph values -> the buffer's bytes (the buffer's element type is the compiler's choice). */
function encode(b: IoBuffer, t: Tensor): Uint8Array {
  const typed = fromNumbers(b.dtype, toNumberArray(t.data)) as ArrayBufferView;
  return new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength);
}

function decode(b: IoBuffer, bytes: Uint8Array): ArrayLike<number> {
  const copy = bytes.slice();
  switch (b.dtype) {
    case 'int8':
      return new Int8Array(copy.buffer);
    case 'uint8':
      return copy;
    case 'int16':
      return new Int16Array(copy.buffer);
    case 'uint16':
      return new Uint16Array(copy.buffer);
    case 'int32':
      return new Int32Array(copy.buffer);
    case 'uint32':
      return new Uint32Array(copy.buffer);
    default:
      throw new Error(`internal: sim engine: buffer '${b.name}' of type ${b.dtype}`);
  }
}

/** The windows a run needs: the requested ones below the graph's own (those later positions need only if `steps` says so), then the graph's own. */
export function engineWindows(graphWindow: number, opts: Pick<SimEngineOptions, 'windows' | 'steps'> = {}): number[] {
  const asked = opts.windows ?? DEFAULT_WINDOWS;
  for (const w of asked)
    if (!Number.isInteger(w) || w < 1 || w > graphWindow) throw new InputError(`--windows: ${w} is not an integer 1..${graphWindow} (the step graph's window)`);
  const list = [...new Set(asked)].filter((w) => w < graphWindow).sort((a, b) => a - b);
  list.push(graphWindow);
  if (opts.steps === undefined) return list;
  // position p runs on the shortest window W > p (p filled slots before the step): keep windows up to the one serving steps - 1
  const k = list.findIndex((w) => w >= opts.steps!);
  return k < 0 ? list : list.slice(0, k + 1);
}

/** Build (or reuse) the compiled step programs and start them on their clusters. */
export async function createSimEngine(int8: Int8Engine, opts: SimEngineOptions = {}): Promise<SimEngine> {
  const cores = opts.cores ?? 8;
  if (!Number.isInteger(cores) || cores < 1 || cores > 8) throw new InputError(`--cores ${cores}: expected 1..8 (the cluster's cores)`);
  const f = opts.freqMHz ?? DEFAULT_FREQ_MHZ;
  if (!(Number.isFinite(f) && f > 0)) throw new InputError(`--freq-mhz ${f}: expected a positive number`);
  if (opts.steps !== undefined && !(Number.isInteger(opts.steps) && opts.steps >= 1)) throw new InputError(`sim engine: steps ${opts.steps}: expected a positive integer`);
  const windows = engineWindows(int8.info.window, opts);
  // gcc runs as child processes: the builds overlap
  const builds = await Promise.all(
    windows.map(async (w) => {
      const step = withWindow(int8.info, w);
      const buildDir = opts.buildDir !== undefined ? join(opts.buildDir, `window-${w}`) : undefined;
      const build = await buildSimProgram(step, int8.vocabSize, int8.seqLen, { ...opts, ...(buildDir !== undefined ? { buildDir } : {}) });
      return { step, build };
    }),
  );
  return new SimEngine(int8, builds, { ...opts, cores, freqMHz: f });
}

/** Summary figures of a run: cycles per token (mean and by position range), tokens/s, uJ/token. */
export interface SimSummary {
  tokens: number;
  meanCycles: number;
  ranges: { from: number; to: number; meanCycles: number }[];
  tokensPerSecond: number;
  freqMHz: number;
  uJPerToken: number;
  instructions: number;
  wallMsPerToken: number;
  /** simulated instructions per host second, millions */
  mips: number;
}

export function summarize(stats: readonly StepStats[], freqMHz: number): SimSummary {
  const n = Math.max(1, stats.length);
  const sum = (f: (s: StepStats) => number, list: readonly StepStats[] = stats) => list.reduce((a, s) => a + f(s), 0);
  const meanCycles = sum((s) => s.cycles) / n;
  const edges = [0, 1, 64, 128, 256, 512];
  const ranges: SimSummary['ranges'] = [];
  for (let k = 0; k + 1 < edges.length; k++) {
    const list = stats.filter((s) => s.pos >= edges[k]! && s.pos < edges[k + 1]!);
    if (list.length) ranges.push({ from: edges[k]!, to: Math.min(edges[k + 1]!, Math.max(...list.map((s) => s.pos)) + 1) - 1, meanCycles: sum((s) => s.cycles, list) / list.length });
  }
  const wall = sum((s) => s.wallMs);
  const instructions = sum((s) => s.instructions);
  return {
    tokens: stats.length,
    meanCycles,
    ranges,
    tokensPerSecond: meanCycles > 0 ? (freqMHz * 1e6) / meanCycles : 0,
    freqMHz,
    uJPerToken: sum((s) => s.energyUJ) / n,
    instructions,
    wallMsPerToken: wall / n,
    mips: wall > 0 ? instructions / wall / 1e3 : 0,
  };
}

/** The one-line summary `generate --engine sim` prints on stderr (docs/llm.md). */
export function formatSummary(s: SimSummary, cores: number): string {
  const r = s.ranges.map((x) => `${x.from}-${x.to}: ${Math.round(x.meanCycles)}`).join(', ');
  return (
    `sim: ${s.tokens} tokens on ${cores} cores: ${Math.round(s.meanCycles)} cycles/token (by position ${r}), ` +
    `${s.tokensPerSecond.toFixed(1)} tokens/s at ${s.freqMHz} MHz, ${s.uJPerToken.toFixed(2)} uJ/token; ` +
    `host ${s.wallMsPerToken.toFixed(1)} ms/token (${s.mips.toFixed(1)} simulated MIPS)`
  );
}
