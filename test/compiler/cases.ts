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
