// The work a pool thread or a queue worker does, as plain data in and out (structured-clone safe).
import { testCase, type TestOptions } from '../compiler/test-runner.js';
import type { Point, PointJob } from './grid.js';
import { runPoint, runPointJob, type PointRow } from './point.js';

export interface CaseSummary {
  name: string;
  passed: boolean;
  cycles?: number;
  reason?: string;
  /** the first element that differs from the golden outputs */
  firstMismatch?: { output: string; index: number; expected: number; got: number };
  /** host seconds (compile + run), for JUnit's time attribute */
  seconds: number;
}

export type Task =
  | { kind: 'point'; point: Point }
  | { kind: 'job'; job: PointJob }
  | { kind: 'test'; dir: string; name: string; outDir: string; options: TestOptions };

export async function runTask(t: Task): Promise<PointRow | CaseSummary> {
  if (t.kind === 'point') {
    const { dir, ...p } = t.point;
    return runPoint(p, dir);
  }
  if (t.kind === 'job') return runPointJob(t.job);
  const t0 = performance.now();
  const r = await testCase(t.dir, t.outDir, t.options);
  const m = r.run?.host.mismatches[0];
  return {
    name: t.name,
    passed: r.passed,
    ...(r.cycles !== undefined ? { cycles: r.cycles } : {}),
    ...(r.reason !== undefined ? { reason: r.reason } : {}),
    ...(m ? { firstMismatch: m } : {}),
    seconds: (performance.now() - t0) / 1000,
  };
}
