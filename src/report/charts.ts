// Charts: Vega-Lite specifications compiled to Vega and rendered to SVG in Node (no browser, no
// script in the page). Each chart says how many data marks it should draw, so the browser test
// can count them.
import * as vega from 'vega';
import * as vl from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';

export interface Chart {
  id: string;
  title: string;
  /** what a reader should take from it (one line under the title) */
  caption: string;
  spec: TopLevelSpec;
  /** data marks the SVG must contain (bars, points, rectangles, or one path per line series) */
  marks: number;
}

export interface RenderedChart extends Chart {
  svg: string;
}

const CONFIG = {
  font: 'sans-serif',
  axis: { labelFontSize: 10, titleFontSize: 11 },
  legend: { labelFontSize: 10, titleFontSize: 11 },
  view: { stroke: '#ccc' },
} as const;

export async function renderChart(chart: Chart): Promise<RenderedChart> {
  const spec = { ...chart.spec, config: { ...CONFIG, ...(chart.spec.config ?? {}) } } as TopLevelSpec;
  const compiled = vl.compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none', logLevel: vega.Warn });
  const svg = await view.toSVG();
  view.finalize();
  return { ...chart, svg };
}

export async function renderCharts(charts: Chart[]): Promise<RenderedChart[]> {
  const out: RenderedChart[] = [];
  for (const c of charts) out.push(await renderChart(c));
  return out;
}
