// The design-space grid of `deeploy-sim sweep`: comma lists per option, their cross product over
// the cases, in a fixed order (cases, then the options as declared), whatever runs the points.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InputError } from '../errors.js';
import { DEFAULT_OPERATING_POINT, fmaxAt, operatingPointProblem } from '../sim/energy.js';

/** One point: a case folder compiled and run with these options. */
export interface Point {
  case: string; // the case's name (folder name, or path below a searched folder)
  dir: string; // absolute case folder
  cores: number;
  l1: number;
  npu: 'on' | 'off';
  wmem: 'on' | 'off';
  freqMHz: number;
  voltage: number;
}

export interface GridOptions {
  cores?: string;
  l1?: string;
  npu?: string;
  wmem?: string;
  'freq-mhz'?: string;
  voltage?: string;
}

/** Whether the compiler can place layers on the NPU (compile --npu / --no-npu, src/compiler/npu/):
 * the npu axis is a compile option of each point (default on, as compile). */
export const COMPILER_HAS_NPU = true;

function list(option: string, text: string, parse: (v: string) => string | number | undefined, expected: string): (string | number)[] {
  const parts = text.split(',').map((s) => s.trim());
  return parts.map((p, k) => {
    const v = p === '' ? undefined : parse(p);
    if (v === undefined) throw new InputError(`--${option} ${text}: value ${k + 1} '${p}' is not ${expected}`);
    return v;
  });
}

const int = (lo: number, hi: number) => (s: string) => (/^\d+$/.test(s) && Number(s) >= lo && Number(s) <= hi ? Number(s) : undefined);
const onOff = (s: string) => (s === 'on' || s === 'off' ? s : undefined);

export function parseGrid(o: GridOptions): Omit<Point, 'case' | 'dir'>[] {
  const cores = list('cores', o.cores ?? '8', int(1, 8), 'an integer 1..8') as number[];
  const l1 = list('l1', o.l1 ?? String(256 * 1024), int(1024, 256 * 1024), 'a byte count 1024..262144') as number[];
  const npu = list('npu', o.npu ?? 'on', onOff, 'on or off') as ('on' | 'off')[];
  if (npu.includes('on') && !COMPILER_HAS_NPU) throw new InputError(`--npu ${o.npu}: 'on' is not available yet (the compiler has no NPU option); use --npu off`);
  const wmem = list('wmem', o.wmem ?? 'off', onOff, 'on or off') as ('on' | 'off')[];
  const volts = list('voltage', o.voltage ?? String(DEFAULT_OPERATING_POINT.voltage), (s) => (Number.isFinite(Number(s)) ? Number(s) : undefined), 'a number') as number[];
  const freqs = o['freq-mhz'] === undefined ? undefined : (list('freq-mhz', o['freq-mhz'], (s) => (Number(s) > 0 ? Number(s) : undefined), 'a positive number') as number[]);
  const out: Omit<Point, 'case' | 'dir'>[] = [];
  for (const c of cores)
    for (const l of l1)
      for (const n of npu)
        for (const w of wmem)
          for (const v of volts)
            for (const f of freqs ?? [Math.round(fmaxAt(v))]) {
              const problem = operatingPointProblem({ voltage: v, freqMHz: f });
              if (problem) throw new InputError(problem);
              out.push({ cores: c, l1: l, npu: n, wmem: w, freqMHz: f, voltage: v });
            }
  return out;
}

export function gridPoints(cases: { dir: string; name: string }[], o: GridOptions): Point[] {
  const grid = parseGrid(o);
  return cases.flatMap((c) => grid.map((g) => ({ case: c.name, dir: resolve(c.dir), ...g })));
}

const CASE_FILES = ['network.onnx', 'inputs.npz', 'outputs.npz'] as const;

/** A point with its case files inline: what a queue job carries (workers need no shared disk). */
export interface PointJob {
  point: Omit<Point, 'dir'>;
  files: Record<string, string>; // base64
}

export function pointJob(p: Point): PointJob {
  const files: Record<string, string> = {};
  for (const f of CASE_FILES) if (existsSync(join(p.dir, f))) files[f] = readFileSync(join(p.dir, f)).toString('base64');
  const { dir: _dir, ...point } = p;
  return { point, files };
}

/** Same case bytes and options -> same id: enqueuing a point twice runs it once. */
export function jobId(job: PointJob): string {
  const h = createHash('sha256');
  h.update(JSON.stringify(job.point));
  for (const f of Object.keys(job.files).sort()) h.update(`\0${f}\0${job.files[f]}`);
  return `pt-${h.digest('hex').slice(0, 32)}`;
}
