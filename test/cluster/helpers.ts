// Build the C programs of test/cluster/programs with the runtime (+ cluster.c) into test/.out.
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildProgram, RUNTIME_DIR } from '../../src/runtime/build.js';

const here = dirname(fileURLToPath(import.meta.url));
export const OUT = join(here, '..', '.out', 'cluster');
export const CLUSTER_C = join(RUNTIME_DIR, 'cluster.c');

export async function build(name: string, defines: string[] = [], tag = ''): Promise<string> {
  const out = join(OUT, `${name}${tag}.elf`);
  const sources = [join(here, 'programs', `${name}.c`)];
  if (!sources.some((s) => s === CLUSTER_C)) sources.push(CLUSTER_C);
  await buildProgram({ sources, out, defines });
  return out;
}

export function text(b: Uint8Array): string {
  return new TextDecoder().decode(b);
}

/** key=value pairs of a program's output line starting with `prefix` */
export function fields(out: string, prefix: string): Record<string, number> {
  const line = out.split('\n').find((l) => l.startsWith(prefix));
  if (!line) throw new Error(`no line starting with "${prefix}" in output:\n${out}`);
  const r: Record<string, number> = {};
  for (const m of line.matchAll(/(\w+)=([0-9a-fx]+)/g)) r[m[1]!] = m[2]!.match(/[a-f]/) ? parseInt(m[2]!, 16) : Number(m[2]);
  return r;
}
