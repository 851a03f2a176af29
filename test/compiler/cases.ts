// Shared by the end-to-end tests: find case folders, compile + run each on the 8-core cluster.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

export const CONFORMANCE = join(process.cwd(), '..', 'shared', 'conformance', 'deeploy');
export const OUT = join(process.cwd(), 'test', '.out', 'compiler');

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
