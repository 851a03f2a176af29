// Shared by the end-to-end tests: find case folders, compile + run each on the 8-core cluster.
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

export const CONFORMANCE = join(process.cwd(), '..', 'shared', 'conformance', 'deeploy');
/** Per process: several test runs (a colleague's full run, CI) may share the tree at once. */
export const OUT = join(process.cwd(), 'test', '.out', 'compiler', `run-${process.pid}`);

/** Build folders of passing cases are removed (microLlama's C is megabytes); failures stay. */
export function cleanUp(dir: string, passed: boolean): void {
  if (passed) rmSync(dir, { recursive: true, force: true });
}

export function findCases(root: string): { name: string; dir: string }[] {
  const out: { name: string; dir: string }[] = [];
  const walk = (d: string) => {
    if (existsSync(join(d, 'network.onnx'))) out.push({ name: relative(root, d), dir: d });
    for (const f of readdirSync(d).sort()) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
    }
  };
  if (existsSync(root)) walk(root);
  return out;
}

/**
 * L1 budgets of the end-to-end runs (issue 10): `make test` runs each case at one budget, rotating
 * over the list by case index; `npm run test:full` (DSIM_FULL_SWEEP=1) runs every case at all.
 */
export const L1_BUDGETS = [256 * 1024, 64000, 16000, 8000] as const;
export const FULL_SWEEP = process.env.DSIM_FULL_SWEEP === '1';
export function budgetsFor(index: number): number[] {
  return FULL_SWEEP ? [...L1_BUDGETS] : [L1_BUDGETS[index % L1_BUDGETS.length]!];
}

/** One compile configuration of an end-to-end run, and its label (test name and baseline key). */
export interface Variant {
  l1: number;
  npu: boolean;
  label: string;
}

/**
 * The configurations case `index` runs at: its budgets (budgetsFor), with the NPU on (the default)
 * for one group of four consecutive cases and off (the cluster's own kernels and tiles) for the
 * next, so that `make test` covers both engines at every budget; the full sweep runs both.
 */
export function variantsFor(index: number): Variant[] {
  const npus = FULL_SWEEP ? [true, false] : [Math.floor(index / L1_BUDGETS.length) % 2 === 0];
  return budgetsFor(index).flatMap((l1) => npus.map((npu) => ({ l1, npu, label: `--l1 ${l1}${npu ? '' : ' --no-npu'}` })));
}

/**
 * Cases whose smallest tile does not fit small budgets, with the minimum --l1 the compiler reports;
 * below it the compile must fail with exactly that message. Empty since convolutions split output
 * columns (with their halo) and GEMMs split K: every shared case runs at every budget of
 * L1_BUDGETS (the four convs once listed here run at --l1 8000: tile.test.ts).
 */
export const MIN_L1: Record<string, number> = {};
