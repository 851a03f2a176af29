// Compressed instructions execute as their 32-bit expansions; links are pc + 2. Expected values by
// hand. (The qemu differential test runs thousands more compressed instructions.)
import { describe, expect, it } from 'vitest';
import { CODE, DATA, exec } from './exec.js';

// two 16-bit instructions per word, low half first
const pair = (lo: number, hi: number) => ((hi << 16) | lo) >>> 0;
const C_NOP = 0x0001;

describe('RVC', () => {
  it('c.li, c.addi, c.lui, c.mv, c.add, c.sub, c.slli, c.srai, c.andi', () => {
    const { core } = exec([
      pair(0x557d, 0x0505), // c.li a0,-1 ; c.addi a0,1  -> 0
      pair(0x65c5, 0x862e), // c.lui a1,0x11 ; c.mv a2,a1 -> a1 = a2 = 0x11000
      pair(0x962e, 0x8e0d), // c.add a2,a1 -> 0x22000 ; c.sub a2,a1 -> 0x11000
      pair(0x0612, 0x8609), // c.slli a2,4 -> 0x110000 ; c.srai a2,2 -> 0x44000
      pair(0x8a7d, C_NOP), // c.andi a2,31 -> 0
    ]);
    expect([core.x[10], core.x[11], core.x[12]]).toEqual([0, 0x11000, 0]);
  });
  it('c.addi16sp, c.addi4spn, c.swsp / c.lwsp, c.sw / c.lw', () => {
    const { core, memory } = exec(
      [
        pair(0x7139, 0x0068), // c.addi16sp sp,-64 ; c.addi4spn a0,sp,12
        pair(0xc62e, 0x4632), // c.swsp a1,12(sp) ; c.lwsp a2,12(sp)
        pair(0xc10c, 0x4114), // c.sw a1,0(a0) ; c.lw a3,0(a0)
      ],
      { 2: DATA + 64, 11: -5 },
    );
    expect(core.x[2]).toBe(DATA);
    expect(core.x[10]).toBe(DATA + 12);
    expect([core.x[12], core.x[13]]).toEqual([-5, -5]);
    expect(Array.from(memory.readBytes(DATA + 12, 4))).toEqual([0xfb, 0xff, 0xff, 0xff]);
  });
  it('c.jal and c.jalr link pc + 2; c.beqz / c.bnez; c.j', () => {
    const { core } = exec([
      pair(0x2011, C_NOP), // 0: c.jal +4 -> ra = CODE+2, lands at 4
      pair(0xc119, 0x0505), // 4: c.beqz a0,+6 (taken: a0 = 0) -> 10 ; 6: c.addi a0,1 (skipped)
      pair(C_NOP, 0x0591), // 8: c.nop ; 10: c.addi a1,4
      pair(0xe191, 0x0609), // 12: c.bnez a1,+4 -> 16 ; 14: c.addi a2,2 (skipped)
      pair(0xa011, 0x0685), // 16: c.j +4 -> 20 ; 18: c.addi a3,1 (skipped)
      pair(0x9702, C_NOP), // 20: c.jalr a4 -> 24 (a4 = CODE+24), t?=ra... link ra = CODE+22
    ], { 14: CODE + 24 });
    expect([core.x[10], core.x[11], core.x[12], core.x[13]]).toEqual([0, 4, 0, 0]);
    expect(core.x[1]).toBe(CODE + 22);
    expect(core.pc).toBe(CODE + 24); // the ebreak
  });
});
