// `deeploy-sim sweep`: the same rows with -j 1 and -j 2; the same rows again through BullMQ on a
// real redis-server with two workers, one of them killed mid-job; bad input is one line, exit 2.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CONFORMANCE } from '../compiler/cases.js';
import { CHROMIUM, openReport } from './browser.js';

const MAIN = join(import.meta.dirname, '../../dist/src/cli/main.js');
const OUT = join(process.cwd(), 'test', '.out', 'report', `sweep-${process.pid}`);
const cli = (...args: string[]) => {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
};
const K = join(CONFORMANCE, 'Kernels', 'Integer');
const CASES = [join(K, 'GEMM', 'Batch_RQ'), join(K, 'Add', 'Regular')];
const GRID = ['--cores', '4,8', '--l1', '16000,64000', '--wmem', 'on,off'];
const REDIS = ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].find((p) => existsSync(p));

const started: ChildProcess[] = [];
afterAll(() => {
  for (const p of started) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
});

/** Wait until `p`'s stderr+stdout has a line matching `re` (or fail after `ms`). */
function waitFor(p: ChildProcess, re: RegExp, ms: number, seen: string[] = []): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${re}: ${seen.join('')}`)), ms);
    const check = (d: Buffer) => {
      seen.push(d.toString());
      if (re.test(seen.join(''))) {
        clearTimeout(timer);
        resolve();
      }
    };
    p.stdout?.on('data', check);
    p.stderr?.on('data', check);
  });
}

describe.skipIf(!CASES.every((c) => existsSync(c)))('sweep', () => {
  it('a 2x2x2 grid on two cases: one row per point, the same rows with -j 1 and -j 2', async () => {
    mkdirSync(OUT, { recursive: true });
    const a = cli('sweep', ...CASES, ...GRID, '-j', '1', '-o', join(OUT, 'j1.csv'));
    expect(a.code, a.err).toBe(0);
    const b = cli('sweep', ...CASES, ...GRID, '-j', '2', '-o', join(OUT, 'j2.csv'), '--report', join(OUT, 'pareto.html'));
    expect(b.code, b.err).toBe(0);
    const rows = readFileSync(join(OUT, 'j1.csv'), 'utf8').trim().split('\n');
    expect(rows).toHaveLength(1 + 2 * 8);
    expect(rows.slice(1).every((r) => r.includes(',ok,true,'))).toBe(true);
    expect(readFileSync(join(OUT, 'j2.csv'), 'utf8')).toBe(readFileSync(join(OUT, 'j1.csv'), 'utf8'));
    const html = readFileSync(join(OUT, 'pareto.html'), 'utf8');
    expect(html).toContain('data-chart="pareto"');
    expect(html).not.toContain('NPU axis is not available yet'); // the npu axis is a compile option now
    // `report points.csv` draws the same page from the CSV; in Chromium: a point per row and a
    // Pareto line per case
    const again = cli('report', join(OUT, 'j1.csv'), '-o', join(OUT, 'pareto2.html'));
    expect(again.code, again.err).toBe(0);
    if (!CHROMIUM) return;
    const o = await openReport(join(OUT, 'pareto2.html'), join(OUT, 'pareto.png'));
    expect(o.errors).toEqual([]);
    expect(o.requests).toEqual([]);
    expect(o.charts).toEqual([{ id: 'pareto', expected: 16 + 2, marks: 16 + 2 }]);
  }, 180_000);

  it.skipIf(!REDIS)('through BullMQ: two workers, one killed mid-job, give the complete identical rows', async () => {
    const port = 20000 + (process.pid % 20000);
    const redis = spawn(REDIS!, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
    started.push(redis);
    await waitFor(redis, /Ready to accept connections/, 10_000);
    const url = `redis://127.0.0.1:${port}`;
    const worker = (name: string) => {
      const w = spawn(process.execPath, [MAIN, 'worker', '--queue', url, '--lock-ms', '1500'], { stdio: ['ignore', 'pipe', 'pipe'] });
      started.push(w);
      return w;
    };
    const logA: string[] = [];
    const a = worker('a');
    const b = worker('b');
    const logB: string[] = [];
    await Promise.all([waitFor(a, /worker ready/, 20_000, logA), waitFor(b, /worker ready/, 20_000, logB)]);
    const sweep = spawn(process.execPath, [MAIN, 'sweep', ...CASES, ...GRID, '--queue', url, '--queue-timeout', '240', '-o', join(OUT, 'queue.csv')], { stdio: ['ignore', 'pipe', 'pipe'] });
    started.push(sweep);
    const sweepLog: string[] = [];
    const sweepDone = new Promise<number | null>((r) => sweep.on('exit', (code) => r(code)));
    sweep.stdout.on('data', (d: Buffer) => sweepLog.push(d.toString()));
    sweep.stderr.on('data', (d: Buffer) => sweepLog.push(d.toString()));
    // worker a finishes one point and has taken the next: kill it while that one runs
    await waitFor(a, /done pt-/, 120_000, logA);
    await new Promise((r) => setTimeout(r, 150));
    a.kill('SIGKILL');
    const code = await sweepDone;
    expect(code, sweepLog.join('')).toBe(0);
    // the point worker a was running when killed was run again, by worker b
    const ids = (re: RegExp, text: string) => [...text.matchAll(re)].map((m) => m[1]!);
    const a_ = logA.join('');
    const lost = ids(/start (pt-\w+)/g, a_).filter((id) => !ids(/done (pt-\w+)/g, a_).includes(id));
    expect(lost.length).toBeGreaterThan(0);
    for (const id of lost) expect(logB.join('')).toContain(`done ${id}`);
    expect(readFileSync(join(OUT, 'queue.csv'), 'utf8')).toBe(readFileSync(join(OUT, 'j1.csv'), 'utf8'));
    // enqueuing the same points again runs nothing: the finished jobs (same ids) answer at once
    const doneBefore = (logB.join('').match(/done pt-/g) ?? []).length;
    const again = cli('sweep', ...CASES, ...GRID, '--queue', url, '-o', join(OUT, 'queue2.csv'));
    expect(again.code, again.err).toBe(0);
    expect(readFileSync(join(OUT, 'queue2.csv'), 'utf8')).toBe(readFileSync(join(OUT, 'j1.csv'), 'utf8'));
    expect((logB.join('').match(/done pt-/g) ?? []).length).toBe(doneBefore);
    b.kill('SIGTERM');
    redis.kill('SIGTERM');
  }, 300_000);
});

describe('sweep and worker: bad input is one line, exit 2', () => {
  const one = (r: { code: number | null; err: string }, text: string) => {
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toContain(text);
  };
  it('an invalid grid value names the option and the value', () => {
    rmSync(join(OUT, 'bad.csv'), { force: true });
    one(cli('sweep', CASES[0]!, '--cores', '4,x', '-o', join(OUT, 'bad.csv')), "--cores 4,x: value 2 'x' is not an integer 1..8");
    one(cli('sweep', CASES[0]!, '--l1', '16000,', '-o', join(OUT, 'bad.csv')), '--l1 16000,');
    one(cli('sweep', CASES[0]!, '--npu', 'on,maybe', '-o', join(OUT, 'bad.csv')), "value 2 'maybe' is not on or off");
    one(cli('sweep', CASES[0]!, '--voltage', '0.9', '-o', join(OUT, 'bad.csv')), '--voltage 0.9');
    expect(existsSync(join(OUT, 'bad.csv'))).toBe(false);
  });
  it('an unreachable queue', () => {
    one(cli('sweep', CASES[0]!, '--queue', 'redis://127.0.0.1:1', '-o', join(OUT, 'bad.csv')), 'cannot reach Redis');
    one(cli('worker', '--queue', 'redis://127.0.0.1:1'), 'cannot reach Redis');
    one(cli('worker', '--queue', 'http://x'), 'expected a redis:// URL');
  });
});
