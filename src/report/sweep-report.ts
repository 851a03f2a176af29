// The report of a sweep: cycles against energy for every bit-exact point, colour = L1 budget,
// the Pareto front (no other point of the case is both faster and cheaper) drawn per case.
import { COMPILER_HAS_NPU } from '../sweep/grid.js';
import { ROW_COLUMNS, type PointRow } from '../sweep/point.js';
import { renderCharts } from './charts.js';
import { esc, page, section, table } from './html.js';

/** Indices of the rows on the Pareto front (minimal cycles and energy) within each case. */
export function paretoFront(rows: { case: string; cycles: number; energy: number }[]): Set<number> {
  const front = new Set<number>();
  rows.forEach((r, k) => {
    const dominated = rows.some((o, j) => j !== k && o.case === r.case && o.cycles <= r.cycles && o.energy <= r.energy && (o.cycles < r.cycles || o.energy < r.energy));
    if (!dominated) front.add(k);
  });
  return front;
}

export async function sweepReport(rows: PointRow[], source: string): Promise<string> {
  const good = rows
    .filter((r) => r.status === 'ok' && typeof r.energy_uj === 'number')
    .map((r) => ({
      case: String(r.case), cycles: Number(r.network_cycles !== '' ? r.network_cycles : r.cycles), energy: Number(r.energy_uj),
      l1: String(r.l1), cores: Number(r.cores), wmem: String(r.wmem), voltage: Number(r.voltage), freq: Number(r.freq_mhz), l1_used: Number(r.l1_used),
    }));
  const front = paretoFront(good);
  const frontRows = good.filter((_, k) => front.has(k)).sort((a, b) => a.case.localeCompare(b.case) || a.cycles - b.cycles);
  const cases = [...new Set(good.map((g) => g.case))];
  const [chart] = await renderCharts([
    {
      id: 'pareto',
      title: 'Cycles against energy per point (Pareto front per case)',
      caption: 'Every bit-exact point; colour = L1 budget, shape = case; the line joins each case\'s Pareto-optimal points (none faster and cheaper).',
      marks: good.length + cases.length,
      spec: {
        width: 420,
        height: 300,
        layer: [
          {
            data: { values: frontRows },
            mark: { type: 'line', color: '#999' },
            encoding: {
              x: { field: 'cycles', type: 'quantitative', scale: { type: 'log' }, title: 'network cycles' },
              y: { field: 'energy', type: 'quantitative', scale: { type: 'log' }, title: 'energy (uJ, whole program)' },
              detail: { field: 'case', type: 'nominal' },
              order: { field: 'cycles', type: 'quantitative' },
            },
          },
          {
            data: { values: good },
            mark: { type: 'point', filled: true, size: 60 },
            encoding: {
              x: { field: 'cycles', type: 'quantitative', scale: { type: 'log' } },
              y: { field: 'energy', type: 'quantitative', scale: { type: 'log' } },
              color: { field: 'l1', type: 'ordinal', title: 'L1 budget (B)' },
              shape: { field: 'case', type: 'nominal', title: 'case' },
              tooltip: [{ field: 'case' }, { field: 'cores' }, { field: 'l1' }, { field: 'wmem' }, { field: 'cycles' }, { field: 'energy' }],
            },
          },
        ],
      },
    },
  ]);
  const numeric = ROW_COLUMNS.map((c) => !['case', 'npu', 'wmem', 'status', 'bit_exact', 'detail'].includes(c));
  const allTable = table({ head: [...ROW_COLUMNS], numeric, rows: rows.map((r) => ROW_COLUMNS.map((c) => r[c] as string | number)) });
  const frontTable = table({
    head: ['case', 'cores', 'L1 budget', 'wmem', 'V', 'MHz', 'cycles', 'uJ', 'L1 used'],
    numeric: [false, true, true, false, true, true, true, true, true],
    rows: frontRows.map((r) => [r.case, r.cores, r.l1, r.wmem, r.voltage, r.freq, r.cycles, r.energy, r.l1_used]),
  });
  const npuNote = COMPILER_HAS_NPU ? '' : 'The NPU axis is not available yet: the compiler has no NPU option, so every point ran on the cluster cores (npu = off).';
  const meta = `${rows.length} points from ${esc(source)}, ${good.length} bit-exact. ${esc(npuNote)}`;
  return page('deeploy-sim sweep', meta, [
    section({ chart, tableHtml: frontTable }),
    section({ title: 'All points', tableHtml: allTable }),
  ]);
}
