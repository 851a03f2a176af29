// The report of one build folder's run: where the cycles go per layer, how busy each core is,
// how close each layer gets to the platform's roofline, the memory plan, and the energy split.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Manifest } from '../compiler/manifest.js';
import { energyTable, type EnergyEntry } from '../sim/energy.js';
import { renderCharts, type Chart } from './charts.js';
import { esc, page, section, table } from './html.js';
import type { RunRecord } from './record.js';
import { roofs } from './roofline.js';

/** Display order and names of the per-layer causes; unknown keys follow in name order. */
const CAUSE_LABEL: Record<string, string> = {
  compute: 'compute (busy cores)',
  'stall.loadUse': 'stall: load-use',
  'stall.branch': 'stall: taken branch',
  'stall.jump': 'stall: jump',
  'stall.mul': 'stall: mulh',
  'stall.div': 'stall: div/rem',
  'stall.misaligned': 'stall: misaligned access',
  'stall.bankConflict': 'stall: L1 bank conflict',
  'stall.l2': 'stall: L2 load',
  'stall.wmem': 'stall: weight-memory load',
  'stall.event': 'stall: event unit',
  dmaQueue: 'stall: DMA queue full',
  dmaWait: 'DMA wait',
  npu: 'NPU',
  sleep: 'barrier / sleep',
};
const causeLabel = (k: string) => CAUSE_LABEL[k] ?? (k.startsWith('stall.') ? `stall: ${k.slice(6)}` : k);

const fmt = (v: number, digits = 0) => (Number.isFinite(v) ? v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : '-');

/** The C source of each layer function in network.c, by name. */
export function layerSources(buildDir: string, names: string[]): Map<string, string> {
  const out = new Map<string, string>();
  const file = join(buildDir, 'src', 'network.c');
  if (!existsSync(file)) return out;
  const lines = readFileSync(file, 'utf8').split('\n');
  for (const name of names) {
    const start = lines.findIndex((l) => new RegExp(`^(static )?void ${name}\\(`).test(l));
    if (start < 0) continue;
    let end = start;
    while (end < lines.length && lines[end] !== '}') end++;
    out.set(name, lines.slice(start, end + 1).join('\n'));
  }
  return out;
}

/** Bytes each layer reads and writes (its operands' buffers). */
function layerBytes(m: Manifest): number[] {
  const size = new Map<string, number>();
  for (const b of m.buffers) for (const t of b.tensors) size.set(t, b.size);
  return m.layers.map((L) => [...L.inputs, ...L.outputs].reduce((s, t) => s + (size.get(t) ?? 0), 0));
}

export function causeKeys(layers: RunRecord['layers']): string[] {
  const present = new Set<string>();
  for (const L of layers) for (const [k, v] of Object.entries(L.causes)) if (v > 0) present.add(k);
  const known = Object.keys(CAUSE_LABEL).filter((k) => present.has(k));
  return [...known, ...[...present].filter((k) => !(k in CAUSE_LABEL)).sort()];
}

export async function networkReport(m: Manifest, rec: RunRecord, buildDir: string): Promise<string> {
  const layerLabel = (L: { index: number; name: string }) => `${L.index} ${L.name}`;
  const order = rec.layers.map(layerLabel);
  const keys = causeKeys(rec.layers);
  const stacked = rec.layers.flatMap((L) =>
    keys.filter((k) => (L.causes[k] ?? 0) > 0).map((k) => ({ layer: layerLabel(L), cause: causeLabel(k), cycles: Number(L.causes[k]!.toFixed(1)) })),
  );
  const charts: Chart[] = [];
  charts.push({
    id: 'layers',
    title: 'Cycles per layer, stacked by cause',
    caption:
      rec.attribution === 'marks'
        ? 'Each layer\'s measured cycles split by what the cores did, averaged over the cores: the simulator\'s counters at the layer marks (busy, every stall cause, asleep at barriers), with core 0\'s wait for tile DMAs and the NPU\'s busy cycles taken out of the sleep share.'
        : rec.attribution === 'trace'
          ? 'Each layer\'s measured cycles split by what the cores did, averaged over the cores (busy, asleep at barriers, stalled on a traced cause; a build without layer marks).'
          : 'Measured cycles per layer; this build has no layer marks and its layers could not be found in the trace (one core, or a fork per layer): rebuild it for the split by cause.',
    marks: stacked.length,
    spec: {
      width: Math.max(240, 28 * order.length),
      height: 260,
      data: { values: stacked },
      mark: { type: 'bar' },
      encoding: {
        x: { field: 'layer', type: 'ordinal', sort: order, title: 'layer', axis: { labelAngle: -45, labelLimit: 140 } },
        y: { field: 'cycles', type: 'quantitative', stack: 'zero', title: 'cycles' },
        color: { field: 'cause', type: 'nominal', sort: keys.map(causeLabel), title: 'cause' },
        tooltip: [{ field: 'layer' }, { field: 'cause' }, { field: 'cycles' }],
      },
    },
  });
  const coreRows = rec.perCore.map((c) => ({ core: `core ${c.core}`, utilisation: Number((100 * c.utilisation).toFixed(2)) }));
  charts.push({
    id: 'cores',
    title: 'Utilisation per core',
    caption: 'Share of the whole run each core was awake (not sleeping in the event unit).',
    marks: coreRows.length,
    spec: {
      width: Math.max(160, 36 * coreRows.length),
      height: 200,
      data: { values: coreRows },
      mark: { type: 'bar', color: '#4c78a8' },
      encoding: {
        x: { field: 'core', type: 'ordinal', sort: coreRows.map((c) => c.core), title: null },
        y: { field: 'utilisation', type: 'quantitative', scale: { domain: [0, 100] }, title: 'awake (%)' },
      },
    },
  });
  const bytes = layerBytes(m);
  const pts = rec.layers
    .map((L, k) => ({ layer: layerLabel(L), intensity: bytes[k]! > 0 ? L.ops / bytes[k]! : 0, perCycle: L.cycles > 0 ? L.ops / L.cycles : 0, op: L.op }))
    .filter((p) => p.intensity > 0 && p.perCycle > 0);
  const R = roofs(rec.cores);
  const xs = pts.map((p) => p.intensity);
  const xmin = Math.min(0.01, ...xs) / 2;
  const xmax = Math.max(100, ...xs) * 2;
  const lineRows = R.memories.flatMap((r) => {
    const knee = R.peakMacPerCycle / r.bytesPerCycle;
    return [xmin, Math.min(Math.max(knee, xmin), xmax), xmax].map((x) => ({ roof: `${r.name} ${r.bytesPerCycle.toFixed(2)} B/cycle`, x, y: Math.min(R.peakMacPerCycle, r.bytesPerCycle * x) }));
  });
  charts.push({
    id: 'roofline',
    title: 'Operations per cycle per layer against the roofline',
    caption: `Compute roof ${R.peakMacPerCycle} MAC/cycle (${rec.cores} cores x 4 int8 MACs per SIMD dot product); memory roofs: ${R.memories.map((r) => `${r.name} ${r.bytesPerCycle.toFixed(2)} B/cycle (${r.why})`).join('; ')}. Intensity = layer operations / bytes of its operands.`,
    marks: pts.length + R.memories.length,
    spec: {
      width: 380,
      height: 280,
      layer: [
        {
          data: { values: lineRows },
          mark: { type: 'line', strokeDash: [4, 3] },
          encoding: {
            x: { field: 'x', type: 'quantitative', scale: { type: 'log' }, title: 'operations per byte of operands' },
            y: { field: 'y', type: 'quantitative', scale: { type: 'log' }, title: 'operations per cycle' },
            color: { field: 'roof', type: 'nominal', title: 'roof' },
          },
        },
        {
          data: { values: pts },
          mark: { type: 'point', filled: true, size: 50, color: '#222' },
          encoding: {
            x: { field: 'intensity', type: 'quantitative', scale: { type: 'log' } },
            y: { field: 'perCycle', type: 'quantitative', scale: { type: 'log' } },
            shape: { field: 'op', type: 'nominal', title: 'operator' },
            tooltip: [{ field: 'layer' }, { field: 'perCycle', format: '.3f' }, { field: 'intensity', format: '.3f' }],
          },
        },
      ],
    },
  });
  const levels = m.memory.levels.filter((lv) => m.buffers.some((b) => b.level === lv.level && b.size > 0));
  for (const lv of levels) {
    const bufs = m.buffers
      .filter((b) => b.level === lv.level && b.size > 0)
      .map((b) => ({ name: b.name, kind: b.kind, from: b.lifetime[0], to: b.lifetime[1] + 1, lo: b.offset, hi: b.offset + b.size, size: b.size }));
    charts.push({
      id: `memory-${lv.level}`,
      title: `Memory plan: ${lv.level} (${fmt(lv.used)} of ${fmt(lv.capacity)} bytes used)`,
      caption: 'Each buffer as a rectangle: from the step that writes it to the last step that reads it (x), at its offset in the arena (y). Constants live the whole run.',
      marks: bufs.length,
      spec: {
        width: 380,
        height: 220,
        data: { values: bufs },
        mark: { type: 'rect', stroke: '#fff', strokeWidth: 0.5 },
        encoding: {
          x: { field: 'from', type: 'quantitative', title: 'step (layer index; -1 = before the network)' },
          x2: { field: 'to' },
          y: { field: 'lo', type: 'quantitative', title: 'offset (bytes)' },
          y2: { field: 'hi' },
          color: { field: 'kind', type: 'nominal', title: 'kind' },
          tooltip: [{ field: 'name' }, { field: 'size' }, { field: 'from' }, { field: 'to' }],
        },
      },
    });
  }
  const energyRows = Object.entries(rec.energy.byEntryUJ)
    .filter(([, v]) => v > 0)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => ({ entry: k, uJ: v, status: (energyTable as Record<string, EnergyEntry>)[k]?.status ?? '' }));
  charts.push({
    id: 'energy',
    title: `Energy by component (${fmt(rec.energy.totalUJ, 3)} uJ at ${rec.operatingPoint.voltage} V, ${rec.operatingPoint.freqMHz} MHz)`,
    caption: 'Each entry of the energy table times its count (docs/energy.md gives every entry\'s source and derivation).',
    marks: energyRows.length,
    spec: {
      width: 300,
      height: Math.max(120, 18 * energyRows.length),
      data: { values: energyRows },
      mark: { type: 'bar' },
      encoding: {
        y: { field: 'entry', type: 'nominal', sort: energyRows.map((r) => r.entry), title: null },
        x: { field: 'uJ', type: 'quantitative', title: 'uJ' },
        color: { field: 'status', type: 'nominal', title: 'status' },
      },
    },
  });
  const rendered = await renderCharts(charts);
  const byId = new Map(rendered.map((c) => [c.id, c]));
  const sources = layerSources(buildDir, rec.layers.map((L) => L.function));

  const layerTable = table({
    head: ['#', 'layer', 'C function', 'op', 'kernel', 'cycles', 'estimated', 'ops/cycle', ...keys.map(causeLabel)],
    numeric: [true, false, false, false, false, true, true, true, ...keys.map(() => true)],
    rows: rec.layers.map((L) => [
      L.index, L.name,
      { html: sources.has(L.function) ? `<a href="#fn-${esc(L.function)}"><code>${esc(L.function)}</code></a>` : `<code>${esc(L.function)}</code>` },
      L.op, L.kernel, fmt(L.cycles), fmt(L.estimatedCycles), fmt(L.cycles > 0 ? L.ops / L.cycles : 0, 3),
      ...keys.map((k) => fmt(L.causes[k] ?? 0)),
    ]),
  });
  const coreTable = table({
    head: ['core', 'instructions', 'asleep (cycles)', 'awake', ...Object.keys(rec.perCore[0]?.stalls ?? {})],
    numeric: [false, true, true, true, ...Object.keys(rec.perCore[0]?.stalls ?? {}).map(() => true)],
    rows: rec.perCore.map((c) => [`core ${c.core}`, fmt(c.instructions), fmt(c.sleepCycles), `${(100 * c.utilisation).toFixed(1)}%`, ...Object.values(c.stalls).map((v) => fmt(v))]),
  });
  const rooflineTable = table({
    head: ['layer', 'op', 'operations', 'operand bytes', 'ops/byte', 'ops/cycle', 'of compute roof'],
    numeric: [false, false, true, true, true, true, true],
    rows: rec.layers.map((L, k) => [layerLabel(L), L.op, fmt(L.ops), fmt(bytes[k]!), fmt(bytes[k]! > 0 ? L.ops / bytes[k]! : 0, 3), fmt(L.cycles > 0 ? L.ops / L.cycles : 0, 3), `${(L.cycles > 0 ? (100 * L.ops) / L.cycles / R.peakMacPerCycle : 0).toFixed(1)}%`]),
  });
  const memTable = (level: string) =>
    table({
      head: ['buffer', 'kind', 'offset', 'bytes', 'lifetime'],
      numeric: [false, false, true, true, false],
      rows: m.buffers.filter((b) => b.level === level && b.size > 0).map((b) => [b.name, b.kind, fmt(b.offset), fmt(b.size), `${b.lifetime[0]}..${b.lifetime[1]}`]),
    });
  const energyTableHtml = table({
    head: ['entry', 'uJ', 'share', 'status', 'source'],
    numeric: [false, true, true, false, false],
    rows: energyRows.map((r) => [r.entry, fmt(r.uJ, 4), `${((100 * r.uJ) / rec.energy.totalUJ).toFixed(1)}%`, r.status, (energyTable as Record<string, EnergyEntry>)[r.entry]?.source ?? '']),
  });
  const stallKeys = Object.keys(rec.stalls).filter((k) => rec.stalls[k]! > 0 && !(k === 'pipeline' && 'loadUse' in rec.stalls));
  const stallTable = table({
    head: ['cause', 'cycles (all cores)'],
    numeric: [false, true],
    rows: stallKeys.map((k) => [k, fmt(rec.stalls[k]!)]),
  });
  const sections = [
    section({ chart: byId.get('layers'), tableHtml: layerTable }),
    section({
      title: 'Stalls by cause, whole run',
      note: rec.attribution === 'marks'
        ? 'All cores, the whole program (start-up and output checks included); the chart above splits the network\'s part by layer.'
        : 'All cores, the whole program; the per-layer split of the stall causes needs a build with layer marks (compile it again).',
      tableHtml: stallTable,
    }),
    section({ chart: byId.get('cores'), tableHtml: coreTable }),
    section({ chart: byId.get('roofline'), tableHtml: rooflineTable }),
    ...levels.map((lv) => section({ chart: byId.get(`memory-${lv.level}`), tableHtml: memTable(lv.level) })),
    section({ chart: byId.get('energy'), note: rec.energy.note, tableHtml: energyTableHtml }),
    // other engines' statistics (the NPU's), when the run recorded any
    ...Object.entries(rec.engines ?? {}).map(([name, stats]) =>
      section({ title: `Engine: ${name}`, tableHtml: table({ head: ['statistic', 'value'], numeric: [false, true], rows: Object.entries(stats).map(([k, v]) => [k, fmt(v, 2)]) }) }),
    ),
  ];
  const avgMw = rec.energy.averageMw;
  const meta = [
    `network <b>${esc(rec.network)}</b>`,
    `${rec.cores} cores`,
    `${fmt(rec.cycles)} cycles whole program${rec.networkCycles !== undefined ? `, ${fmt(rec.networkCycles)} in the network` : ''}`,
    `${rec.passed ? 'outputs bit-exact with the golden outputs' : '<b>outputs differ from the golden outputs</b>'}`,
    `energy ${fmt(rec.energy.totalUJ, 3)} uJ at ${rec.operatingPoint.voltage} V / ${rec.operatingPoint.freqMHz} MHz${avgMw !== undefined ? ` (${fmt(avgMw, 1)} mW average)` : ''}`,
    `run recorded ${esc(rec.time)}`,
  ].join(' &middot; ');
  const appendix = `<section><h2>Layer functions (network.c)</h2>${[...sources.entries()]
    .map(([name, src]) => `<details id="fn-${esc(name)}"><summary><code>${esc(name)}</code></summary><pre>${esc(src)}</pre></details>`)
    .join('\n')}</section>`;
  return page(`deeploy-sim report: ${rec.network}`, meta, sections, appendix);
}
