#!/usr/bin/env node
// `npm run fuzz -- --runs N [--seed S] [--report file.json]`: the fuzzing property of
// fuzz.test.ts with N cases per loader (CI runs 1,000 per loader with a fixed seed).
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
let values;
try {
  ({ values } = parseArgs({ options: { runs: { type: 'string', default: '10000' }, seed: { type: 'string' }, report: { type: 'string' } } }));
} catch (e) {
  process.stderr.write(`fuzz: ${e.message} (usage: npm run fuzz -- --runs N [--seed S] [--report file.json])\n`);
  process.exit(2);
}
for (const [k, v] of [['runs', values.runs], ['seed', values.seed]])
  if (v !== undefined && !/^\d+$/.test(v)) {
    process.stderr.write(`fuzz: --${k} ${v}: expected a whole number\n`);
    process.exit(2);
  }
const env = { ...process.env, FUZZ_RUNS: values.runs, ...(values.seed ? { FUZZ_SEED: values.seed } : {}), ...(values.report ? { FUZZ_REPORT: values.report } : {}) };
const vitest = join(root, 'node_modules', 'vitest', 'vitest.mjs');
const r = spawnSync(process.execPath, [vitest, 'run', 'test/hardening/fuzz.test.ts', '--maxWorkers=1'], { cwd: root, env, stdio: 'inherit' });
process.exit(r.status ?? 1);
