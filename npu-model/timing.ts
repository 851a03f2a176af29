// The timing model of one job (neureka.md "Timing", after GVSoC's neureka_fsm.cpp): the job is
// unrolled into the FSM's steps (stream-in, load, matrix-vector, normquant, streamout per subtile)
// and replayed on the NPU's own clock. A step that touches L1 costs 1 cycle plus the cycles its
// banks make it wait (the device books them in the cluster's bank arbiter, against the cores'
// accesses); weight reads from the weight memory and padding pixels cost 1 cycle and no bank.
// With activation prefetch (CONF0 bit 10) the matrix-vector cycles of a Ki subtile overlap the
// next load, exactly as GVSoC accounts them: they are deferred and only the part longer than the
// next load (plus its 3-cycle head start) is paid.
import { GEOMETRY } from './regs.js';
import type { NpuJob } from './job.js';

/** FSM overheads (cycles), neureka.md "Overheads". */
export const NPU_OVERHEAD = {
  loadPrepare: 6, loadExtra1x1: 6, mvPrepare3x3: 6, mvPrepare1x1: 10, mvPrepare3x3Prefetch: 6, mvPrepare1x1Prefetch: 3,
  loadPrefetchHead: 3, dwWeightOffset: 34, mvEnd3x3: 8, normShift: 7, normMult: 9, normBias: 8, streamout1x1: 3, streamIn: 10, jobEnd: 1,
  normMultIterations: 8, normMultScales: 4, normBiasIterations: 4, normBiasChannels: 8, wideAccessBytes: 32, accessesPer32BitPixel: 4,
} as const;

export const enum Step { fixed, access, loadPrepare, load, loadExtra, mvPrepare, mv, mvEnd }
/** mvPrepare variants */
export const enum Prep { dwFirst, dense, dwNext }

/** A job unrolled: parallel arrays, one entry per step. addr -1: no L1 access (1 cycle, or `value` for fixed steps).
 * Typed arrays (grown by doubling): a program's jobs keep tens of thousands of steps for the
 * whole run (device.ts caches them), which the garbage collector would otherwise copy and scan. */
export class JobSteps {
  kind = new Uint8Array(64);
  value = new Int32Array(64);
  /** (Int32: a job's addresses are mapped memory, below 2^31 on this platform (decodeJob checks);
   * Float64 elements were a boxed number per read in V8's lower tiers) */
  addr = new Int32Array(64);
  len = new Int32Array(64);
  /** matrix-vector steps of the job's last Ki subtile of its last spatial subtile: never deferred */
  last = new Uint8Array(64);
  private n = 0;
  push(kind: Step, value: number, addr = -1, len = 0, last = 0): void {
    if (this.n === this.kind.length) this.grow();
    if (addr > 0x7fffffff) throw new Error(`internal: NPU step address 0x${addr.toString(16)} does not fit the step table`);
    const k = this.n++;
    this.kind[k] = kind;
    this.value[k] = value;
    this.addr[k] = addr;
    this.len[k] = len;
    this.last[k] = last;
  }
  get length(): number {
    return this.n;
  }
  private grow(): void {
    const m = this.kind.length * 2;
    const more = <T extends Uint8Array | Int32Array>(a: T, make: (n: number) => T): T => {
      const b = make(m);
      b.set(a);
      return b;
    };
    this.kind = more(this.kind, (n) => new Uint8Array(n));
    this.value = more(this.value, (n) => new Int32Array(n));
    this.addr = more(this.addr, (n) => new Int32Array(n));
    this.len = more(this.len, (n) => new Int32Array(n));
    this.last = more(this.last, (n) => new Uint8Array(n));
  }
}

/** Unroll job j into its FSM steps. */
export function jobSteps(j: NpuJob): JobSteps {
  const s = new JobSteps();
  const O = NPU_OVERHEAD;
  const dw = j.mode === 'dw3x3';
  const ob = j.outBits / 8;
  const nK = dw ? j.nKi : j.nKo;
  const chunk = (kind: Step, base: number, bytes: number, n: number, per: number) => {
    // n accesses of `per` bytes each over `bytes` bytes from base (accesses past the end read nothing)
    for (let m = 0; m < n; m++) {
      const l = Math.min(per, bytes - m * per);
      s.push(kind, 1, l > 0 ? base + m * per : -1, Math.max(l, 0));
    }
  };
  for (let i = 0; i < j.nHo; i++)
    for (let jj = 0; jj < j.nWo; jj++)
      for (let kout = 0; kout < nK; kout++) {
        const hoT = Math.min(j.sub, j.ho - i * j.sub), woT = Math.min(j.sub, j.wo - jj * j.sub);
        const koT = Math.min(j.subKo, j.ko - kout * j.subKo);
        const k0 = kout * j.subKo;
        const pix = (f: (a: number) => void) => {
          for (let y = 0; y < hoT; y++) for (let x = 0; x < woT; x++) f(j.outfeat + (i * j.sub + y) * j.outD2 + (jj * j.sub + x) * j.outD1 + k0 * ob);
        };
        if (j.streamIn) {
          pix((a) => chunk(Step.access, a, koT * 4, O.accessesPer32BitPixel, O.wideAccessBytes));
          s.push(Step.fixed, O.streamIn);
        }
        const kis = dw ? [kout] : Array.from({ length: j.nKi }, (_, k) => k);
        kis.forEach((ki, kk) => {
          const last = i === j.nHo - 1 && jj === j.nWo - 1 && kk === kis.length - 1 ? 1 : 0;
          const kiT = Math.min(j.subKi, j.ki - ki * j.subKi);
          s.push(Step.loadPrepare, O.loadPrepare);
          const hinT = j.fs === 3 ? (hoT - 1) * j.stride + 3 : hoT, winT = j.fs === 3 ? (woT - 1) * j.stride + 3 : woT;
          const y0 = i * j.sub * j.stride, x0 = jj * j.sub * j.stride;
          for (let y = y0; y < y0 + hinT; y++)
            for (let x = x0; x < x0 + winT; x++) {
              const pad = y < j.pad.top || y >= j.hin - j.pad.bottom || x < j.pad.left || x >= j.win - j.pad.right;
              s.push(Step.load, 1, pad ? -1 : j.infeat + y * j.inD1 + x * j.inD0 + ki * j.subKi, kiT);
            }
          if (j.fs === 1) s.push(Step.loadExtra, GEOMETRY.loadPixels1x1 - hinT * winT + O.loadExtra1x1);
          const wAddr = (a: number) => (j.wmem ? -1 : a);
          if (dw) {
            for (let ch = 0; ch < koT; ch++) {
              s.push(Step.mvPrepare, ch === 0 ? Prep.dwFirst : Prep.dwNext, -1, 0, last);
              for (let b = 0; b < j.qw; b++) s.push(Step.mv, 1, wAddr(j.weights + (kout * j.qw + b) * j.wD0), 32, last);
            }
          } else {
            s.push(Step.mvPrepare, Prep.dense, -1, 0, last);
            for (let k = k0; k < k0 + koT; k++) {
              if (j.fs === 1) s.push(Step.mv, 1, wAddr(j.weights + k * j.wD1 + ki * j.wD0), 32, last);
              else for (let b = 0; b < j.qw; b++) s.push(Step.mv, 1, wAddr(j.weights + k * j.wD1 + (ki * j.qw + b) * j.wD0), 32, last);
            }
            if (j.fs === 3) s.push(Step.mvEnd, O.mvEnd3x3, -1, 0, last);
          }
        });
        if (j.normQuant) {
          if (j.perChannelShift) {
            s.push(Step.access, 1, j.scaleShift + k0, koT);
            s.push(Step.fixed, O.normShift);
          }
          const sb = j.scaleBits / 8;
          chunk(Step.access, j.scale + k0 * sb, koT * sb, O.normMultIterations, O.normMultScales * sb);
          s.push(Step.fixed, O.normMult);
          if (j.bias) chunk(Step.access, j.scaleBias + k0 * 4, koT * 4, O.normBiasIterations, O.normBiasChannels * 4);
          else for (let m = 0; m < O.normBiasIterations; m++) s.push(Step.access, 1);
          s.push(Step.fixed, O.normBias);
        }
        if (ob === 1) pix((a) => s.push(Step.access, 1, a, koT));
        else pix((a) => chunk(Step.access, a, koT * 4, O.accessesPer32BitPixel, O.wideAccessBytes));
        if (j.fs === 1) s.push(Step.fixed, O.streamout1x1);
      }
  s.push(Step.fixed, O.jobEnd);
  return s;
}

/** Books an L1 access of len bytes at addr at cycle t; returns the cycles it waits. */
export type AccessFn = (addr: number, len: number, t: number) => number;

/** Replays a job's steps on the NPU clock (resumable: run() stops at a cycle bound). */
export class JobTimer {
  private i = 0;
  private loadLat = 0;
  private mvLat = 0;
  private mvCursor = 0;
  clock: number;
  stallCycles = 0;
  l1Bytes = 0;
  constructor(readonly job: NpuJob, readonly steps: JobSteps, readonly start: number) {
    this.clock = start;
  }
  get done(): boolean {
    return this.i >= this.steps.length;
  }
  /** Run steps that start before cycle `until`; true when the job has ended (clock = end). */
  run(until: number, access: AccessFn): boolean {
    const s = this.steps;
    const pf = this.job.prefetch;
    const O = NPU_OVERHEAD;
    while (this.i < s.length && this.clock < until) {
      const k = this.i++;
      const kind = s.kind[k]!;
      const deferred = pf && (kind === Step.mv || kind === Step.mvEnd) && s.last[k] === 0;
      let lat: number;
      if (kind === Step.mvPrepare) {
        lat = 0;
        if (pf && this.mvLat > this.loadLat) lat += this.mvLat - this.loadLat;
        this.mvLat = 0;
        const p = s.value[k]!;
        if (p === Prep.dwFirst) {
          lat += O.dwWeightOffset;
          if (pf) this.mvLat = O.dwWeightOffset;
        } else if (p === Prep.dense) {
          const fs1 = this.job.fs === 1;
          const c = pf ? (fs1 ? O.mvPrepare1x1Prefetch : O.mvPrepare3x3Prefetch) : fs1 ? O.mvPrepare1x1 : O.mvPrepare3x3;
          lat += c;
          if (pf) this.mvLat = c;
        }
      } else {
        const a = s.addr[k]!;
        if (a < 0) lat = s.value[k]!;
        else {
          // a deferred matrix-vector read belongs to the overlapped stream: its own cursor, never
          // behind the FSM clock, one read after the other
          const t = deferred ? Math.max(this.mvCursor, this.clock) : this.clock;
          const st = access(a, s.len[k]!, t);
          if (deferred) this.mvCursor = t + 1 + st;
          this.stallCycles += st;
          this.l1Bytes += s.len[k]!;
          lat = 1 + st;
        }
        if (kind === Step.loadPrepare && pf) this.loadLat = O.loadPrefetchHead;
        else if ((kind === Step.load || kind === Step.loadExtra) && pf) this.loadLat += lat;
      }
      if (deferred) {
        this.mvLat += lat;
        lat = 0;
      }
      this.clock += lat;
    }
    return this.i >= s.length;
  }
}
