// The report of `generate --engine sim --report`: cycles and energy of each token step over the
// positions (attention windows change the cost in steps; the colour says which program ran).
import type { StepStats } from '../llm/sim-engine.js';
import { renderCharts, type Chart } from './charts.js';
import { esc, page, section, table } from './html.js';

export interface TokenRun {
  model: string;
  cores: number;
  freqMHz: number;
  text: string;
  steps: readonly StepStats[];
}

export async function tokenReport(run: TokenRun): Promise<string> {
  const rows = run.steps.map((s) => ({ pos: s.pos, cycles: s.cycles, uJ: Number(s.energyUJ.toFixed(3)), window: String(s.window) }));
  const perPos = (id: string, field: 'cycles' | 'uJ', title: string, axis: string): Chart => ({
    id,
    title,
    caption: 'One point per generated position; colour = the state window of the program that ran the step.',
    marks: rows.length,
    spec: {
      width: Math.min(900, Math.max(300, 4 * rows.length)),
      height: 220,
      data: { values: rows },
      mark: { type: 'point', filled: true, size: 30 },
      encoding: {
        x: { field: 'pos', type: 'quantitative', title: 'position', scale: { padding: 8 } },
        y: { field, type: 'quantitative', title: axis, scale: { zero: false } },
        color: { field: 'window', type: 'nominal', title: 'window' },
        tooltip: [{ field: 'pos' }, { field }],
      },
    },
  });
  const charts = await renderCharts([
    perPos('token-cycles', 'cycles', 'Cycles per token over positions', 'cycles per token'),
    perPos('token-energy', 'uJ', 'Energy per token over positions', 'uJ per token'),
  ]);
  const n = Math.max(1, rows.length);
  const meanCycles = rows.reduce((s, r) => s + r.cycles, 0) / n;
  const meanUJ = rows.reduce((s, r) => s + r.uJ, 0) / n;
  const t = table({
    head: ['position', 'window', 'cycles', 'uJ'],
    numeric: [true, true, true, true],
    rows: rows.map((r) => [r.pos, r.window, r.cycles, r.uJ.toFixed(3)]),
  });
  const meta = [
    `model <b>${esc(run.model)}</b>`,
    `${run.cores} cores`,
    `${rows.length} tokens`,
    `${Math.round(meanCycles)} cycles/token, ${((run.freqMHz * 1e6) / Math.max(1, meanCycles)).toFixed(1)} tokens/s at ${run.freqMHz} MHz`,
    `${meanUJ.toFixed(2)} uJ/token (Deeploy on Siracusa: 490 uJ/token at 340 tokens/s, with the NPU, for its TinyStories-class model)`,
  ].join(' &middot; ');
  return page('deeploy-sim generate: cost per token', meta, [
    section({ chart: charts[0], tableHtml: t }),
    section({ chart: charts[1] }),
    section({ title: 'Text', tableHtml: `<pre>${esc(run.text)}</pre>` }),
  ]);
}
