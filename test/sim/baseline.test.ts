// The cycle baseline of the cluster test programs (test/cluster/programs): every program run with
// statistics, compared with test/sim/baseline/cluster-programs.json (see baseline/baseline.ts; the
// compiled networks are checked where test/compiler runs them).
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/runtime/build.js';
import { runCluster } from '../../src/sim/cluster/cluster.js';
import { build, CLUSTER_C, OUT } from '../cluster/helpers.js';
import { Baseline } from './baseline/baseline.js';

const baseline = new Baseline('cluster-programs');
afterAll(() => baseline.save());

/** name, defines, tag: the builds test/cluster uses (own ELF names: test files run in parallel). */
const PROGRAMS: [string, string[], string][] = [
  ['matmul', ['NCORES=1'], '-1'],
  ['matmul', ['NCORES=8'], '-8'],
  ['dma', ['MODE=1'], '-1'],
  ['dma', ['MODE=2'], '-2'],
  ['dma', ['MODE=3', 'BLK=8192', 'NBLK=8', 'WORK=2'], '-3'],
  ['dma', ['MODE=4'], '-4'],
  ['dma', ['MODE=5'], '-5'],
  ['banks', ['SAME_BANK'], '-same'],
  ['banks', [], '-spread'],
  ['barriers', [], ''],
  ...[1, 2, 3, 4, 5].map((k): [string, string[], string] => ['faults', [`CASE=${k}`], `-${k}`]),
];

describe('cycle baseline: cluster test programs', () => {
  for (const [name, defines, tag] of PROGRAMS)
    it(`${name}${tag}`, async () => {
      baseline.check(`${name}${tag}`, runCluster(await build(name, defines, `${tag}-baseline`), { stats: true }));
    });
  it('timing', async () => {
    const dir = join(import.meta.dirname, '..', 'cluster', 'programs');
    const elf = join(OUT, 'timing-baseline.elf');
    await buildProgram({ sources: [join(dir, 'timing.c'), join(dir, 'timing.S'), CLUSTER_C], out: elf });
    baseline.check('timing', runCluster(elf, { stats: true }));
  });
  it('the baseline has no entry for a program that is gone', () => expect(baseline.unchecked()).toEqual([]));
});
