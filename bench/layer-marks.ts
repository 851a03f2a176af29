// Host-time cost of the profile marks (src/sim/cluster/layer-marks.ts) on microLlama64 at
// --l1 64000 (289 layers, 290 marks): the same ELF run with the profile marker, and with a device
// that takes the same stores and does nothing (so the simulated program and its cycles are the
// same); with and without the `stats` counters (the snapshot reads them). Then the layers with the
// most cycles and their causes. Numbers only.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Cluster } from '../src/sim/cluster/cluster.js';
import type { ClusterDeviceFactory } from '../src/sim/cluster/device.js';
import { profileMarkerDevice, profileMarkerOf, type RegionCauses } from '../src/sim/cluster/layer-marks.js';
import { neurekaDevice } from '../npu-model/device.js';
import { readManifest } from '../src/compiler/build-folder.js';

const REPO = resolve(fileURLToPath(import.meta.url), '..', '..', '..');
const MAIN = join(REPO, 'dist', 'src', 'cli', 'main.js');
const CASE = resolve(REPO, '..', 'shared', 'conformance', 'deeploy', 'Models', 'microLlama', 'INT8', 'microLlama64');
const OUT = join(tmpdir(), 'deeploy-sim-bench-marks');

/** Takes the marker's stores and keeps nothing. */
const ignoreMarks: ClusterDeviceFactory = (ctx) => ({
  name: 'ignore-marks',
  windows: [[ctx.memory.platform.profileMarker - ctx.memory.platform.clusterPeripherals.base, 4]],
  stall: 0,
  read: () => 0,
  write: () => {},
  nextDue: () => Infinity,
  applyDue: () => {},
});

function timed(elf: string, stats: boolean, marker: ClusterDeviceFactory): { ms: number; cycles: number; cluster: Cluster } {
  const cluster = new Cluster(elf, { stats, devices: [neurekaDevice, marker] });
  // CPU time of this thread's process: the machine may be shared, wall time would measure the neighbours
  const t0 = process.cpuUsage();
  const r = cluster.run();
  const used = process.cpuUsage(t0);
  const ms = (used.user + used.system) / 1000;
  if (r.exitCode !== 0) throw new Error(`${elf}: exit ${r.exitCode} ${r.fault ?? ''}`);
  return { ms, cycles: r.cycles, cluster };
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1]!;

export async function run(): Promise<void> {
  console.log('layer-marks:');
  if (!existsSync(CASE)) return void console.log(`  skipped: ${CASE} is absent`);
  mkdirSync(OUT, { recursive: true });
  const build = join(OUT, 'ml64');
  if (!existsSync(join(build, 'network.elf'))) {
    const c = spawnSync(process.execPath, [MAIN, 'compile', CASE, '-o', build, '--l1', '64000'], { encoding: 'utf8' });
    if (c.status !== 0) throw new Error(c.stderr);
  }
  const elf = join(build, 'network.elf');
  for (const stats of [false, true]) {
    const ms: Record<string, number[]> = { marks: [], ignored: [] };
    let cycles = 0;
    for (let rep = 0; rep < 6; rep++) {
      // alternate the order: the first run of a process also pays for translating guest code
      const [a, b] = rep % 2 ? [timed(elf, stats, profileMarkerDevice), timed(elf, stats, ignoreMarks)] : [undefined, timed(elf, stats, ignoreMarks)];
      const a2 = a ?? timed(elf, stats, profileMarkerDevice);
      if (a2.cycles !== b.cycles) throw new Error(`cycles differ with the marker: ${a2.cycles} vs ${b.cycles}`);
      ms.marks!.push(a2.ms);
      ms.ignored!.push(b.ms);
      cycles = a2.cycles;
    }
    const m = median(ms.marks!);
    const i = median(ms.ignored!);
    console.log(`  microLlama64 --l1 64000, ${cycles} cycles, stats ${stats ? 'on ' : 'off'}: ${m.toFixed(0)} ms with the marker, ${i.toFixed(0)} ms with the stores ignored CPU time (median of 6, alternating): ${(100 * (m / i - 1)).toFixed(1)}%`);
  }
  const { cluster, cycles } = timed(elf, true, profileMarkerDevice);
  const table = profileMarkerOf(cluster.devices)!.table(cycles);
  const names = readManifest(build)!.layers.map((L) => L.name);
  const layers = table.regions.slice(0, names.length);
  const all = layers.reduce((s, r) => s + r.cycles, 0);
  console.log(`  top layers (${layers.length} layers, ${all} cycles; causes in % of the layer's cycles x ${table.cores} cores):`);
  const show = (r: RegionCauses) =>
    Object.entries(r.causes)
      .filter(([, v]) => v > 0)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k} ${((100 * v) / (r.cycles * table.cores)).toFixed(1)}`)
      .join(', ');
  for (const r of [...layers].sort((a, b) => b.cycles - a.cycles).slice(0, 8))
    console.log(`    ${names[r.region]} ${r.cycles} cycles (${((100 * r.cycles) / all).toFixed(1)}%): ${show(r)}${r.engines.npu ? `; NPU busy ${r.engines.npu}` : ''}`);
  const sum = { cycles: all, causes: {} as Record<string, number> };
  for (const r of layers) for (const [k, v] of Object.entries(r.causes)) sum.causes[k] = (sum.causes[k] ?? 0) + v;
  console.log(`    all layers: ${show(sum as unknown as RegionCauses)}`);
}
