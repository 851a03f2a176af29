// `make demo`: a TinyStories story written by stories260K on the simulated 8-core chip.
// The model comes from ../shared/models when present, else from the local cache, else it is
// downloaded (llama2.c's public location, checked by SHA-256). Extra arguments go to `generate`.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DeeployError } from '../errors.js';
import { resolveStories260K } from '../llm/model-files.js';

const CLI = join(dirname(fileURLToPath(import.meta.url)), 'main.js');

async function main(argv: string[]): Promise<number> {
  const urlFlag = argv.indexOf('--model-url');
  const baseUrl = urlFlag >= 0 ? argv[urlFlag + 1] : undefined;
  const rest = urlFlag >= 0 ? [...argv.slice(0, urlFlag), ...argv.slice(urlFlag + 2)] : argv;
  let lastShown = -1;
  const files = await resolveStories260K({
    ...(baseUrl !== undefined ? { baseUrl } : {}),
    progress: (file, received, total) => {
      const pct = total !== undefined ? Math.floor((100 * received) / total) : -1;
      if (pct === lastShown) return;
      lastShown = pct;
      process.stderr.write(`\rdownloading ${file}: ${pct >= 0 ? `${pct}%` : `${received} bytes`}`);
      if (pct === 100) process.stderr.write('\n');
    },
  });
  process.stderr.write(`demo: stories260K from ${files.source === 'shared' ? files.model : `${files.model} (${files.source})`}\n`);
  const args = [CLI, 'generate', '--model', files.model, '--tokenizer', files.tokenizer, '--engine', 'sim', '--steps', '200', '--temperature', '0', ...rest];
  process.stderr.write(`demo: deeploy-sim ${args.slice(1).join(' ')}\n\n`);
  return spawnSync(process.execPath, args, { stdio: 'inherit' }).status ?? 1;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (!(err instanceof DeeployError)) throw err;
    process.stderr.write(`demo: ${err.message}\n`);
    process.exitCode = err.exitCode;
  },
);
