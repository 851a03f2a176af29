// Run a few encoded instructions on a fresh core as single steps (one-instruction blocks), as long
// blocks in the block interpreter and as long blocks translated to JS functions, and check that
// the three paths agree (block boundaries, precise traps, cycle accounting).
import { encode } from '../../isa/index.js';
import { Core } from '../../src/sim/core.js';
import { setHotThreshold } from '../../src/sim/jit.js';
import { Memory } from '../../src/sim/memory.js';
import { siracusa, type Platform } from '../../src/sim/platform/siracusa.js';

// code in L1 keeps the per-region decode cache small (tests create many memories); data in L2
export const CODE = 0x10000000;
export const DATA = 0x1c080000;
const EBREAK = encode('ebreak');

export interface ExecResult {
  core: Core;
  memory: Memory;
}

function setup(words: number[], regs: Record<number, number>, platform: Platform, data?: Uint8Array) {
  const memory = new Memory(platform);
  const bytes = new Uint8Array((words.length + 1) * 4);
  const dv = new DataView(bytes.buffer);
  [...words, EBREAK].forEach((w, k) => dv.setUint32(4 * k, w >>> 0, true));
  memory.writeBytes(CODE, bytes);
  if (data) memory.writeBytes(DATA, data);
  const core = new Core(memory);
  core.reset(CODE);
  for (const [r, v] of Object.entries(regs)) core.x[Number(r)] = v | 0;
  return { core, memory };
}

/**
 * Execute `words` then stop at the appended ebreak (a fault, since no trap handler is installed).
 * Returns the state after the interpreter run; throws if the block-compiled run ends differently.
 */
export function exec(words: number[], regs: Record<number, number> = {}, opts: { platform?: Platform; data?: Uint8Array } = {}): ExecResult {
  const platform = opts.platform ?? siracusa;
  const a = setup(words, regs, platform, opts.data);
  a.core.jit = false;
  for (let k = 0; k < 2_000_000 && a.core.step() === 'limit'; k++);
  for (const [path, hot] of [['interpreted blocks', 1e9], ['translated blocks', 1]] as const) {
    const before = setHotThreshold(hot);
    const b = setup(words, regs, platform, opts.data);
    try {
      b.core.run(1_000_000);
    } finally {
      setHotThreshold(before);
    }
    const same =
      a.core.x.every((v, k) => v === b.core.x[k]) &&
      a.core.pc === b.core.pc &&
      a.core.instret === b.core.instret &&
      a.core.cycles === b.core.cycles &&
      a.core.fault?.cause === b.core.fault?.cause;
    if (!same)
      throw new Error(
        `single steps and ${path} disagree: pc ${a.core.pc.toString(16)}/${b.core.pc.toString(16)}, ` +
          `instret ${a.core.instret}/${b.core.instret}, cycles ${a.core.cycles}/${b.core.cycles}, ` +
          `fault '${a.core.fault?.cause}'/'${b.core.fault?.cause}', regs ${a.core.x.join(',')} / ${b.core.x.join(',')}`,
      );
  }
  return a;
}

/** The value of register `rd` after executing one instruction with the given sources. */
export function one(id: string, ops: { rd?: number; rs1?: number; rs2?: number; imm?: number; imm2?: number }, regs: Record<number, number>): number {
  const { core } = exec([encode(id, ops)], regs);
  if (!core.fault?.cause.includes('breakpoint')) throw new Error(`${id}: stopped with '${core.fault?.cause}'`);
  return core.x[ops.rd ?? 0];
}
