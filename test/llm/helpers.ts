import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const MODELS = resolve(ROOT, '../shared/models');
export const MODEL = resolve(MODELS, 'stories260K.bin');
export const TOKENIZER = resolve(MODELS, 'tok512.bin');
export const EXPECTED_GREEDY = resolve(MODELS, 'expected-greedy.txt');
export const haveModels = existsSync(MODEL) && existsSync(TOKENIZER);
export const CLI = resolve(ROOT, 'dist/src/cli/main.js');

if (!haveModels) console.warn(`test/llm: ${MODELS} is absent: skipping the TinyStories tests`);

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI (npm run build first). */
export function cli(args: string[]): CliResult {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` before the LLM CLI tests`);
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 26 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
