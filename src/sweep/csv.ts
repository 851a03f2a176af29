// points.csv: one row per sweep point, RFC 4180 quoting, written whole (atomically) at the end.
import { readFileSync } from 'node:fs';
import { InputError } from '../errors.js';
import { writeOutputFile } from '../io/outputs.js';
import { ROW_COLUMNS, type PointRow } from './point.js';

const quote = (v: string | number | boolean) => {
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

export function pointsCsv(rows: PointRow[]): string {
  return [ROW_COLUMNS.join(','), ...rows.map((r) => ROW_COLUMNS.map((c) => quote(r[c])).join(','))].join('\n') + '\n';
}

export function writePointsCsv(path: string, rows: PointRow[]): void {
  writeOutputFile(path, pointsCsv(rows), '-o');
}

function parseLine(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let q = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (q) {
      if (ch === '"' && line[i + 1] === '"') (cur += '"'), i++;
      else if (ch === '"') q = false;
      else cur += ch;
    } else if (ch === '"') q = true;
    else if (ch === ',') out.push(cur), (cur = '');
    else cur += ch;
  }
  out.push(cur);
  return out;
}

/** Read a points.csv back (for `report points.csv`). */
export function readPointsCsv(path: string): PointRow[] {
  const lines = readFileSync(path, 'utf8').split('\n').filter((l) => l !== '');
  const head = parseLine(lines[0] ?? '');
  if (head.join(',') !== ROW_COLUMNS.join(',')) throw new InputError(`${path}: not a sweep points.csv (expected the header ${ROW_COLUMNS.join(',')})`);
  return lines.slice(1).map((l, k) => {
    const cells = parseLine(l);
    if (cells.length !== ROW_COLUMNS.length) throw new InputError(`${path}:${k + 2}: ${cells.length} cells, expected ${ROW_COLUMNS.length}`);
    const row = {} as PointRow;
    ROW_COLUMNS.forEach((c, i) => {
      const s = cells[i]!;
      row[c] = s === 'true' ? true : s === 'false' ? false : s !== '' && /^-?\d+(\.\d+)?$/.test(s) && c !== 'case' && c !== 'detail' ? Number(s) : s;
    });
    return row;
  });
}
