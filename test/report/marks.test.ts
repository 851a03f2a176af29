// Per-layer causes from the profile marks (src/sim/cluster/layer-marks.ts): a hand-written program
// whose regions each have one known dominant cause, and compiled networks on one and eight cores
// whose per-layer causes add up exactly to each layer's cycles x cores and, summed with the part
// outside the layers, to the whole run's counters.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildProgram, RUNTIME_DIR } from '../../src/runtime/build.js';
import { Cluster, type ClusterResult } from '../../src/sim/cluster/cluster.js';
import { MARK_CAUSES, profileMarkerOf, type LayerCauseTable, type RegionCauses } from '../../src/sim/cluster/layer-marks.js';
import { readProfile } from '../../src/compiler/profile.js';
import { recordCauses } from '../../src/report/layer-causes.js';
import { CONFORMANCE } from '../compiler/cases.js';
import { CHROMIUM, openReport } from './browser.js';

const OUT = join(process.cwd(), 'test', '.out', 'marks');
const MAIN = join(import.meta.dirname, '../../dist/src/cli/main.js');
const cli = (...args: string[]) => {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

const total = (r: { causes: Record<string, number> }) => Object.values(r.causes).reduce((a, b) => a + b, 0);
const dominant = (r: RegionCauses) => Object.entries(r.causes).sort((a, b) => b[1] - a[1])[0]![0];

/** Every region's causes add up to its cycles x cores; before + regions = the whole run's stall
 * counters exactly. Sleep and busy agree with the whole run's to within the scheduler's skew: a
 * snapshot finds a core asleep whose wake-up (due before the mark) the scheduler has not
 * delivered yet, and counts it asleep up to the mark. */
function expectExact(table: LayerCauseTable, result: ClusterResult): void {
  for (const r of [table.before, ...table.regions]) expect(total(r)).toBe(r.cycles * table.cores);
  const sum = (k: string) => [table.before, ...table.regions].reduce((s, r) => s + r.causes[k as keyof typeof r.causes], 0);
  const whole = (k: string) => result.cores.reduce((s, c) => s + (k === 'sleep' ? c.sleepCycles : (c.stalls as Record<string, number>)[k]!), 0);
  for (const k of MARK_CAUSES.slice(2)) expect(sum(k), k).toBe(whole(k));
  expect(Math.abs(whole('sleep') - sum('sleep'))).toBeLessThanOrEqual(table.cores * 512); // the scheduler quantum
  expect(sum('compute') + sum('sleep')).toBe(result.cycles * table.cores - MARK_CAUSES.slice(2).reduce((s, k) => s + whole(k), 0));
}

function run(elf: string, cores: number): { cluster: Cluster; result: ClusterResult; table: LayerCauseTable } {
  const cluster = new Cluster(elf, { cores, stats: true });
  const result = cluster.run();
  expect(result.exitCode, result.fault).toBe(0);
  return { cluster, result, table: profileMarkerOf(cluster.devices)!.table(result.cycles) };
}

describe('profile marks in a hand-written program', () => {
  const elf = join(OUT, 'marks.elf');
  beforeAll(async () => {
    await buildProgram({ sources: [join(import.meta.dirname, 'c', 'marks.c'), join(RUNTIME_DIR, 'cluster.c')], out: elf });
  });

  it('each region has its expected dominant cause; the NPU region its job', () => {
    const { result, table } = run(elf, 8);
    expectExact(table, result);
    // the cycles dsim_layer_mark returned on core 0 are the regions' lengths
    const printed = Buffer.from(result.stdout).toString().match(/r\d=(\d+)/g)!.map((s) => Number(s.split('=')[1]));
    expect(table.regions.map((r) => r.cycles).slice(0, 5)).toEqual(printed);
    expect(table.regions.map((r) => r.region)).toEqual([0, 1, 2, 3, 4, 5]);
    const [alu, banks, l2, barrier, npu] = table.regions;
    expect(dominant(alu!)).toBe('compute');
    expect(dominant(banks!)).toBe('bankConflict');
    expect(banks!.causes.bankConflict).toBeGreaterThan(0.5 * banks!.cycles * 8);
    // 8 cores x 8 x 32 L2 loads x 14 cycles: every one in this region, none elsewhere in a fork
    expect(dominant(l2!)).toBe('l2');
    expect(l2!.causes.l2).toBe(8 * 256 * 14);
    expect(dominant(barrier!)).toBe('sleep');
    expect(barrier!.causes.sleep).toBeGreaterThan(0.8 * 7 * barrier!.cycles);
    // the NPU job runs between marks 4 and 5 and nowhere else
    expect(npu!.engines.npu).toBe(result.engines.npu!.busyCycles);
    expect(npu!.engines.npu).toBeGreaterThan(0.3 * npu!.cycles);
    expect(table.regions.filter((r) => r !== npu).every((r) => r.engines.npu === 0)).toBe(true);
    // the record's view: the NPU's cycles come out of the sleep share
    const c = recordCauses(npu!, 8, 0);
    expect(c.npu).toBe(npu!.engines.npu);
    expect(Object.values(c).reduce((a, b) => a + b, 0)).toBeCloseTo(npu!.cycles, 9);
  });

  it('one core: the same regions, the same exact sums', () => {
    const { result, table } = run(elf, 1);
    expectExact(table, result);
    expect(dominant(table.regions[1]!)).toBe('compute'); // nobody to conflict with
    expect(dominant(table.regions[2]!)).toBe('l2');
    expect(table.regions[2]!.causes.l2).toBe(256 * 14);
  });

  it('run --json prints the table as layerCauses', () => {
    const r = cli('run', elf, '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out.trim().split('\n').pop()!);
    expect(j.layerCauses.cores).toBe(8);
    expect(j.layerCauses.regions.map((g: { region: number }) => g.region)).toEqual([0, 1, 2, 3, 4, 5]);
    for (const g of [j.layerCauses.before, ...j.layerCauses.regions]) expect(total(g)).toBe(g.cycles * 8);
    expect(Object.keys(j.layerCauses.regions[0].causes)).toEqual([...MARK_CAUSES]);
  });

  it('a program without marks: no layerCauses', async () => {
    const hello = join(OUT, 'hello.elf');
    await buildProgram({ sources: [join(import.meta.dirname, '..', '..', 'examples', 'hello', 'main.c')], out: hello });
    const r = cli('run', hello, '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out.trim().split('\n').pop()!).layerCauses).toBeUndefined();
  });
});

const CASE = join(CONFORMANCE, 'Models', 'miniMobileNet');
describe.skipIf(!existsSync(CASE))('profile marks in compiled networks', () => {
  for (const [cores, fork] of [[1, false], [8, false], [8, true]] as const) {
    it(`${cores} core${cores > 1 ? 's' : ''}${fork ? ', a fork per layer' : ''}: each layer's causes add up to its cycles x cores; with the rest, to the whole run`, async () => {
      const build = join(OUT, `mmn-${cores}${fork ? '-fork' : ''}`);
      rmSync(build, { recursive: true, force: true });
      expect(cli('compile', CASE, '-o', build, '--cores', String(cores), ...(fork ? ['--fork-per-layer'] : [])).code).toBe(0);
      const { cluster, result, table } = run(join(build, 'network.elf'), cores);
      expectExact(table, result);
      const prof = readProfile(join(build, 'network.elf'), (a, n) => cluster.memory.readBytes(a, n))!;
      // one region per layer, then the end of the network; each as long as dsim_layer_cycles says
      expect(table.regions.map((r) => r.region)).toEqual([...prof.keys(), prof.length]);
      expect(table.regions.slice(0, prof.length).map((r) => r.cycles)).toEqual(prof.map((p) => p.cycles));
      // the record (what `report` draws): attribution from the marks, causes adding up per layer
      expect(cli('run', build).code).toBe(0);
      const rec = JSON.parse(readFileSync(join(build, 'stats', readdirSync(join(build, 'stats')).filter((f) => f.endsWith('.json')).sort().pop()!), 'utf8'));
      expect(rec.attribution).toBe('marks');
      rec.layers.forEach((L: { cycles: number; causes: Record<string, number> }) => expect(total(L)).toBeCloseTo(L.cycles, 6));
      expect(rec.layers.some((L: { causes: Record<string, number> }) => (L.causes['stall.div'] ?? 0) > 0)).toBe(true);
      if (fork) expect(rec.layers.every((L: { causes: Record<string, number> }) => (L.causes.sleep ?? 0) > 0)).toBe(true); // the idle cores between forks
      if (cores > 1) return;
      // one core (the case the trace matching could not split): the report stacks the causes
      const html = join(OUT, 'mmn-1.html');
      expect(cli('report', build, '-o', html).code).toBe(0);
      if (!CHROMIUM) return void console.warn('chromium not installed (apt-get install chromium): browser check skipped');
      const o = await openReport(html, join(OUT, 'mmn-1.png'));
      expect(o.errors).toEqual([]);
      const present = rec.layers.reduce((s: number, L: { causes: Record<string, number> }) => s + Object.values(L.causes).filter((v) => v > 0).length, 0);
      expect(o.charts.find((c) => c.id === 'layers')!.marks).toBe(present);
      expect(present).toBeGreaterThan(3 * rec.layers.length);
    }, 120_000);
  }
});

const NPU_CASE = join(CONFORMANCE, 'Models', 'miniMobileNetv2');
describe.skipIf(!existsSync(NPU_CASE))('profile marks in a network the NPU runs', () => {
  it("the NPU layers' regions hold all the NPU busy cycles, the cluster layers none; the record stacks them as the NPU cause", () => {
    const build = join(OUT, 'mmnv2-npu');
    rmSync(build, { recursive: true, force: true });
    expect(cli('compile', NPU_CASE, '-o', build).code).toBe(0); // the NPU is on by default
    const manifest = JSON.parse(readFileSync(join(build, 'manifest.json'), 'utf8')) as { layers: { name: string; engine: string }[] };
    const { result, table } = run(join(build, 'network.elf'), 8);
    expectExact(table, result);
    const onNpu = manifest.layers.map((l) => l.engine === 'npu');
    expect(onNpu.filter(Boolean).length).toBeGreaterThan(0);
    // an NPU layer whose output stays in the NPU's layout returns before its job ends (Conv_0): the
    // job runs on in the next NPU layers' regions; the cluster layers follow NPU layers that wait
    manifest.layers.forEach((_, k) => {
      if (!onNpu[k]) expect(table.regions[k]!.engines.npu, `layer ${k}`).toBe(0);
    });
    expect(table.regions.filter((_, k) => onNpu[k]).reduce((s, r) => s + r.engines.npu, 0)).toBe(result.engines.npu!.busyCycles);
    // every NPU cycle of the run falls in some layer (NPU layers wait for their jobs or a later layer does)
    expect([table.before, ...table.regions].reduce((s, r) => s + r.engines.npu, 0)).toBe(result.engines.npu!.busyCycles);
    expect(cli('run', build).code).toBe(0);
    const rec = JSON.parse(readFileSync(join(build, 'stats', readdirSync(join(build, 'stats')).filter((f) => f.endsWith('.json')).sort().pop()!), 'utf8'));
    const withNpu = rec.layers.filter((L: { causes: Record<string, number> }) => (L.causes.npu ?? 0) > 0) as { name: string }[];
    expect(withNpu.length).toBeGreaterThan(0);
    for (const L of withNpu) expect(manifest.layers.find((m) => m.name === L.name)?.engine, L.name).toBe('npu');
  }, 120_000);
});
