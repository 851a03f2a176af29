// The fuzzing property over >= 5,000 seeded cases (1,000 per loader) in CI, in-process; a few
// cases end to end through the CLI check "nothing written on failure". Longer runs:
// `npm run fuzz -- --runs N [--seed S]` (FUZZ_RUNS / FUZZ_SEED here; FUZZ_REPORT=file.json
// writes the throughput figures that bench/fuzz.ts prints).
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import onnxProto from 'onnx-proto';
import { afterAll, describe, expect, it } from 'vitest';
import { formatNpz } from '../../src/frontend/npy.js';
import { fuzzLoader, LOADERS, type FuzzStats, type LoaderName } from './fuzz-harness.js';
import { cli, INPUT_X, namedGraph, tempDir } from './helpers.js';
import { writeOnnx } from '../../src/frontend/onnx.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 1000);
const SEED = Number(process.env.FUZZ_SEED ?? 20261206);
const stats: FuzzStats[] = [];

describe(`fuzzing: ${RUNS} seeded cases per loader (seed ${SEED})`, () => {
  for (const loader of Object.keys(LOADERS) as LoaderName[])
    it(`${loader}: exit 0 or 2, one line, bounded memory`, () => {
      const s = fuzzLoader(loader, RUNS, SEED);
      stats.push(s);
      expect(s.accepted + s.refused).toBe(RUNS);
      // the mutations must reach the checks, not only the happy path
      expect(s.refused).toBeGreaterThan(RUNS / 10);
    });
});

describe('end to end: nothing written on failure', () => {
  it('golden on mutated models leaves no output file when it exits 2', () => {
    const dir = tempDir('fuzz-cli');
    const inputs = join(dir, 'in.npz');
    writeFileSync(inputs, formatNpz([INPUT_X]));
    const seed = onnxProto.onnx.ModelProto.decode(writeOnnx(namedGraph((k) => `v${k}`)));
    const dims = fc.sample(fc.constantFrom(-1, 0, 3, 2 ** 31, 1e12), { seed: SEED, numRuns: 4 });
    dims.forEach((d, k) => {
      const m = onnxProto.onnx.ModelProto.decode(onnxProto.onnx.ModelProto.encode(seed).finish());
      m.graph!.initializer![k % m.graph!.initializer!.length]!.dims = [d];
      const net = join(dir, `m${k}.onnx`);
      writeFileSync(net, onnxProto.onnx.ModelProto.encode(m).finish());
      const out = join(dir, `m${k}.npz`);
      const r = cli(['golden', net, '--inputs', inputs, '-o', out]);
      expect([0, 2]).toContain(r.status);
      expect(r.stderr.trimEnd().split('\n').length).toBeLessThanOrEqual(1);
      expect(existsSync(out)).toBe(r.status === 0);
    });
  });
});

afterAll(() => {
  if (process.env.FUZZ_REPORT) writeFileSync(process.env.FUZZ_REPORT, JSON.stringify(stats, null, 1));
  for (const s of stats)
    console.log(`fuzz ${s.loader}: ${s.cases} cases (${s.accepted} accepted, ${s.refused} refused) in ${s.seconds.toFixed(2)} s = ${s.casesPerSecond.toFixed(0)} cases/s, max RSS ${s.maxRssMiB.toFixed(0)} MiB`);
});
