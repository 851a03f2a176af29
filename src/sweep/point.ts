// One sweep point: compile the case with the point's options, run it on the cluster, check it
// against the golden outputs and estimate its energy at the point's operating point. Everything
// in the row is a function of the case bytes and the options (no wall-clock figures), so the
// same point gives the same row on any worker.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileToFolder } from '../compiler/build-folder.js';
import { hostCheck, parseSummary } from '../compiler/golden-check.js';
import { DeeployError } from '../errors.js';
import { Cluster } from '../sim/cluster/cluster.js';
import { estimateEnergy } from '../sim/energy.js';
import type { Point, PointJob } from './grid.js';

export const ROW_COLUMNS = [
  'case', 'cores', 'l1', 'npu', 'wmem', 'freq_mhz', 'voltage', 'status', 'bit_exact', 'cycles', 'network_cycles',
  'energy_uj', 'avg_mw', 'l1_used', 'l2_used', 'wmem_used', 'detail',
] as const;
export type PointRow = Record<(typeof ROW_COLUMNS)[number], string | number | boolean>;

function baseRow(p: Omit<Point, 'dir'>): PointRow {
  return {
    case: p.case, cores: p.cores, l1: p.l1, npu: p.npu, wmem: p.wmem, freq_mhz: p.freqMHz, voltage: p.voltage,
    status: '', bit_exact: false, cycles: '', network_cycles: '', energy_uj: '', avg_mw: '', l1_used: '', l2_used: '', wmem_used: '', detail: '',
  };
}

/** Compile + run + check one point in a scratch folder (removed afterwards). */
export async function runPoint(p: Omit<Point, 'dir'>, caseDir: string): Promise<PointRow> {
  const row = baseRow(p);
  const work = mkdtempSync(join(tmpdir(), 'deeploy-sim-point-'));
  try {
    let manifest;
    try {
      ({ manifest } = await compileToFolder({ network: caseDir, outDir: join(work, 'build'), cores: p.cores, l1: p.l1, wmem: p.wmem === 'on', npu: p.npu === 'on' }));
    } catch (e) {
      if (!(e instanceof DeeployError)) throw e;
      return { ...row, status: 'compile-error', detail: e.message.split('\n')[0]!.replace(work, '<build>') };
    }
    const used = (level: string) => manifest.memory.levels.find((l) => l.level === level)?.used ?? 0;
    row.l1_used = used('L1');
    row.l2_used = used('L2');
    row.wmem_used = used('WMEM');
    const cl = new Cluster(join(work, 'build', 'network.elf'), { cores: p.cores, stats: true, freqMHz: p.freqMHz, maxCycles: 2e9 });
    const r = cl.run();
    row.cycles = r.cycles;
    if (r.fault) return { ...row, status: 'fault', detail: r.fault };
    const summary = parseSummary(Buffer.from(r.stdout).toString('utf8'));
    const host = hostCheck(join(work, 'build'), manifest, (a, n) => cl.memory.readBytes(a, n));
    const exact = r.exitCode === 0 && summary.errors === 0 && host.errors === 0 && summary.total === host.total;
    const energy = estimateEnergy(r.energy.counts, { voltage: p.voltage, freqMHz: p.freqMHz });
    return {
      ...row,
      status: exact ? 'ok' : 'mismatch',
      bit_exact: exact,
      network_cycles: summary.cycles ?? '',
      energy_uj: Number(energy.totalUJ.toFixed(4)),
      avg_mw: Number((energy.averageMw ?? 0).toFixed(3)),
      detail: exact ? '' : `Errors: ${host.errors} out of ${host.total}`,
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** A queue job: write the carried case files to a scratch folder, then run the point. */
export async function runPointJob(job: PointJob): Promise<PointRow> {
  const dir = mkdtempSync(join(tmpdir(), 'deeploy-sim-case-'));
  try {
    mkdirSync(dir, { recursive: true });
    for (const [f, b64] of Object.entries(job.files)) writeFileSync(join(dir, f), Buffer.from(b64, 'base64'));
    return await runPoint(job.point, dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
