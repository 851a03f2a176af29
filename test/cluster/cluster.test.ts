// The cluster end to end: C programs built with the runtime (cluster.c) and run on the 8-core
// model. Expected values are derived by hand from the timing table (src/sim/platform/siracusa.ts,
// src/sim/cluster/timing.ts) or from the program itself (1-core vs 8-core), never read back from
// the simulator's own statistics.
import { describe, expect, it, beforeAll } from 'vitest';
import { readFileSync, mkdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { buildProgram } from '../../src/runtime/build.js';
import { runCluster, type ClusterResult } from '../../src/sim/cluster/cluster.js';
import { clusterTiming as CT } from '../../src/sim/cluster/timing.js';
import { siracusa } from '../../src/sim/platform/siracusa.js';
import { build, CLUSTER_C, OUT, fields, text } from './helpers.js';

const T = siracusa.timing;
const out = (r: ClusterResult) => text(r.stdout);

describe('parallel int8 matmul', () => {
  let one: ClusterResult, eight: ClusterResult;
  beforeAll(async () => {
    const [e1, e8] = await Promise.all([build('matmul', ['NCORES=1'], '-1'), build('matmul', ['NCORES=8'], '-8')]);
    one = runCluster(e1);
    eight = runCluster(e8);
  });
  it('8 cores compute the same matrix as 1 core', () => {
    expect(one.exitCode).toBe(0);
    expect(eight.exitCode).toBe(0);
    expect(fields(out(eight), 'matmul').checksum).toBe(fields(out(one), 'matmul').checksum);
  });
  it('8 cores take at most 1/6 of the cycles of 1 core', () => {
    const c1 = fields(out(one), 'matmul').cycles!;
    const c8 = fields(out(eight), 'matmul').cycles!;
    expect(c8).toBeLessThanOrEqual(c1 / 6);
  });
  it('the 7 workers sleep in the event unit until dispatched (1-core run: they never run the task)', () => {
    for (const c of one.cores.slice(1)) expect(c.instructions).toBeLessThan(100);
    for (const c of eight.cores.slice(1)) expect(c.instructions).toBeGreaterThan(10000);
  });
});

const HAVE_QEMU = spawnSync('qemu-riscv32', ['--version']).status === 0;
describe.skipIf(!HAVE_QEMU)('hosted fallback (qemu-riscv32, one core, DMA as copies)', () => {
  it('the same programs give the same results under qemu-riscv32', async () => {
    const mm = spawnSync('qemu-riscv32', [await build('matmul', ['NCORES=8'], '-8')], { encoding: 'utf8' });
    const sim = runCluster(await build('matmul', ['NCORES=1'], '-1'));
    expect(fields(mm.stdout, 'matmul').checksum).toBe(fields(out(sim), 'matmul').checksum);
    const d = spawnSync('qemu-riscv32', [await build('dma', ['MODE=1'], '-1')], { encoding: 'utf8' });
    expect(d.stdout).toContain('dma-exact ok');
    const b = spawnSync('qemu-riscv32', [await build('barriers')], { encoding: 'utf8' });
    expect(b.stdout).toContain('errors=0');
  });
});

describe('determinism', () => {
  it('two runs give identical cycles, statistics and output', async () => {
    const e = await build('matmul', ['NCORES=8'], '-8');
    const a = runCluster(e);
    const b = runCluster(e);
    const c = runCluster(e, { trace: true }); // tracing observes, it does not change the run
    expect(JSON.stringify({ ...a, trace: undefined })).toBe(JSON.stringify({ ...b, trace: undefined }));
    expect(JSON.stringify({ ...c, trace: undefined })).toBe(JSON.stringify({ ...a, trace: undefined }));
  });
});

describe('exact cycles, one snippet per row of the timing table', () => {
  let d: Record<string, number>;
  beforeAll(async () => {
    const dir = join(import.meta.dirname, 'programs');
    const elf = join(OUT, 'timing.elf');
    await buildProgram({ sources: [join(dir, 'timing.c'), join(dir, 'timing.S'), CLUSTER_C], out: elf });
    const r = runCluster(elf);
    expect(r.exitCode).toBe(0);
    d = {};
    for (const m of out(r).matchAll(/^(t_\w+)=(\d+)$/gm)) d[m[1]!] = Number(m[2]) ;
    const empty = d.t_empty!;
    for (const k of Object.keys(d)) d[k] = d[k]! - empty; // cycles of the body alone
  });
  // hand-derived: each instruction 1 cycle unless the table says otherwise
  it('most instructions: 1 cycle', () => expect(d.t_alu).toBe(4));
  it('load without use: 1 cycle + 1 for the next instruction', () => expect(d.t_load_nouse).toBe(2));
  it('load-use: +1 stall', () => expect(d.t_load_use).toBe(2 + T.loadUse));
  it('taken branch: 3 cycles', () => expect(d.t_branch_taken).toBe(T.branchTaken));
  it('branch not taken: 1 cycle', () => expect(d.t_branch_not_taken).toBe(1));
  it('jal / jalr: 2 cycles', () => {
    expect(d.t_jal).toBe(T.jump);
    expect(d.t_jalr).toBe(T.jump);
  });
  it('mul: 1, mulh: 5', () => {
    expect(d.t_mul).toBe(1);
    expect(d.t_mulh).toBe(T.mulh);
  });
  it('div: 3 + clz(divisor), i.e. 3..35', () => {
    expect(d.t_div_by_1).toBe(T.divBase + 31);
    expect(d.t_div_by_2pow30).toBe(T.divBase + 1);
    expect(d.t_div_by_0).toBe(35);
  });
  it('misaligned access: +1', () => expect(d.t_misaligned).toBe(1 + T.misaligned));
  it('MAC and SIMD dot product: 1', () => {
    expect(d.t_mac).toBe(1);
    expect(d.t_sdotsp).toBe(1);
  });
  it('hardware loop: zero overhead (lp.setupi 1 + 10 x 3)', () => expect(d.t_hwloop).toBe(1 + 10 * 3));
  it('L2 load from a cluster core: 1 + interconnect latency; stores posted', () => {
    expect(d.t_l2_load).toBe(1 + T.l2Load);
    expect(d.t_l2_store).toBe(1);
  });
  it('weight-memory load: 1 + the cluster interconnect (platform cluster.wmemLoad)', () => expect(d.t_wmem_load).toBe(1 + CT.wmemLoad));
  it('plain peripheral register read: 1, like any load (no extra latency modelled)', () => expect(d.t_periph_read).toBe(1));
  it('p.elw with the event already buffered: the request latency (6)', () => expect(d.t_elw_ready).toBe(CT.eventRequestLatency));
  it('DMA 256 B L2 -> L1 + event wait: 4 register accesses, setup, latency, 256/8 beats, wake-up', () => {
    // the transfer starts at the 4th access; the p.elw sleeps and resumes 2 cycles after completion
    expect(d.t_dma_256).toBe(4 + CT.dmaSetupCycles + CT.dmaL2Latency + 256 / CT.dmaBytesPerCycle + CT.eventWakeup);
  });
});

describe('DMA', () => {
  it('1D and 2D copies, both directions, are bit-exact', async () => {
    const r = runCluster(await build('dma', ['MODE=1'], '-1'));
    expect(out(r)).toContain('dma-exact ok');
    expect(r.exitCode).toBe(0);
    expect(r.dma.bytesL2ToL1).toBe(1001 + 178);
    expect(r.dma.bytesL1ToL2).toBe(999 + 178);
  });
  it('8 cores with two transfers each in flight: every byte arrives, every core is woken', async () => {
    const r = runCluster(await build('dma', ['MODE=5'], '-5'));
    expect(r.fault).toBeUndefined();
    expect(out(r)).toContain('dma8 bad=0');
    expect(r.dma.transfers).toBe(16);
    expect(r.dma.bytesL2ToL1).toBe(8 * 2048);
  });
  it('the bytes land at completion: read before the wait -> old bytes, after -> new', async () => {
    const r = runCluster(await build('dma', ['MODE=4'], '-4'));
    expect(fields(out(r), 'race')).toEqual({ early: 0xaa, late: 6 });
  });
  it('a 64 KiB L2 -> L1 copy runs within 5% of 8 B/cycle', async () => {
    const r = runCluster(await build('dma', ['MODE=2'], '-2'));
    expect(r.exitCode).toBe(0);
    const cycles = fields(out(r), 'dma64k').cycles!;
    const ideal = 65536 / 8;
    expect(Math.abs(cycles - ideal) / ideal).toBeLessThan(0.05);
  });
  it('double buffering saves what the model predicts: (blocks - 1) x transfer time', async () => {
    const r = runCluster(await build('dma', ['MODE=3', 'BLK=8192', 'NBLK=8', 'WORK=2'], '-3'));
    expect(r.exitCode).toBe(0);
    const f = fields(out(r), 'dbuf');
    expect(f.same).toBe(1);
    expect(f.double).toBeLessThan(f.serial!);
    // Model: a lone 8 KiB transfer takes setup + latency + 8192/8 cycles. With more compute per
    // block than that, every transfer but the first hides behind the previous block's compute.
    // Tolerance 10%: in the serial loop the ~30 instructions of dsim_dma_wait before it sleeps
    // overlap the transfer, and the wake-up (+2) is saved too; both are small next to 1039.
    const transfer = CT.dmaSetupCycles + CT.dmaL2Latency + 8192 / CT.dmaBytesPerCycle;
    expect(f.compute).toBeGreaterThan(transfer);
    const predicted = 7 * transfer;
    const saved = f.serial! - f.double!;
    expect(Math.abs(saved - predicted) / predicted).toBeLessThan(0.1);
  });
});

describe('L1 bank conflicts', () => {
  it('8 cores hammering one bank cost about 8x the cycles of 8 cores on 8 banks', async () => {
    const [same, spread] = await Promise.all([build('banks', ['SAME_BANK'], '-same'), build('banks', [], '-spread')]);
    const a = runCluster(same);
    const b = runCluster(spread);
    const ca = fields(out(a), 'banks').cycles!;
    const cb = fields(out(b), 'banks').cycles!;
    // 4096 loads per core, 64 per loop iteration + 2 loop instructions (addi 1, taken bne 3):
    // spread: 64 + 4 = 68 cycles per iteration; one bank: 8 x 64 = 512 cycles per iteration.
    // The fork / join overhead is the same in both.
    expect(ca / cb).toBeGreaterThan(6);
    expect(ca / cb).toBeLessThan(9);
    // one bank serves one access per cycle: 8 x 4096 accesses need >= 32768 cycles
    expect(ca).toBeGreaterThanOrEqual(8 * 4096);
    expect(a.bankConflicts).toBeGreaterThan(100_000);
    expect(b.bankConflicts).toBeLessThan(100);
  });
});

describe('barriers', () => {
  it('1000 barriers x 2 across 8 cores with random work: no lost wake-up, no deadlock', async () => {
    const r = runCluster(await build('barriers'));
    expect(r.fault).toBeUndefined();
    expect(out(r)).toContain('barriers rounds=1000 errors=0');
    expect(r.barriers).toBe(2000 + 1); // + the join barrier of the fork
  });
});

describe('trace', () => {
  it('is Chrome trace-event JSON with one track per core and one for the DMA', async () => {
    const r = runCluster(await build('dma', ['MODE=3', 'BLK=8192', 'NBLK=8', 'WORK=2'], '-3'), { trace: true });
    mkdirSync(OUT, { recursive: true });
    const p = join(OUT, 'trace.json');
    r.trace!.write(p);
    const j = JSON.parse(readFileSync(p, 'utf8')) as { traceEvents: { ph: string; tid: number; name: string; args?: { name?: string } }[] };
    const names = j.traceEvents.filter((e) => e.name === 'thread_name').map((e) => e.args!.name);
    expect(names).toEqual([...Array.from({ length: 8 }, (_, c) => `core ${c}`), 'DMA (MCHAN)']);
    const spans = j.traceEvents.filter((e) => e.ph === 'X');
    expect(spans.filter((e) => e.name === 'sleep' && e.tid === 1).length).toBeGreaterThan(0);
    expect(spans.filter((e) => e.name === 'busy' && e.tid === 0).length).toBeGreaterThan(0);
    expect(spans.filter((e) => e.tid === 100).length).toBe(8 + 8 + 1); // serial, double-buffered, lone copy
    expect(readFileSync(p).length).toBeLessThan(100_000);
  });
});

describe('bad input: simulated faults, exit code 3', () => {
  const cases: [number, RegExp][] = [
    [1, /DMA: external address range 0x30000000\.\.0x30000040 is not in L2 or weight memory/],
    [2, /DMA: transfer of length 0/],
    [3, /DMA: unsupported mode 2D_TCDM/],
    [4, /no readable register at \+0x7f0/],
    [5, /deadlock: every core is asleep and no event is pending: core 0 pc 0x[0-9a-f]{8}.*core 7 pc 0x[0-9a-f]{8}/],
  ];
  for (const [k, re] of cases) {
    it(`case ${k}: ${re.source.slice(0, 40)}`, async () => {
      const r = runCluster(await build('faults', [`CASE=${k}`], `-${k}`));
      expect(r.exitCode).toBe(3);
      expect(r.fault).toMatch(re);
      expect(out(r)).not.toContain('not reached');
    });
  }
});
