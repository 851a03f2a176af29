// The shared memory/bus of the cluster: typed arrays per region of the platform memory map, the
// per-region decode cache (shared by all cores, like an instruction cache), and device hooks for
// the peripheral region. Cores access it directly for speed (see core.ts); everything else uses the
// debug accessors here.
import type { CompiledBlock } from './jit.js';
import type { Platform, RegionSpec } from './platform/siracusa.js';

/** Returned by a device read to say "not ready": the core sleeps and retries the access when woken. */
export const BLOCK: unique symbol = Symbol('block');
export type Block = typeof BLOCK;

/** A memory-mapped device (event unit, DMA, timer ...). Offsets are relative to the mapping base. */
export interface Device {
  read(coreId: number, offset: number, size: 1 | 2 | 4): number | Block;
  write(coreId: number, offset: number, size: 1 | 2 | 4, value: number): void;
}

/** Page-flag bits of Region.watch: a store into such a page needs attention. */
export const WATCH_CODE = 1;
export const WATCH_TOHOST = 2;
/** Upper bound of the bytes a compiled block spans (jit.ts MAX_BLOCK instructions of 4 bytes). */
export const MAX_BLOCK_BYTES = 256;
/** Granularity of the watch flags (bytes). */
export const WATCH_SHIFT = 8;

/** Bumped whenever a compiled block is dropped (a store or DMA into decoded code): a region of
 * chained blocks (jit.ts) checks it before each block and leaves when it moved. */
export const CODE_EPOCH = new Int32Array(1);

/** Pre-decoded instructions of one region, one slot per halfword (see core.ts for the meaning). */
export class CodeCache {
  readonly handler: Uint8Array;
  readonly rd: Uint8Array;
  readonly rs1: Uint8Array;
  readonly rs2: Uint8Array;
  readonly imm: Int32Array;
  readonly imm2: Int32Array;
  readonly size: Uint8Array;
  readonly cost: Uint8Array;
  readonly readMask: Int32Array;
  readonly raw: Int32Array;
  readonly entry: Uint16Array;
  /** Blocks (jit.ts) by start slot, as 1 + their index in `list` (0: none): a zeroed typed array
   * costs nothing until used, where a JS array of a million slots took ~40 ms to create per Memory. */
  readonly blockIx: Int32Array;
  /** One-instruction blocks by slot (what runs when the budget is small: single steps), the same way. */
  readonly singleIx: Int32Array;
  /** every block built for this region; null once its code was written */
  readonly list: (CompiledBlock | null)[] = [];
  constructor(readonly slots: number) {
    // An array of objects from the start: the first push into an empty (small-integer kind) array
    // deoptimised the optimised Core.run, inlining put(), at the first block of every new Memory
    // (V8 then compiled run() again: ~100 ms of CPU per run on the branchy benchmark).
    this.list.push(null);
    this.list.pop();
    this.blockIx = new Int32Array(slots);
    this.singleIx = new Int32Array(slots);
    this.handler = new Uint8Array(slots);
    this.rd = new Uint8Array(slots);
    this.rs1 = new Uint8Array(slots);
    this.rs2 = new Uint8Array(slots);
    this.imm = new Int32Array(slots);
    this.imm2 = new Int32Array(slots);
    this.size = new Uint8Array(slots);
    this.cost = new Uint8Array(slots);
    this.readMask = new Int32Array(slots);
    this.raw = new Int32Array(slots);
    this.entry = new Uint16Array(slots);
  }
  /** Remember block b at slot i in `ix` (blockIx or singleIx). */
  put(ix: Int32Array, i: number, b: CompiledBlock): CompiledBlock {
    this.list.push(b);
    ix[i] = this.list.length;
    return b;
  }
  /** Forget the blocks starting in slots [from, to) of `ix` (regions holding one leave before it). */
  drop(ix: Int32Array, from: number, to: number): void {
    for (let i = from; i < to; i++)
      if (ix[i] !== 0) {
        const b = this.list[ix[i] - 1];
        if (b) b.dead = true;
        CODE_EPOCH[0]++;
        this.list[ix[i] - 1] = null;
        ix[i] = 0;
      }
  }
}

export class Region {
  readonly bytes: Uint8Array;
  readonly i16: Int16Array;
  readonly i32: Int32Array;
  /** Per 256-byte page: WATCH_* flags. */
  readonly watch: Uint8Array;
  private cache: CodeCache | undefined;
  constructor(readonly spec: RegionSpec) {
    const buf = new ArrayBuffer(spec.size);
    this.bytes = new Uint8Array(buf);
    this.i16 = new Int16Array(buf);
    this.i32 = new Int32Array(buf);
    this.watch = new Uint8Array(spec.size >>> WATCH_SHIFT);
  }
  get base(): number {
    return this.spec.base;
  }
  get size(): number {
    return this.spec.size;
  }
  /** The decode cache, created on the first instruction fetched from this region. */
  code(): CodeCache {
    return (this.cache ??= new CodeCache(this.spec.size >>> 1));
  }
  /** Drop decoded instructions of the page holding `offset` (a store hit code). */
  invalidate(offset: number): void {
    const c = this.cache;
    const page = offset >>> WATCH_SHIFT;
    this.watch[page] &= ~WATCH_CODE;
    if (!c) return;
    // A 32-bit instruction starting 2 bytes before the page also covers it.
    const from = Math.max(0, (page << WATCH_SHIFT) - 2) >>> 1;
    const to = ((page + 1) << WATCH_SHIFT) >>> 1;
    c.handler.fill(0, from, to);
    // a compiled block starting up to MAX_BLOCK_BYTES before the page may cover it
    c.drop(c.blockIx, Math.max(0, from - (MAX_BLOCK_BYTES >>> 1)), to);
    c.drop(c.singleIx, from, to);
  }
}

interface DeviceMapping {
  readonly base: number;
  readonly size: number;
  readonly device: Device;
}

export class Memory {
  readonly l1: Region;
  readonly l2: Region;
  readonly mram: Region;
  readonly sram: Region;
  readonly regions: readonly Region[];
  private readonly devices: DeviceMapping[] = [];

  constructor(readonly platform: Platform) {
    this.l1 = new Region(platform.l1);
    this.l2 = new Region(platform.l2);
    this.mram = new Region(platform.mram);
    this.sram = new Region(platform.sram);
    this.regions = [this.l2, this.l1, this.sram, this.mram];
  }

  /** Map a device; accesses in [base, base+size) go to it. Must lie in a peripheral region. */
  mapDevice(base: number, size: number, device: Device): void {
    this.devices.push({ base: base >>> 0, size, device });
  }

  /** The region and offset of an address (alias resolved), or undefined when unmapped. */
  find(addr: number): { region: Region; offset: number } | undefined {
    const region = this.locate(addr);
    return region ? { region, offset: this.lastOffset } : undefined;
  }

  /** Offset of the last locate() / deviceAt() hit (read it at once: the next call overwrites it). */
  lastOffset = 0;

  /** find() without allocating, for the cores' access paths: the region, offset in lastOffset. */
  locate(addr: number): Region | undefined {
    const a = addr >>> 0;
    // (indexed loops here and in deviceAt: every device access of a core comes through, much of it
    // before V8 optimises these, where a for-of allocated an iterator result per step)
    const regions = this.regions;
    for (let k = 0; k < regions.length; k++) {
      const r = regions[k]!;
      const off = (a - r.base) >>> 0;
      if (off < r.size) {
        this.lastOffset = off;
        return r;
      }
      if (r.spec.alias !== undefined) {
        const o2 = (a - r.spec.alias) >>> 0;
        if (o2 < r.size) {
          this.lastOffset = o2;
          return r;
        }
      }
    }
    return undefined;
  }

  /** device() without allocating: the device, offset in lastOffset. */
  deviceAt(addr: number): Device | undefined {
    const a = addr >>> 0;
    const devices = this.devices;
    for (let k = 0; k < devices.length; k++) {
      const d = devices[k]!;
      const off = (a - d.base) >>> 0;
      if (off < d.size) {
        this.lastOffset = off;
        return d.device;
      }
    }
    return undefined;
  }

  device(addr: number): { device: Device; offset: number } | undefined {
    const device = this.deviceAt(addr);
    return device ? { device, offset: this.lastOffset } : undefined;
  }

  /** Does [addr, addr+len) lie inside one memory region? */
  contains(addr: number, len: number): boolean {
    const f = this.find(addr);
    return f !== undefined && f.offset + len <= f.region.size;
  }

  /** Mark a word written by the HTIF convention (contracts.md): stores to its page are checked. */
  watchToHost(addr: number): void {
    const f = this.find(addr);
    if (f) f.region.watch[f.offset >>> WATCH_SHIFT] |= WATCH_TOHOST;
  }

  // ---- debug/loader accessors: no timing, no devices, throw RangeError when unmapped ----
  private at(addr: number, len: number): { region: Region; offset: number } {
    const f = this.find(addr);
    if (!f || f.offset + len > f.region.size) throw new RangeError(`address 0x${(addr >>> 0).toString(16)} is not mapped`);
    return f;
  }
  readBytes(addr: number, len: number): Uint8Array {
    const { region, offset } = this.at(addr, len);
    return region.bytes.slice(offset, offset + len);
  }
  writeBytes(addr: number, data: Uint8Array): void {
    const { region, offset } = this.at(addr, data.length);
    region.bytes.set(data, offset);
    if (data.length === 0) return;
    for (let p = offset >>> WATCH_SHIFT; p <= (offset + data.length - 1) >>> WATCH_SHIFT; p++)
      if (region.watch[p] & WATCH_CODE) region.invalidate(p << WATCH_SHIFT);
  }
  fill(addr: number, len: number, value: number): void {
    const { region, offset } = this.at(addr, len);
    region.bytes.fill(value, offset, offset + len);
  }
  read32(addr: number): number {
    const b = this.readBytes(addr, 4);
    return b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24);
  }
  write32(addr: number, v: number): void {
    this.writeBytes(addr, new Uint8Array([v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff]));
  }
}
