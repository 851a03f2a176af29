// `npm run bench`: runs the exported run() of every bench/*.ts module (compiled to dist/bench/*.js).
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
for (const f of readdirSync(here).sort()) {
  if (!f.endsWith('.js') || f === 'index.js') continue;
  if (only.length && !only.some((o) => f.includes(o))) continue;
  const mod = (await import(pathToFileURL(join(here, f)).href)) as { run?: () => Promise<void> | void };
  if (typeof mod.run === 'function') await mod.run();
}
