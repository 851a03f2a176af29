// The cycle baseline (docs/simulator.md, "Exactness baseline"): cycles and per-core statistics of
// every compiled conformance case, golden case and cluster test program, checked in as JSON and
// asserted by the tests that already build and run those programs. The simulator's speed work must
// leave every number bit-identical; a change on purpose regenerates the files
// (`npm run baseline:update`) and the commit says why. Compiled networks also change when the
// compiler changes: regenerate after such a merge and check the diff only moves cycles you expect.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import type { ClusterResult } from '../../../src/sim/cluster/cluster.js';

const HERE = dirname(fileURLToPath(import.meta.url));
/** DSIM_BASELINE_UPDATE=1: record the runs instead of comparing (npm run baseline:update). */
export const UPDATING = process.env.DSIM_BASELINE_UPDATE === '1';

/** What the baseline keeps of a run: everything counted, nothing derived (energy) or host-side. */
export function baselineRecord(r: ClusterResult, networkCycles?: number): Record<string, unknown> {
  return {
    exitCode: r.exitCode,
    cycles: r.cycles,
    ...(networkCycles !== undefined ? { networkCycles } : {}),
    instructions: r.instructions,
    bankConflicts: r.bankConflicts,
    barriers: r.barriers,
    l2Accesses: r.l2Accesses,
    dma: r.dma,
    fault: r.fault ?? null,
    cores: r.cores.map((c) => ({
      instructions: c.instructions,
      cycles: c.cycles,
      sleepCycles: c.sleepCycles,
      l1Accesses: c.l1Accesses,
      stalls: c.stalls,
      instrClasses: c.instrClasses ?? null,
    })),
  };
}

/** One checked-in file of records, keyed by case name. */
export class Baseline {
  private readonly path: string;
  private readonly want: Record<string, unknown>;
  private readonly got: Record<string, unknown> = {};

  constructor(readonly name: string) {
    this.path = join(HERE, `${name}.json`);
    this.want = existsSync(this.path) ? (JSON.parse(readFileSync(this.path, 'utf8')) as Record<string, unknown>) : {};
  }

  /** Assert the run against the file (or record it when updating). The run needs `stats`. */
  check(key: string, r: ClusterResult, networkCycles?: number): void {
    const rec = JSON.parse(JSON.stringify(baselineRecord(r, networkCycles))) as unknown;
    this.got[key] = rec;
    if (UPDATING) return;
    const want = this.want[key];
    // the full L1 sweep (npm run test:full) runs budgets the rotating CI set does not record
    if (want === undefined && process.env.DSIM_FULL_SWEEP === '1') return;
    if (want === undefined) throw new Error(`baseline ${this.name}.json has no entry '${key}': run npm run baseline:update`);
    expect(rec, `cycles/statistics of '${key}' differ from test/sim/baseline/${this.name}.json`).toEqual(want);
  }

  /** Keys in the file that no test checked (a removed or renamed case). */
  unchecked(): string[] {
    if (UPDATING) return []; // the file is being rewritten from this run
    return Object.keys(this.want).filter((k) => !(k in this.got));
  }

  /** When updating: write what was recorded (keys sorted, one line per core: reviewable diffs). */
  save(): void {
    if (!UPDATING || Object.keys(this.got).length === 0) return;
    const keys = Object.keys(this.got).sort();
    const lines = keys.map((k) => {
      const { cores, ...rest } = this.got[k] as { cores: unknown[] };
      const body = JSON.stringify(rest).slice(1, -1);
      const coreLines = cores.map((c) => `      ${JSON.stringify(c)}`).join(',\n');
      return `  ${JSON.stringify(k)}: {${body},\n    "cores": [\n${coreLines}\n    ]}`;
    });
    writeFileSync(this.path, `{\n${lines.join(',\n')}\n}\n`);
  }
}
