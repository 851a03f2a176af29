// `deeploy-sim report`: the HTML opens in headless Chromium with the network off, without console
// errors, with every chart drawing one mark per layer / core / buffer / energy entry.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHROMIUM, openReport } from './browser.js';
import { CONFORMANCE } from '../compiler/cases.js';

const MAIN = join(import.meta.dirname, '../../dist/src/cli/main.js');
export const OUT = join(process.cwd(), 'test', '.out', 'report');
const cli = (...args: string[]) => {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
};
const CASE = join(CONFORMANCE, 'Models', 'miniMobileNet');

describe.skipIf(!existsSync(CASE))('report of a build folder', () => {
  it('a tiled build: each layer\'s DMA wait (the generated counters, as run --profile prints them) is a cause of its own', () => {
    const build = join(OUT, 'mmn-4k');
    rmSync(build, { recursive: true, force: true });
    expect(cli('compile', CASE, '-o', build, '--l1', '4096').code).toBe(0);
    const prof = cli('run', build, '--profile');
    expect(prof.code).toBe(0);
    // layer  op  tiles  cycles  DMA-wait ...
    const waits = prof.out.split('\n').filter((l) => /^\S+\s+RQ(Conv|Gemm)\s/.test(l)).map((l) => Number(l.trim().split(/\s+/)[4]));
    const rec = JSON.parse(readFileSync(join(build, 'stats', readdirSync(join(build, 'stats')).filter((f) => f.endsWith('.json')).sort().pop()!), 'utf8'));
    expect(rec.attribution).toBe('marks');
    expect(waits).toHaveLength(rec.layers.length);
    expect(waits.some((w) => w > 0)).toBe(true);
    rec.layers.forEach((L: { cycles: number; causes: Record<string, number> }, k: number) => {
      expect(L.causes.dmaWait ?? 0).toBe(Math.min(waits[k]!, (L.causes.sleep ?? 0) + (L.causes.dmaWait ?? 0)));
      expect(Object.values(L.causes).reduce((a, b) => a + b, 0)).toBeCloseTo(L.cycles, 6);
    });
    const html = join(OUT, 'mmn-4k.html');
    expect(cli('report', build, '-o', html).code).toBe(0);
    expect(readFileSync(html, 'utf8')).toContain('DMA wait');
  });
  it('runs the program when no run is recorded, then draws every chart in Chromium, offline', async () => {
    const build = join(OUT, 'mmn');
    rmSync(build, { recursive: true, force: true });
    expect(cli('compile', CASE, '-o', build).code).toBe(0);
    const html = join(OUT, 'mmn.html');
    const r = cli('report', build, '-o', html);
    expect(r.err).toContain('no recorded run');
    expect(r.code).toBe(0);
    expect(readdirSync(join(build, 'stats')).filter((f) => f.endsWith('.json'))).toHaveLength(1);
    const text = readFileSync(html, 'utf8');
    expect(text).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/); // self-contained: no script, no remote resource
    const manifest = JSON.parse(readFileSync(join(build, 'manifest.json'), 'utf8'));
    const layers = manifest.layers.length as number;
    const rec = JSON.parse(readFileSync(join(build, 'stats', readdirSync(join(build, 'stats'))[0]!), 'utf8'));
    expect(rec.attribution).toBe('marks');
    for (const L of rec.layers) expect(Object.values(L.causes as Record<string, number>).reduce((a, b) => a + b, 0)).toBeCloseTo(L.cycles, 6);
    // the stall causes per layer (from the simulator's counters at the marks), not only busy and asleep
    const present = rec.layers.map((L: { causes: Record<string, number> }) => Object.values(L.causes).filter((v) => v > 0).length);
    const stallKeys = new Set(rec.layers.flatMap((L: { causes: Record<string, number> }) => Object.keys(L.causes).filter((k) => k.startsWith('stall.') && L.causes[k]! > 0)));
    expect(stallKeys.has('stall.bankConflict') && stallKeys.has('stall.div') && stallKeys.has('stall.loadUse')).toBe(true);
    expect(text).toContain('stall: L1 bank conflict');

    if (!CHROMIUM) return void console.warn('chromium not installed (apt-get install chromium): browser check skipped');
    mkdirSync(OUT, { recursive: true });
    const o = await openReport(html, join(OUT, 'report.png'));
    expect(o.errors).toEqual([]);
    expect(o.requests).toEqual([]);
    const byId = new Map(o.charts.map((c) => [c.id, c]));
    for (const c of o.charts) expect(c.marks, c.id).toBe(c.expected);
    // one bar per (layer, cause present)
    expect(byId.get('layers')!.marks).toBe(present.reduce((a: number, b: number) => a + b, 0));
    expect(byId.get('layers')!.marks).toBeGreaterThan(4 * layers);
    expect(byId.get('cores')!.marks).toBe(8);
    expect(byId.get('roofline')!.marks).toBe(layers + 3); // a point per layer, three memory roofs
    expect(byId.get('memory-L1')!.marks).toBe(manifest.buffers.filter((b: { level: string; size: number }) => b.level === 'L1' && b.size > 0).length);
    expect(byId.get('energy')!.marks).toBeGreaterThan(5);
    expect(o.tables).toBeGreaterThanOrEqual(o.charts.length);
    expect(existsSync(join(OUT, 'report.png'))).toBe(true);
  }, 120_000);

  it('uses the latest recorded run: `run` records, `report` draws it without running', () => {
    const build = join(OUT, 'mmn');
    expect(cli('run', build).code).toBe(0);
    expect(readdirSync(join(build, 'stats')).filter((f) => f.endsWith('.json')).length).toBeGreaterThanOrEqual(2);
    const r = cli('report', build, '-o', join(OUT, 'mmn2.html'), '--voltage', '0.65');
    expect(r.code).toBe(0);
    expect(r.err).not.toContain('no recorded run');
    expect(readFileSync(join(OUT, 'mmn2.html'), 'utf8')).toContain('at 0.65 V, 210 MHz');
  }, 60_000);
});

describe('report: bad input is one line, exit 2', () => {
  it('a folder that is not a build folder', () => {
    const dir = join(OUT, 'not-a-build');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'readme.txt'), 'x');
    const r = cli('report', dir, '-o', join(OUT, 'x.html'));
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toContain('not a build folder');
    expect(existsSync(join(OUT, 'x.html'))).toBe(false);
  });
  it('a missing path, and a voltage outside the measured range', () => {
    const r = cli('report', join(OUT, 'nowhere'), '-o', join(OUT, 'x.html'));
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    const dir = join(OUT, 'not-a-build');
    const v = cli('report', dir, '-o', join(OUT, 'x.html'), '--voltage', '1.2');
    expect(v.code).toBe(2);
    expect(v.err.trim().split('\n')).toHaveLength(1);
  });
});

const MODELS = join(process.cwd(), '..', 'shared', 'models');
describe.skipIf(!existsSync(join(MODELS, 'stories260K.bin')))('generate --engine sim --report', () => {
  it('one point per token in both charts, in Chromium with the network off', async () => {
    const html = join(OUT, 'tokens.html');
    const steps = 5;
    const r = cli('generate', '--engine', 'sim', '--model', join(MODELS, 'stories260K.bin'), '--tokenizer', join(MODELS, 'tok512.bin'), '--steps', String(steps), '--windows', 'none', '--report', html);
    expect(r.code, r.err).toBe(0);
    if (!CHROMIUM) return;
    const o = await openReport(html, join(OUT, 'tokens.png'));
    expect(o.errors).toEqual([]);
    expect(o.requests).toEqual([]);
    expect(o.charts.map((c) => [c.id, c.marks])).toEqual([['token-cycles', steps], ['token-energy', steps]]);
  }, 300_000);
  it('--report without --engine sim is bad usage', () => {
    const r = cli('generate', '--model', join(MODELS, 'stories260K.bin'), '--tokenizer', join(MODELS, 'tok512.bin'), '--report', join(OUT, 'x.html'));
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toHaveLength(1);
  });
});
