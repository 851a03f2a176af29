// The page: one self-contained HTML file (inline CSS and SVG, no script, no external resource),
// each chart beside its table.
import type { RenderedChart } from './charts.js';

export const esc = (s: string | number): string =>
  String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export interface Table {
  head: string[];
  /** cells are escaped unless given as { html } */
  rows: (string | number | { html: string })[][];
  /** right-align columns holding numbers */
  numeric?: boolean[];
}

export function table(t: Table): string {
  const cell = (c: string | number | { html: string }, k: number, tag: 'td' | 'th') => {
    const cls = t.numeric?.[k] ? ' class="num"' : '';
    return `<${tag}${cls}>${typeof c === 'object' ? c.html : esc(c)}</${tag}>`;
  };
  return `<table><thead><tr>${t.head.map((h, k) => cell(h, k, 'th')).join('')}</tr></thead><tbody>${t.rows
    .map((r) => `<tr>${r.map((c, k) => cell(c, k, 'td')).join('')}</tr>`)
    .join('\n')}</tbody></table>`;
}

export interface Section {
  chart?: RenderedChart;
  /** title when there is no chart */
  title?: string;
  note?: string;
  tableHtml?: string;
}

export function section(s: Section): string {
  const title = s.chart?.title ?? s.title ?? '';
  const fig = s.chart
    ? `<figure class="chart" id="chart-${esc(s.chart.id)}" data-chart="${esc(s.chart.id)}" data-marks="${s.chart.marks}">${s.chart.svg}<figcaption>${esc(s.chart.caption)}</figcaption></figure>`
    : '';
  const note = s.note ? `<p class="note">${esc(s.note)}</p>` : '';
  return `<section><h2>${esc(title)}</h2>${note}<div class="pair">${fig}${s.tableHtml ? `<div class="table">${s.tableHtml}</div>` : ''}</div></section>`;
}

const CSS = `
body{font-family:sans-serif;margin:1.5em;color:#222;max-width:1500px}
h1{font-size:1.4em;margin-bottom:.2em} h2{font-size:1.1em;margin-top:1.6em;border-bottom:1px solid #ddd}
.meta{color:#555;font-size:.9em} .note{color:#555;font-size:.85em;max-width:70em}
.pair{display:flex;flex-wrap:wrap;gap:1.5em;align-items:flex-start}
figure{margin:0;max-width:100%;overflow-x:auto} figcaption{font-size:.8em;color:#555;max-width:40em}
.table{overflow-x:auto;max-height:32em;overflow-y:auto}
table{border-collapse:collapse;font-size:.8em} th,td{border:1px solid #ddd;padding:2px 6px;text-align:left}
th{background:#f4f4f4;position:sticky;top:0} td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
details{margin:.2em 0} pre{background:#f8f8f8;padding:.5em;font-size:.75em;overflow-x:auto}
`;

export function page(title: string, metaHtml: string, sections: string[], appendix = ''): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${esc(title)}</title><style>${CSS}</style></head>
<body><h1>${esc(title)}</h1><div class="meta">${metaHtml}</div>
${sections.join('\n')}
${appendix}
</body></html>
`;
}
