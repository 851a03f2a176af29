// A self-checking program in the riscv-tests style: HTIF tohost, a trap handler that checks
// mcause/mepc/mtval for ecall, ebreak, illegal instruction, misaligned and unmapped accesses, and
// CSR instruction tests. It writes 1 to tohost when every check passes, (n << 1) | 1 when check n
// fails (so the exit code names the failing check).
import { describe, expect, it } from 'vitest';
import { loadProgram } from '../../src/sim/run.js';
import { siracusa } from '../../src/sim/platform/siracusa.js';
import { assemble, HAVE_TOOLCHAIN } from './helpers.js';

/** `expectEcallCause` lets a test make check 1 fail on purpose. */
function source(expectEcallCause = 11): string {
  return `
  .option norvc
  .section .text
  .globl _start
_start:
  la t0, trap
  csrw mtvec, t0

  # 1: ecall -> mcause 11, mepc at the ecall, MPIE <- MIE, MIE <- 0
  li gp, 1
  csrsi mstatus, 8
  la s1, 1f
  li s2, ${expectEcallCause}
  li s3, 0
1: ecall
  csrr t0, mstatus
  andi t0, t0, 8
  beqz t0, fail            # mret restored MIE

  # 2: illegal instruction, mtval = the instruction bits
  li gp, 2
  la s1, 2f
  li s2, 2
  li s3, 0xffffffff
2: .word 0xffffffff

  # 3: misaligned load (this platform variant traps), mtval = address
  li gp, 3
  la t1, buf
  addi s3, t1, 1
  la s1, 3f
  li s2, 4
3: lw t2, 1(t1)

  # 4: misaligned store
  li gp, 4
  addi s3, t1, 2
  la s1, 4f
  li s2, 6
4: sw t2, 2(t1)

  # 5: ebreak -> cause 3
  li gp, 5
  la s1, 5f
  li s2, 3
  li s3, -1                # mtval not checked
5: ebreak

  # 6: unknown CSR -> illegal instruction
  li gp, 6
  la s1, 6f
  li s2, 2
  li s3, -1
6: csrr t0, 0x7c0

  # 7: write to a read-only CSR (mhartid) -> illegal instruction
  li gp, 7
  la s1, 7f
  li s2, 2
7: csrw mhartid, t0

  # 8: load from an unmapped address -> load access fault, mtval = address
  li gp, 8
  li s3, 0x30000000
  la s1, 8f
  li s2, 5
8: lw t0, 0(s3)

  # 9: store to an unmapped address -> store access fault
  li gp, 9
  la s1, 9f
  li s2, 7
9: sw t0, 0(s3)

  # 10: csrrw/csrrs/csrrc and immediate forms on mscratch
  li gp, 10
  li t0, 0x55
  csrw mscratch, t0
  li t1, 0xaa
  csrrs t2, mscratch, t1
  li t3, 0x55
  bne t2, t3, fail
  csrrc t2, mscratch, t3   # old 0xff, clears 0x55
  li t3, 0xff
  bne t2, t3, fail
  csrr t2, mscratch
  li t3, 0xaa
  bne t2, t3, fail
  csrrwi t2, mscratch, 7
  csrrsi t2, mscratch, 8
  csrrci t2, mscratch, 1
  csrr t2, mscratch
  li t3, 14
  bne t2, t3, fail
  csrrs t2, mscratch, zero  # read without write
  bne t2, t3, fail

  # 11: mhartid 0; misa = RV32 with I, M, C
  li gp, 11
  csrr t0, mhartid
  bnez t0, fail
  csrr t0, misa
  srli t1, t0, 30
  li t2, 1
  bne t1, t2, fail
  li t2, (1 << 8) | (1 << 12) | (1 << 2)
  and t1, t0, t2
  bne t1, t2, fail

  # 12: mcycle and minstret count up; minstret counts exactly the instructions in between
  li gp, 12
  csrr t0, minstret
  nop
  nop
  csrr t1, minstret
  sub t1, t1, t0
  li t2, 3
  bne t1, t2, fail
  csrr t0, mcycle
  csrr t1, mcycle
  bgeu t0, t1, fail

  # pass
  li t0, 1
  la t1, tohost
  sw t0, 0(t1)
1: j 1b

fail:
  slli gp, gp, 1
  ori gp, gp, 1
  la t1, tohost
  sw gp, 0(t1)
1: j 1b

  .balign 4
trap:
  csrr t4, mcause
  bne t4, s2, fail
  csrr t4, mepc
  bne t4, s1, fail
  li t5, -1
  beq s3, t5, 1f           # mtval not checked for this test
  csrr t5, mtval
  bne t5, s3, fail
1:
  csrr t5, mstatus          # in the handler: MIE = 0
  andi t5, t5, 8
  bnez t5, fail
  addi t4, t4, 4            # skip the trapping instruction (all 4 bytes: norvc)
  csrw mepc, t4
  mret

  .section .data
  .balign 8
  .globl tohost
tohost: .word 0
  .word 0
buf: .word 0x11223344, 0x55667788
`;
}

describe.skipIf(!HAVE_TOOLCHAIN)('self-checking program (riscv-tests style, HTIF tohost)', () => {
  const platform = { ...siracusa, misalignedTraps: true };
  const run = (elf: string) => {
    const { core } = loadProgram(elf, platform);
    let stop;
    do stop = core.run(100_000);
    while (stop === 'limit' && core.instret < 10_000_000);
    return { stop, core };
  };
  it('passes every check (tohost = 1 -> exit code 0)', () => {
    const { stop, core } = run(assemble('selfcheck', source()));
    expect(core.fault?.cause).toBeUndefined();
    expect(stop).toBe('exit');
    expect(core.exitCode).toBe(0);
  });
  it('reports the failing check through tohost when an expectation is wrong', () => {
    const { stop, core } = run(assemble('selfcheck-fail', source(12)));
    expect(stop).toBe('exit');
    expect(core.exitCode).toBe(1);
  });
  it('single-stepping (interpreter only) gives the same result', () => {
    const { core } = loadProgram(assemble('selfcheck', source()), platform);
    let stop;
    for (let k = 0; k < 100_000 && (stop = core.step()) === 'limit'; k++);
    expect([stop, core.exitCode]).toEqual(['exit', 0]);
  });
});

describe.skipIf(!HAVE_TOOLCHAIN)('runProgram limits', () => {
  it('stops a runaway program at the instruction or cycle limit with a fault naming the limit', async () => {
    const { runProgram } = await import('../../src/sim/run.js');
    const elf = assemble('runaway', '.text\n.globl _start\n_start: addi a0, a0, 1\nj _start\n');
    const a = runProgram(elf, { maxInstructions: 1001 });
    expect(a.instret).toBe(1001);
    expect(a.fault?.message).toMatch(/instruction limit reached \(1001 instructions\)/);
    const b = runProgram(elf, { maxCycles: 3000 });
    expect(b.cycles).toBeGreaterThanOrEqual(3000);
    expect(b.cycles).toBeLessThan(3003); // within one instruction
    expect(b.fault?.message).toMatch(/cycle limit reached \(3000 cycles\)/);
    expect(b.exitCode).toBe(3);
  });
});
