// MCHAN v7 cluster DMA (platform.md "Cluster DMA"): per-core CMD/STATUS registers, channel
// allocation by reading CMD, 1D and 2D (strided external side) transfers between L2 / weight
// memory and L1, completion event, and a bandwidth model. The timing model says when a transfer
// completes; the bytes move at that cycle (applyDue), so a program that touches the data before
// waiting for the transfer sees the old bytes, as it could on silicon.
import type { ClusterTiming } from './timing.js';
import type { ClusterDevice } from './device.js';
import { PERIPH } from './periph.js';

export const MCHAN = {
  CMD: 0x0, STATUS: 0x4,
  lenBits: 17, EXT2LOC: 1 << 17, INC: 1 << 18, TWO_D_EXT: 1 << 19, EVT: 1 << 20, IRQ: 1 << 21,
  BCAST: 1 << 22, TWO_D_TCDM: 1 << 23, channels: 16,
} as const;

export const enum Level { l1 = 0, l2 = 1, wmem = 2 }

/** Where the DMA can reach: a view of the memory holding [addr, addr + len), or null. */
export interface DmaMemory {
  resolve(addr: number, len: number): { bytes: Uint8Array; offset: number; level: Level } | null;
}

export interface DmaHost {
  /** raise completion event line for `core` at cycle t (t may be in the future) */
  event(core: number, t: number): void;
  fault(core: number, message: string): never;
  /** a transfer was accepted (trace / statistics) */
  transfer?(info: DmaTransferInfo): void;
  /** bytes [offset, offset + len) of `bytes` were written by a transfer (code there is stale) */
  written?(bytes: Uint8Array, offset: number, len: number): void;
}

export interface DmaTransferInfo {
  id: number; core: number; ext2loc: boolean; bytes: number; start: number; end: number;
  twoD: boolean; ext: number; loc: number; extLevel: Level;
  /** bytes from the first to the last external byte (rows and strides of a 2D transfer) */
  extSpan: number;
}

type View = { bytes: Uint8Array; offset: number; level: Level };
interface PendingCopy { end: number; l: View; e: View; len: number; row: number; stride: number; ext2loc: boolean }

export class Mchan implements ClusterDevice {
  readonly name = 'dma';
  /** cluster view and per-core (demux) view: the same registers, banked per core */
  readonly windows = [[PERIPH.mchan, PERIPH.mchanSize], [PERIPH.demuxMchan, PERIPH.demuxMchanSize]] as const;
  /** channel allocated (read from CMD, not yet freed by writing STATUS) */
  private allocated = 0;
  private readonly doneAt = new Float64Array(MCHAN.channels).fill(-1);
  private readonly owner = new Int8Array(MCHAN.channels).fill(-1);
  // per-core command assembly
  private readonly stage: Uint8Array;
  private readonly words: Uint32Array; // 5 words per core
  private readonly pendingId: Int8Array; // id allocated by this core's last CMD read, -1 none
  /** per direction (0 = loc->ext, 1 = ext->loc): cycle at which its TCDM port is free */
  private readonly portFree = new Float64Array(2);
  /** completion cycles of accepted transfers, for the queue-depth model */
  private inFlight: { end: number; core: number }[] = [];
  readonly bytesIn = [0, 0, 0]; // per external level, ext -> L1 ... indexed by Level
  readonly bytesOut = [0, 0, 0];
  busyCycles = 0;
  transfers = 0;
  /** stall the last CMD write asked for (queue full); read and cleared by the host */
  stall = 0;
  /** accepted transfers whose bytes have not moved yet, by completion cycle */
  private copies: PendingCopy[] = [];

  /** Completion cycle of the next pending copy, or Infinity. */
  nextCopy(): number {
    return this.copies.length ? this.copies[0]!.end : Infinity;
  }
  nextDue(): number {
    return this.nextCopy();
  }

  /** Move the bytes of every transfer complete at or before cycle t. */
  applyDue(t: number): void {
    while (this.copies.length && this.copies[0]!.end <= t) {
      const { l, e, len, row, stride, ext2loc } = this.copies.shift()!;
      for (let r = 0, done = 0; done < len; r++) {
        const nb = Math.min(row, len - done);
        const eo = e.offset + r * stride;
        const lo = l.offset + done;
        if (ext2loc) l.bytes.set(e.bytes.subarray(eo, eo + nb), lo);
        else e.bytes.set(l.bytes.subarray(lo, lo + nb), eo);
        done += nb;
      }
      if (ext2loc) this.host.written?.(l.bytes, l.offset, len);
      else this.host.written?.(e.bytes, e.offset, (Math.ceil(len / row) - 1) * stride + row);
    }
  }

  constructor(readonly n: number, readonly timing: ClusterTiming, readonly mem: DmaMemory, readonly host: DmaHost) {
    this.stage = new Uint8Array(n);
    this.words = new Uint32Array(n * 5);
    this.pendingId = new Int8Array(n).fill(-1);
  }

  private alloc(core: number): number {
    for (let id = 0; id < MCHAN.channels; id++) {
      if ((this.allocated & (1 << id)) === 0) {
        this.allocated |= 1 << id;
        this.doneAt[id] = Infinity; // busy until programmed and completed
        this.owner[id] = core;
        return id;
      }
    }
    return this.host.fault(core, `DMA: all ${MCHAN.channels} channels are allocated (free them by writing 1<<id to STATUS)`);
  }

  /** STATUS: bit id set while channel id is allocated and its transfer not complete at cycle t. */
  status(t: number): number {
    let s = 0;
    for (let id = 0; id < MCHAN.channels; id++) if ((this.allocated & (1 << id)) !== 0 && this.doneAt[id]! > t) s |= 1 << id;
    return s >>> 0;
  }

  read(core: number, off: number, t: number): number {
    this.applyDue(t);
    if (off === MCHAN.CMD) {
      if (this.stage[core] !== 0) this.host.fault(core, 'DMA: CMD read in the middle of programming a command');
      const id = this.alloc(core);
      this.pendingId[core] = id;
      return id;
    }
    if (off === MCHAN.STATUS) return this.status(t);
    return this.host.fault(core, `DMA: no register at +0x${off.toString(16)} (CMD +0x0, STATUS +0x4)`);
  }

  write(core: number, off: number, v: number, t: number): void {
    this.applyDue(t);
    v >>>= 0;
    if (off === MCHAN.STATUS) {
      // free the channels whose bits are set
      for (let id = 0; id < MCHAN.channels; id++) {
        if ((v & (1 << id)) !== 0 && (this.allocated & (1 << id)) !== 0) {
          this.allocated &= ~(1 << id);
          this.owner[id] = -1;
        }
      }
      return;
    }
    if (off !== MCHAN.CMD) this.host.fault(core, `DMA: no register at +0x${off.toString(16)} (CMD +0x0, STATUS +0x4)`);
    const st = this.stage[core]!;
    this.words[core * 5 + st] = v;
    if (st === 0) this.check(core, v);
    const need = (this.words[core * 5]! & MCHAN.TWO_D_EXT) !== 0 ? 5 : 3;
    if (st + 1 < need) {
      this.stage[core] = st + 1;
      return;
    }
    this.stage[core] = 0;
    this.launch(core, t);
  }

  private check(core: number, cmd: number): void {
    const bad: string[] = [];
    if ((cmd & MCHAN.TWO_D_TCDM) !== 0) bad.push('2D_TCDM (strided L1 side)');
    if ((cmd & MCHAN.BCAST) !== 0) bad.push('BCAST');
    if ((cmd & MCHAN.IRQ) !== 0) bad.push('IRQ (interrupts are not modelled; use EVT)');
    if ((cmd & MCHAN.INC) === 0) bad.push('non-incrementing addresses (INC=0)');
    if (bad.length) this.host.fault(core, `DMA: unsupported mode ${bad.join(', ')} in command 0x${cmd.toString(16)}`);
    if ((cmd & ((1 << MCHAN.lenBits) - 1)) === 0) this.host.fault(core, `DMA: transfer of length 0 (command 0x${cmd.toString(16)})`);
  }

  private launch(core: number, t: number): void {
    const w = core * 5;
    const cmd = this.words[w]!;
    const len = cmd & ((1 << MCHAN.lenBits) - 1);
    const ext2loc = (cmd & MCHAN.EXT2LOC) !== 0;
    const twoD = (cmd & MCHAN.TWO_D_EXT) !== 0;
    const loc = this.words[w + 1]!;
    const ext = this.words[w + 2]!;
    const row = twoD ? this.words[w + 3]! : len;
    const stride = twoD ? this.words[w + 4]! : len;
    const hex = (x: number) => '0x' + (x >>> 0).toString(16);
    if (twoD && row === 0) this.host.fault(core, 'DMA: 2D transfer with row length 0');
    const l = this.mem.resolve(loc, len);
    if (!l || l.level !== Level.l1) this.host.fault(core, `DMA: local address range ${hex(loc)}..${hex(loc + len)} is not in L1 TCDM`);
    const rows = Math.ceil(len / row);
    const extSpan = (rows - 1) * stride + (len - (rows - 1) * row);
    const e = this.mem.resolve(ext, extSpan);
    if (!e || e.level === Level.l1) this.host.fault(core, `DMA: external address range ${hex(ext)}..${hex(ext + extSpan)} is not in L2 or weight memory`);

    // allocate implicitly when the program did not read CMD first
    let id = this.pendingId[core]!;
    if (id < 0) id = this.alloc(core);
    this.pendingId[core] = -1;

    // queue depth: the command waits (and the pushing core with it) until a slot is free
    let accept = t;
    this.inFlight = this.inFlight.filter((f) => f.end > t);
    const mine = this.inFlight.filter((f) => f.core === core).map((f) => f.end).sort((a, b) => a - b);
    if (mine.length >= this.timing.dmaQueuePerCore) accept = Math.max(accept, mine[mine.length - this.timing.dmaQueuePerCore]!);
    const all = this.inFlight.map((f) => f.end).sort((a, b) => a - b);
    if (all.length >= this.timing.dmaQueueGlobal) accept = Math.max(accept, all[all.length - this.timing.dmaQueueGlobal]!);
    this.stall = accept - t;

    const end = this.schedule(ext2loc ? 1 : 0, accept, len, row, e.level === Level.wmem ? this.timing.dmaWmemLatency : this.timing.dmaL2Latency);
    this.doneAt[id] = end;
    this.inFlight.push({ end, core });
    // the bytes move at completion, in completion order (ties: acceptance order)
    const copy: PendingCopy = { end, l, e, len, row, stride, ext2loc };
    let k = this.copies.length;
    while (k > 0 && this.copies[k - 1]!.end > end) k--;
    this.copies.splice(k, 0, copy);
    this.transfers++;
    if (ext2loc) this.bytesIn[e.level] += len;
    else this.bytesOut[e.level] += len;
    if ((cmd & MCHAN.EVT) !== 0) this.host.event(core, end);
    this.host.transfer?.({ id, core, ext2loc, bytes: len, start: accept, end, twoD, ext, loc, extLevel: e.level, extSpan });
  }

  /**
   * Bandwidth model. The transfer is cut into bursts (each row of a 2D transfer separately, at
   * most dmaBurstBytes each). A burst's request leaves at most dmaMaxOutstanding bursts after the
   * oldest still in flight; its data arrives `latency` cycles after the request and then occupies
   * the direction's TCDM port for ceil(bytes / dmaBytesPerCycle) cycles. Returns the cycle the
   * last byte is written.
   */
  private schedule(dir: number, t: number, len: number, row: number, latency: number): number {
    const tm = this.timing;
    const start = t + tm.dmaSetupCycles;
    const ring = new Float64Array(tm.dmaMaxOutstanding); // completion of the last k bursts
    let port = Math.max(this.portFree[dir]!, start);
    let req = start;
    let k = 0;
    let firstData = -1;
    for (let done = 0; done < len; ) {
      const rowLeft = Math.min(row, len - done);
      for (let off = 0; off < rowLeft; ) {
        const nb = Math.min(tm.dmaBurstBytes, rowLeft - off);
        const slot = k % tm.dmaMaxOutstanding;
        if (k >= tm.dmaMaxOutstanding && ring[slot]! > req) req = ring[slot]!;
        const arrive = req + latency;
        const dataStart = arrive > port ? arrive : port;
        if (firstData < 0) firstData = dataStart;
        port = dataStart + Math.ceil(nb / tm.dmaBytesPerCycle);
        ring[slot] = port;
        req += 1; // one request per cycle
        k++;
        off += nb;
      }
      done += rowLeft;
    }
    this.busyCycles += port - Math.max(firstData, this.portFree[dir]!);
    this.portFree[dir] = port;
    return port;
  }
}
