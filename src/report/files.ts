// Writing an output file whole or not at all (a reader never sees half a report or half a CSV).
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

export function writeFileAtomic(path: string, text: string): void {
  const full = resolve(path);
  mkdirSync(dirname(full), { recursive: true });
  const tmp = join(dirname(full), `.${basename(full)}.${process.pid}.tmp`);
  writeFileSync(tmp, text);
  renameSync(tmp, full);
}
