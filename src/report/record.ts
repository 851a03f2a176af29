// Run records: what `run` measured on a build folder, kept in <build>/stats/run-<time>.json so
// `report` can draw it later (the latest record wins). The per-layer split comes from the
// simulator's counters at the generated code's layer marks (layer-causes.ts): busy, sleep, every
// stall cause and the NPU's busy cycles, with the generated per-layer DMA-wait counter split out
// of the sleep share. Builds from before the marks fall back to the cluster's trace (busy / sleep /
// traced stalls per core) cut at boundaries matched from the layer lengths (attribute.ts).
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readManifest, type Manifest } from '../compiler/manifest.js';
import { readProfile } from '../compiler/profile.js';
import { hostCheck, parseSummary, type HostCheck } from '../compiler/golden-check.js';
import { InputError } from '../errors.js';
import { tryFs, writeOutputFile } from '../io/outputs.js';
import { Cluster, type ClusterResult } from '../sim/cluster/cluster.js';
import { estimateEnergy, type EnergyReport, type OperatingPoint } from '../sim/energy.js';
import { attributeLayers, type CoreSpan } from './attribute.js';
import { profileMarkerOf, type LayerCauseTable } from '../sim/cluster/layer-marks.js';
import { markedLayers, recordCauses } from './layer-causes.js';

export const RUN_RECORD_FORMAT = 'deeploy-sim-run/1';

/** Per-layer cycle causes (cycles averaged over the cores, so they add up to the layer's cycles).
 * Keys: compute (busy core), sleep (barrier / waiting), dmaQueue (the DMA command queue was full),
 * dmaWait (tile DMAs, from the layer counters), npu (the NPU works while the cores wait), and
 * stall.<cause> for the other stall causes of the marks (bankConflict, l2, wmem, event, and the
 * core's own: loadUse, branch, jump, mul, div, misaligned). */
export type Causes = Record<string, number>;

export interface LayerRecord {
  index: number;
  name: string;
  function: string;
  op: string;
  kernel: string;
  ops: number;
  estimatedCycles: number;
  cycles: number;
  causes: Causes;
}

export interface RunRecord {
  format: string;
  time: string;
  network: string;
  cores: number;
  operatingPoint: OperatingPoint;
  cycles: number;
  networkCycles?: number;
  exitCode: number;
  passed: boolean;
  /** how the per-layer causes were found: 'marks' (the simulator's counters at the layer marks),
   * 'trace' (builds without marks: boundaries matched in the trace), or 'none' */
  attribution: 'marks' | 'trace' | 'none';
  layers: LayerRecord[];
  perCore: { core: number; instructions: number; sleepCycles: number; utilisation: number; stalls: Record<string, number> }[];
  stalls: Record<string, number>;
  instrClasses?: Record<string, number>;
  dma: ClusterResult['dma'];
  energy: EnergyReport;
  /** optional engines' statistics (the NPU's, when a build uses it) */
  engines?: Record<string, Record<string, number>>;
}

export const statsDir = (buildDir: string) => join(buildDir, 'stats');

/** Is `dir` a build folder (manifest.json of our format)? Throws the one-line error when not. */
export function requireBuildFolder(dir: string): Manifest {
  if (!existsSync(dir)) throw new InputError(`${dir}: no such folder (expected a build folder from deeploy-sim compile)`);
  const m = (() => {
    try {
      return readManifest(dir);
    } catch {
      throw new InputError(`${dir}/manifest.json: not valid JSON (expected a build folder from deeploy-sim compile)`);
    }
  })();
  if (!m || typeof m.format !== 'string' || !m.format.startsWith('deeploy-sim-build/') || !Array.isArray(m.layers))
    throw new InputError(`${dir}: not a build folder (no deeploy-sim manifest.json; make one with deeploy-sim compile)`);
  return m;
}

/** Stall cycles by cause, summed over the cores. */
export function sumStalls(cores: { stalls: Record<string, number> }[]): Record<string, number> {
  const s: Record<string, number> = {};
  for (const c of cores) for (const [k, v] of Object.entries(c.stalls)) s[k] = (s[k] ?? 0) + v;
  return s;
}

/** The trace's per-core spans (Chrome trace events of the cluster's TraceWriter). */
function coreSpans(result: ClusterResult, cores: number): CoreSpan[][] {
  const per: CoreSpan[][] = Array.from({ length: cores }, () => []);
  if (!result.trace) return per;
  for (const e of result.trace.toJSON().traceEvents as { ph: string; tid: number; ts: number; dur: number; name: string; args?: { cause?: string } }[]) {
    if (e.ph !== 'X' || e.tid >= cores) continue;
    per[e.tid]!.push({ state: e.name, cause: e.args?.cause, t0: e.ts, t1: e.ts + e.dur });
  }
  return per;
}

/** Does the build's generated code mark its layers (dsim_layer_mark)? Older builds do not: their
 * record needs the trace. */
export function buildHasMarks(dir: string): boolean {
  const src = join(dir, 'src', 'network.c');
  // searched as bytes: a network's source is megabytes, decoding it as text took ~10 ms a run
  return existsSync(src) && readFileSync(src).includes('dsim_layer_mark(');
}

/** The marker's table of a finished run (undefined without marks); take it once per run. */
export function markTable(cluster: Cluster, result: ClusterResult): LayerCauseTable | undefined {
  const m = profileMarkerOf(cluster.devices);
  return m && m.marks.length > 0 ? m.table(result.cycles) : undefined;
}

/** Build the record of a finished run of `dir`'s network.elf (the cluster ran with stats, and with
 * the trace when the build has no layer marks). `checked`: the host check of this run's outputs,
 * when the caller made it already. */
export function makeRecord(
  dir: string,
  manifest: Manifest,
  cluster: Cluster,
  result: ClusterResult,
  op: OperatingPoint,
  marks = markTable(cluster, result),
  checked?: HostCheck,
): RunRecord {
  const stdout = Buffer.from(result.stdout).toString('utf8');
  const summary = parseSummary(stdout);
  const host = result.fault ? undefined : (checked ?? hostCheck(dir, manifest, (a, n) => cluster.memory.readBytes(a, n)));
  const passed = !result.fault && result.exitCode === 0 && summary.errors === 0 && host?.errors === 0 && summary.total === host?.total;
  // the generated code's per-layer counters (cycles, and core 0's wait for tile DMAs)
  const profile = result.fault ? undefined : readProfile(join(dir, 'network.elf'), (a, n) => cluster.memory.readBytes(a, n), manifest);
  const layerCycles = profile?.map((r) => r.cycles) ?? [];
  const cores = result.cores.length;
  const marked = markedLayers(marks, manifest.layers.length);
  const att = marked ? undefined : attributeLayers(layerCycles, coreSpans(result, cores));
  const layers: LayerRecord[] = manifest.layers.map((L, k) => ({
    index: L.index, name: L.name, function: L.function, op: L.op, kernel: L.kernel, ops: L.ops, estimatedCycles: L.estimatedCycles,
    cycles: layerCycles[k] ?? 0,
    causes: marked
      ? recordCauses(marked[k]!, cores, profile?.[k]?.dmaWait ?? 0)
      : withDmaWait(att ? att[k]! : { compute: layerCycles[k] ?? 0 }, profile?.[k]?.dmaWait ?? 0),
  }));
  return {
    format: RUN_RECORD_FORMAT,
    time: new Date().toISOString(),
    network: manifest.network,
    cores,
    operatingPoint: op,
    cycles: result.cycles,
    ...(summary.cycles !== undefined ? { networkCycles: summary.cycles } : {}),
    exitCode: result.exitCode,
    passed,
    attribution: marked ? 'marks' : att ? 'trace' : 'none',
    layers,
    perCore: result.cores.map((c) => ({ core: c.core, instructions: c.instructions, sleepCycles: c.sleepCycles, utilisation: c.utilisation, stalls: { ...c.stalls } })),
    stalls: sumStalls(result.cores),
    ...(result.instrClasses ? { instrClasses: { ...result.instrClasses } } : {}),
    dma: result.dma,
    energy: estimateEnergy(result.energy.counts, op),
  };
}

/** Write the record atomically (a reader never sees half a file); returns its path. */
export function saveRecord(dir: string, rec: RunRecord): string {
  const d = statsDir(dir);
  tryFs(d, 'create the stats folder', () => mkdirSync(d, { recursive: true }));
  const path = join(d, `run-${rec.time.replace(/[:.]/g, '-')}.json`);
  writeOutputFile(path, JSON.stringify(rec, null, 1) + '\n', 'the run record');
  return path;
}

/**
 * Move the cycles core 0 waited for tile DMAs (the layer's `dsim_layer_dma_wait` counter) out of
 * the barrier/sleep share into their own cause: while core 0 waits, the other cores sleep in the
 * tile loop's barrier, so that is where the trace put the time. The causes keep their sum.
 */
export function withDmaWait(causes: Causes, dmaWait: number): Causes {
  const moved = Math.min(dmaWait, causes.sleep ?? 0);
  if (!(moved > 0)) return causes;
  return { ...causes, sleep: causes.sleep! - moved, dmaWait: moved };
}

/** The newest record of a build folder, or undefined. */
export function latestRecord(dir: string): RunRecord | undefined {
  const d = statsDir(dir);
  if (!existsSync(d)) return undefined;
  const files = readdirSync(d).filter((f) => /^run-.*\.json$/.test(f)).sort();
  for (let k = files.length - 1; k >= 0; k--) {
    try {
      const r = JSON.parse(readFileSync(join(d, files[k]!), 'utf8')) as RunRecord;
      if (r.format === RUN_RECORD_FORMAT) return r;
    } catch {
      // a damaged record is skipped: an older one (or a fresh run) stands in
    }
  }
  return undefined;
}

/** Run `dir`'s network.elf with the statistics a record needs, save and return the record. */
export function runAndRecord(dir: string, opts: { cores?: number; op: OperatingPoint; maxCycles?: number }): RunRecord {
  const manifest = requireBuildFolder(dir);
  const elf = join(dir, 'network.elf');
  if (!existsSync(elf)) throw new InputError(`${dir}: no network.elf (compiled with --no-build?)`);
  const cluster = new Cluster(elf, { cores: opts.cores ?? manifest.platform.cores, trace: !buildHasMarks(dir), stats: true, freqMHz: opts.op.freqMHz, maxCycles: opts.maxCycles ?? 2e9 });
  const result = cluster.run();
  const rec = makeRecord(dir, manifest, cluster, result, opts.op);
  saveRecord(dir, rec);
  return rec;
}
