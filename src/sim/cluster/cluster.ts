// The 8-core cluster: cores sharing one Memory, the event unit, MCHAN, the L1 bank arbiter, and a
// deterministic scheduler. Scheduling: always run the awake core with the smallest cycle count,
// for at most (second smallest + quantum - its cycles) instructions (every instruction takes at
// least one cycle, so it stops at most `quantum` cycles ahead of the others, plus one instruction's
// stalls). Bank bookings tolerate that skew (banks.ts). Nothing depends on wall-clock time or on
// iteration order of hash maps, so the same program gives the same cycles and bytes every run.
import { FaultError } from '../../errors.js';
import { ClusterCore } from './cluster-core.js';
import { Core } from '../core.js';
import { parseElf, loadElf, readElfFile } from '../elf.js';
import { Memory, Region, WATCH_CODE, WATCH_SHIFT } from '../memory.js';
import { siracusa, type Platform } from '../platform/siracusa.js';
import { BankTracker } from './banks.js';
import { Level, Mchan, type DmaMemory, type DmaTransferInfo } from './dma.js';
import { EventUnit, EVT, Sleep } from './event-unit.js';
import { ClusterPeripherals, PERIPH } from './periph.js';
import type { ClusterDevice, ClusterDeviceFactory, EngineStats } from './device.js';
import { chipDevices } from './chip.js';
import type { ClusterTiming } from './timing.js';
import { TraceWriter } from './trace.js';
import { energyCountsOfClasses, estimateEnergy, type EnergyReport } from '../energy.js';
import type { CoreStall } from '../jit.js';
import type { InstrClass } from '../../../isa/table.js';

/** Stall causes counted per core (cycles). `pipeline` is the core's own stalls (load-use + taken
 * branch + jump + mulh + div/rem + misaligned); with `stats` it is the sum of those causes
 * (CORE_STALLS keys, counted by the core), without it the remainder cycles - sleep - instructions
 * - the causes the cluster sees. The others are counted where they happen. Sleep is separate. */
export const STALL_CAUSES = ['pipeline', 'bankConflict', 'l2', 'wmem', 'event', 'dmaQueue'] as const;
export type StallCause = (typeof STALL_CAUSES)[number];

/** PULP apb_soc_ctrl base (ARCHI_APB_SOC_CTRL_ADDR = SoC peripherals + 0x4000). */
export const SOC_CTRL_BASE = 0x1a104000;

/** Thrown by a cluster device; the cluster turns it into a fault of the accessing core. */
export class DeviceFault extends Error {}

export interface ClusterOptions {
  cores?: number;
  platform?: Platform;
  timing?: ClusterTiming;
  /** scheduler skew bound in cycles (default 512: long slices run compiled blocks and cost little to switch) */
  quantum?: number;
  maxCycles?: number;
  maxInstructions?: number;
  trace?: boolean;
  /** turn off L1 bank arbitration (for measuring its cost) */
  noBankConflicts?: boolean;
  onOutput?: (fd: number, bytes: Uint8Array) => void;
  /** called after each retired instruction (single-steps the scheduler: slow) */
  onRetire?: (core: ClusterCore, pc: number, raw: number, text: string) => void;
  freqMHz?: number;
  /** per-core stall causes and instruction classes (Core `stats`; ~10% slower on branchy code) */
  stats?: boolean;
  /** devices besides the event unit and MCHAN (default: the chip's, chip.ts: the NPU) */
  devices?: readonly ClusterDeviceFactory[];
}

export interface CoreStats {
  core: number;
  instructions: number;
  cycles: number;
  sleepCycles: number;
  stalls: Record<StallCause, number> & Partial<Record<CoreStall, number>>;
  /** retired instructions by class (with `stats`) */
  instrClasses?: Record<InstrClass, number>;
  l1Accesses: number;
  utilisation: number;
}

export interface ClusterResult {
  exitCode: number;
  stdout: Uint8Array;
  cycles: number;
  instructions: number;
  cores: CoreStats[];
  /** cycles lost to L1 bank conflicts, all cores (+1 per conflict, platform.md) */
  bankConflicts: number;
  barriers: number;
  /** core loads and stores to L2 (all cores) */
  l2Accesses: number;
  dma: { transfers: number; bytesL2ToL1: number; bytesL1ToL2: number; bytesWmemToL1: number; bytesL1ToWmem: number; busyCycles: number };
  /** statistics of the job engines among the devices, by device name (the NPU: `npu`) */
  engines: Record<string, EngineStats>;
  /** retired instructions by class, all cores (with `stats`) */
  instrClasses?: Record<InstrClass, number>;
  energy: EnergyReport;
  fault?: string;
  trace?: TraceWriter;
  elf: string;
}

/**
 * v as a small integer when it is one. The devices keep their times in Float64Arrays, so a time
 * they hand over is a boxed double in V8 even when it is an integer; stored into a core's
 * `cycles` (a wake-up) it turned that field into a double field mid-run, which threw away the
 * optimised code of everything that touches a core (Core.run, the block interpreter, the access
 * methods, the bank model: a dozen deoptimisations and recompiles a network run) and made every
 * later read in V8's lower tiers allocate. Beyond 2^30 cycles the field becomes a double anyway.
 */
export const small = (v: number): number => ((v | 0) === v ? v | 0 : v);

/** Shortest slice: the core runs compiled blocks only when a slice has room for one (jit.ts). */
const MIN_SLICE = 64;

const hex = (v: number) => '0x' + (v >>> 0).toString(16).padStart(8, '0');

export class Cluster {
  readonly memory: Memory;
  readonly cores: ClusterCore[];
  readonly n: number;
  readonly eu: EventUnit;
  readonly dma: Mchan;
  readonly banks: BankTracker;
  readonly periph: ClusterPeripherals;
  /** every device on the peripheral region: MCHAN first, then opts.devices */
  readonly devices: readonly ClusterDevice[];
  readonly timing: ClusterTiming;
  readonly trace: TraceWriter | undefined;
  readonly quantum: number;
  /** per core: sleep cycles, extra stall cycles by cause added by the cluster devices */
  readonly sleepCycles: Float64Array;
  readonly eventStall: Float64Array;
  readonly dmaStall: Float64Array;
  /** wfi sleeps (no retried access) vs device sleeps */
  private readonly wfi: Uint8Array;
  private readonly busySince: Float64Array;
  readonly stdout: Uint8Array[] = [];

  constructor(elfPath: string, readonly opts: ClusterOptions = {}) {
    const platform = opts.platform ?? siracusa;
    this.n = Math.max(1, Math.min(opts.cores ?? platform.cores, platform.cores));
    this.timing = opts.timing ?? platform.cluster;
    this.quantum = opts.quantum ?? 512;
    const img = parseElf(readElfFile(elfPath), elfPath);
    this.memory = new Memory(platform);
    loadElf(img, this.memory, elfPath, true);
    const n = this.n;
    this.sleepCycles = new Float64Array(n);
    this.eventStall = new Float64Array(n);
    this.dmaStall = new Float64Array(n);
    this.wfi = new Uint8Array(n);
    this.busySince = new Float64Array(n);
    this.trace = opts.trace ? new TraceWriter(n) : undefined;
    this.banks = new BankTracker(this.timing.l1Banks);
    const host = {
      write: (fd: number, bytes: Uint8Array) => {
        if (fd === 1) this.stdout.push(bytes);
        this.opts.onOutput?.(fd, bytes);
      },
    };
    this.cores = [];
    const tohost = img.symbols.get('tohost');
    for (let c = 0; c < n; c++) {
      const core = new ClusterCore(this.memory, { hartId: c, host, stats: opts.stats }, opts.noBankConflicts ? null : this.banks);
      core.reset(img.entry);
      if (tohost !== undefined) core.tohost = tohost;
      this.cores.push(core);
    }
    if (tohost !== undefined) this.memory.watchToHost(tohost);
    const fault = (c: number, m: string): never => {
      throw new DeviceFault(m);
    };
    this.eu = new EventUnit(n, this.timing, {
      wake: (c, t, v) => this.wakeCore(c, t, v),
      fault,
      time: (c) => this.cores[c]!.cycles,
      sync: (t) => this.applyDue(t),
    });
    this.dma = new Mchan(n, this.timing, this.dmaMemory(), {
      event: (c, t) => this.eu.post(1 << c, EVT.dma0, t),
      fault,
      transfer: (i) => this.onTransfer(i),
      written: (bytes, off, len) => {
        const r = this.memory.regions.find((x) => x.bytes === bytes);
        if (r) invalidateRange(r, off, Math.min(len, r.size - off));
      },
    });
    const ctx = {
      cores: n, memory: this.memory, timing: this.timing, banks: opts.noBankConflicts ? null : this.banks, quantum: this.quantum, trace: this.trace,
      event: (mask: number, line: number, t: number) => this.eu.post(mask, line, t),
      fault,
      coreCounters: (out: Float64Array) => this.coreCounters(out),
      engineBusy: () => Object.fromEntries(this.devices.flatMap((d) => { const s = d.engineStats?.(); return s ? [[d.name, s.busyCycles]] : []; })),
    };
    this.devices = [this.dma, ...(opts.devices ?? chipDevices).map((f) => f(ctx))];
    this.periph = new ClusterPeripherals(n, this.timing, this.eu, this.devices, {
      cycle: (c) => this.cores[c]!.cycles,
      stall: (c, k, cause) => {
        const core = this.cores[c]!;
        if (cause === 'sleep') {
          // slept without leaving the core's run: it resumes k cycles later
          const s = core.cycles;
          core.cycles = small(s + k);
          this.sleepCycles[c] += k;
          if (this.trace) {
            this.trace.core(c, 'busy', this.busySince[c]!, s);
            this.trace.core(c, 'sleep', s, core.cycles);
            this.busySince[c] = core.cycles;
          }
          return;
        }
        core.cycles = small(core.cycles + k);
        if (cause === 'dma') {
          this.dmaStall[c] += k;
          if (this.trace) this.traceStall(c, k, 'dma-queue');
        } else this.eventStall[c] += k;
      },
      fault,
    });
    this.mapDevices();
  }

  private mapDevices(): void {
    // SoC control INFO (PULP apb_soc_ctrl: cores [31:16], clusters [15:0]): how many cores fork may use
    const info = ((this.n << 16) | 1) >>> 0;
    this.memory.mapDevice(SOC_CTRL_BASE, 0x4, {
      read: () => info | 0,
      write: () => {
        throw new DeviceFault(`SoC control INFO register (0x${SOC_CTRL_BASE.toString(16)}) is read-only`);
      },
    });
    const base = this.memory.platform.clusterPeripherals.base;
    const p = this.periph;
    const windows: [number, number][] = [[PERIPH.timer, 0x400], [PERIPH.eu, PERIPH.euSize], [PERIPH.mchan, PERIPH.mchanSize], [PERIPH.demux, 0x800]];
    const covered = (o: number) => windows.some(([b, sz]) => o >= b && o < b + sz);
    for (const d of this.devices) for (const [o, sz] of d.windows) if (!covered(o)) windows.push([o, sz]);
    for (const [off, size] of windows) {
      this.memory.mapDevice(base + off, size, {
        read: (c, o, s) => p.read(c, off + o, s),
        write: (c, o, s, v) => p.write(c, off + o, s, v),
      });
    }
  }

  /** Per core: its clock, 1 if it sleeps, then its cycles by cause as result() counts them, in
   * COUNTED_CAUSES order (layer-marks.ts), 2 + COUNTED_CAUSES.length numbers a core: what the
   * profile marker snapshots. */
  coreCounters(out: Float64Array): void {
    const own = Core.stallsOf(this.cores);
    const w = out.length / this.n;
    for (let c = 0; c < this.n; c++) {
      const core = this.cores[c]!;
      const o = c * w;
      // element by element: an array literal of these (small integers and doubles) was garbage
      // at every mark and deoptimised the marker when its elements kind changed
      out[o] = core.cycles;
      out[o + 1] = core.sleeping ? 1 : 0;
      out[o + 2] = this.sleepCycles[c]!;
      out[o + 3] = core.bankStall;
      out[o + 4] = core.l2Stall;
      out[o + 5] = core.wmemStall;
      out[o + 6] = this.eventStallOf(c);
      out[o + 7] = this.dmaStall[c]!;
      out.set(own[c]!, o + 8);
    }
  }

  /** Core c's event stalls so far. A core asleep in a device access (not in wfi): its blocked
   * attempt (charged, not retired) is one more, as wakeCore counts it for the attempts retried. */
  private eventStallOf(c: number): number {
    return this.eventStall[c]! + (this.cores[c]!.sleeping && this.wfi[c] === 0 ? 1 : 0);
  }

  /** Memory effects of every device due at or before cycle t. */
  private applyDue(t: number): void {
    const d = this.devices;
    for (let i = 0; i < d.length; i++) d[i]!.applyDue(t);
  }

  private nextDue(): number {
    let m = Infinity;
    const d = this.devices;
    for (let i = 0; i < d.length; i++) {
      const x = d[i]!.nextDue();
      if (x < m) m = x;
    }
    return m;
  }

  /** Run the devices with their own clock up to cycle t; the earliest work left while cores sleep. */
  private advance(t: number): void {
    const d = this.devices;
    for (let i = 0; i < d.length; i++) d[i]!.advance?.(t);
  }
  private nextWork(): number {
    let m = Infinity;
    for (const d of this.devices) {
      const x = d.nextWork?.() ?? Infinity;
      if (x < m) m = x;
    }
    return m;
  }

  private dmaMemory(): DmaMemory {
    const m = this.memory;
    return {
      resolve: (addr, len) => {
        const f = m.find(addr);
        if (!f || len <= 0 || f.offset + len > f.region.size) return null;
        const level = f.region === m.l1 ? Level.l1 : f.region === m.l2 ? Level.l2 : Level.wmem;
        return { bytes: f.region.bytes, offset: f.offset, level };
      },
    };
  }

  private onTransfer(i: DmaTransferInfo): void {
    if (this.trace) {
      const lv = ['L1', 'L2', 'WMEM'][i.extLevel]!;
      this.trace.dma(i.start, i.end, `${i.ext2loc ? lv + '->L1' : 'L1->' + lv} ${i.twoD ? '2D' : '1D'} #${i.id}`, {
        core: i.core, bytes: i.bytes, ext: hex(i.ext), loc: hex(i.loc),
      });
    }
  }

  private traceStall(c: number, k: number, cause: string): void {
    const t1 = this.cores[c]!.cycles;
    this.trace!.core(c, 'busy', this.busySince[c]!, t1 - k);
    this.trace!.core(c, 'stall', t1 - k, t1, cause);
    this.busySince[c] = t1;
  }

  /** The event unit woke core c: it resumes at cycle t; a retried load returns v. */
  private wakeCore(c: number, t: number, v: number): void {
    const core = this.cores[c]!;
    const start = this.eu.sleepStart[c]!;
    const wasWfi = this.wfi[c] === 1;
    if (wasWfi) this.wfi[c] = 0;
    else {
      this.periph.delivered(c, v);
      this.eventStall[c] += 1; // the blocked first attempt of the load (its retry retires)
    }
    // the retried load costs its 1 cycle again: resume one cycle early
    const resume = wasWfi ? t : t - 1;
    if (resume > core.cycles) {
      this.sleepCycles[c] += resume - core.cycles;
      core.cycles = small(resume);
    }
    if (this.trace) {
      this.trace.core(c, 'busy', this.busySince[c]!, start);
      this.trace.core(c, 'sleep', start, t);
      this.busySince[c] = t;
    }
    core.wake();
  }

  /** Run until core 0 (or any core) exits, a fault, a deadlock or a limit. */
  run(): ClusterResult {
    const cores = this.cores;
    const n = this.n;
    const eu = this.eu;
    const q = this.quantum;
    const maxC = this.opts.maxCycles ?? Infinity;
    const maxI = this.opts.maxInstructions ?? Infinity;
    let exited = -1;
    let fault: string | undefined;
    outer: for (;;) {
      let best = -1;
      let bestT = Infinity;
      let second = Infinity;
      for (let c = 0; c < n; c++) {
        const core = cores[c]!;
        if (core.sleeping) continue;
        const t = core.cycles;
        if (t < bestT) {
          second = bestT;
          bestT = t;
          best = c;
        } else if (t < second) second = t;
      }
      if (best >= 0) this.advance(bestT);
      const due = eu.nextPending();
      if (best < 0) {
        if (this.nextWork() < due) {
          // every core sleeps: devices with their own clock run on (they may raise an earlier event)
          this.advance(due);
          continue;
        }
        if (due !== Infinity) {
          this.applyDue(due); // the bytes land before the completion event is seen
          eu.deliverDue(due);
          continue;
        }
        fault = this.deadlockMessage();
        break;
      }
      const copyDue = this.nextDue();
      if (copyDue <= bestT) this.applyDue(bestT);
      if (due <= bestT) {
        eu.deliverDue(bestT);
        continue;
      }
      if (bestT >= maxC) {
        cores[best]!.setExternalFault(`cycle limit reached (${maxC} cycles)`);
        fault = cores[best]!.faultMessage();
        break;
      }
      // at most q instructions per slice: with bank stalls an instruction can take 8+ cycles, and
      // the skew between cores must stay well inside the bank ring (banks.ts)
      let budget = (second === Infinity ? 4096 : Math.max(Math.min(second + q - bestT, q), MIN_SLICE)) | 0;
      if (due !== Infinity && due - bestT < budget) budget = due - bestT;
      if (copyDue !== Infinity && copyDue > bestT && copyDue - bestT < budget) budget = copyDue - bestT;
      if (maxI !== Infinity) {
        let total = 0;
        for (const c of cores) total += c.instret;
        if (maxI - total < budget) budget = maxI - total;
      }
      if (budget < 1) budget = 1;
      budget = small(budget);
      const core = cores[best]!;
      let stop;
      const onRetire = this.opts.onRetire;
      try {
        if (onRetire) {
          const pc = core.pc;
          const before = core.instret;
          const { raw, text } = core.disassembleAt(pc);
          stop = core.run(1);
          if (core.instret > before) onRetire(core, pc, raw, text);
        } else stop = core.run(budget);
      } catch (e) {
        if (e instanceof DeviceFault) {
          core.setExternalFault(e.message);
          fault = core.faultMessage();
          break;
        }
        throw e;
      }
      switch (stop) {
        case 'limit':
          break;
        case 'sleep':
          if (eu.sleep[best] === Sleep.none) {
            // wfi: sleep until any event in the mask, no access to retry
            this.wfi[best] = 1;
            eu.sleep[best] = Sleep.wait;
            eu.sleepStart[best] = core.cycles;
          }
          break;
        case 'exit':
          exited = best;
          break outer;
        case 'fault':
          fault = core.faultMessage();
          break outer;
      }
      if (maxI !== Infinity) {
        let total = 0;
        for (const c of cores) total += c.instret;
        if (total >= maxI) {
          core.setExternalFault(`instruction limit reached (${maxI} instructions, all cores)`);
          fault = core.faultMessage();
          break;
        }
      }
    }
    this.applyDue(Infinity); // transfers still in flight at the end: their bytes are in memory afterwards
    return this.result(exited, fault);
  }

  private deadlockMessage(): string {
    const parts = this.cores.map((core, c) => {
      const why = ['running', 'event wait', 'event wait-and-clear', 'dispatch FIFO'][this.eu.sleep[c]!] ?? '?';
      return `core ${c} pc ${hex(core.pc)} (${this.wfi[c] ? 'wfi' : why}, mask ${hex(this.eu.mask[c]!)})`;
    });
    return `deadlock: every core is asleep and no event is pending: ${parts.join('; ')}`;
  }

  private result(exited: number, fault: string | undefined): ClusterResult {
    const cores = this.cores;
    const end = exited >= 0 ? cores[exited]!.cycles : Math.max(...cores.map((c) => c.cycles));
    const perCore: CoreStats[] = cores.map((core, c) => {
      let sleep = this.sleepCycles[c]!;
      if (core.sleeping && end > core.cycles) sleep += end - core.cycles; // still asleep at the end
      const event = this.eventStallOf(c);
      const known = core.l2Stall + core.wmemStall + core.bankStall + event + this.dmaStall[c]!;
      const counted = core.counters();
      const stalls: CoreStats['stalls'] = {
        pipeline: counted
          ? Object.values(counted.stalls).reduce((a, b) => a + b, 0)
          : Math.max(0, core.cycles - this.sleepCycles[c]! - core.instret - known),
        l2: core.l2Stall, wmem: core.wmemStall, bankConflict: core.bankStall, event, dmaQueue: this.dmaStall[c]!,
        ...counted?.stalls,
      };
      if (this.trace) {
        if (core.sleeping) {
          this.trace.core(c, 'busy', this.busySince[c]!, this.eu.sleepStart[c]!);
          this.trace.core(c, 'sleep', this.eu.sleepStart[c]!, end);
        } else this.trace.core(c, 'busy', this.busySince[c]!, core.cycles);
      }
      return {
        core: c, instructions: core.instret, cycles: end, sleepCycles: sleep, stalls,
        ...(counted ? { instrClasses: counted.classes } : {}),
        l1Accesses: core.l1Accesses, utilisation: end > 0 ? (end - sleep) / end : 0,
      };
    });
    const instructions = perCore.reduce((s, c) => s + c.instructions, 0);
    const d = this.dma;
    const l1Acc = perCore.reduce((s, c) => s + c.l1Accesses, 0);
    const dmaBytes = d.bytesIn[1]! + d.bytesIn[2]! + d.bytesOut[1]! + d.bytesOut[2]!;
    const classes = perCore.every((c) => c.instrClasses) ? sumClasses(perCore.map((c) => c.instrClasses!)) : undefined;
    const engines: Record<string, EngineStats> = {};
    let engineMacs = 0;
    let engineL1 = 0;
    for (const dev of this.devices) {
      const st = dev.engineStats?.();
      if (st) {
        engines[dev.name] = st;
        engineMacs += st.macs;
      }
      engineL1 += dev.l1Bytes?.() ?? 0;
    }
    const energy = estimateEnergy({
      cycles: end, cores: this.n,
      // without per-class counts every instruction is charged as an ALU instruction
      ...(classes ? energyCountsOfClasses(classes) : { instrAlu: instructions, instrMulMac: 0, instrLoadStore: 0 }),
      l1Bytes: l1Acc * 4 + dmaBytes + engineL1, npuMacs: engineMacs, l2Bytes: cores.reduce((s, c) => s + c.l2Accesses, 0) * 4 + d.bytesIn[1]! + d.bytesOut[1]!, wmemBytes: cores.reduce((s, c) => s + c.wmemAccesses, 0) * 4 + d.bytesIn[2]! + d.bytesOut[2]!, dmaBytes,
    }, this.opts.freqMHz);
    const out = concat(this.stdout);
    let exitCode = exited >= 0 ? (cores[exited]!.exitCode ?? 0) : 3;
    if (fault) exitCode = 3;
    return {
      exitCode, stdout: out, cycles: end, instructions, cores: perCore, bankConflicts: this.banks.conflictCycles,
      barriers: this.eu.barriersCompleted,
      l2Accesses: cores.reduce((s, c) => s + c.l2Accesses, 0),
      dma: { transfers: d.transfers, bytesL2ToL1: d.bytesIn[1]!, bytesL1ToL2: d.bytesOut[1]!, bytesWmemToL1: d.bytesIn[2]!, bytesL1ToWmem: d.bytesOut[2]!, busyCycles: d.busyCycles },
      engines,
      ...(classes ? { instrClasses: classes } : {}),
      energy, fault, trace: this.trace, elf: '',
    };
  }
}

function sumClasses(per: Record<InstrClass, number>[]): Record<InstrClass, number> {
  const s = { ...per[0]! };
  for (const p of per.slice(1)) for (const k of Object.keys(s) as InstrClass[]) s[k] += p[k];
  return s;
}

function invalidateRange(r: Region, off: number, len: number): void {
  for (let p = off >>> WATCH_SHIFT; p <= (off + len - 1) >>> WATCH_SHIFT && p < r.watch.length; p++)
    if (r.watch[p]! & WATCH_CODE) r.invalidate(p << WATCH_SHIFT);
}

function concat(parts: Uint8Array[]): Uint8Array {
  const o = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let k = 0;
  for (const p of parts) {
    o.set(p, k);
    k += p.length;
  }
  return o;
}

/** Run an ELF on the cluster. A fault is reported in the result (exit code 3), not thrown. */
export function runCluster(elfPath: string, opts: ClusterOptions = {}): ClusterResult {
  const cl = new Cluster(elfPath, opts);
  const r = cl.run();
  r.elf = elfPath;
  return r;
}

/** runCluster, but a fault throws FaultError (exit 3) with the one-line message. */
export function runClusterOrThrow(elfPath: string, opts: ClusterOptions = {}): ClusterResult {
  const r = runCluster(elfPath, opts);
  if (r.fault) throw new FaultError(r.fault);
  return r;
}
