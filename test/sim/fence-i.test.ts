// Self-modifying code with fence.i (Zifencei), in the style of riscv-tests rv32ui fence_i: code is
// executed (decoded and compiled), overwritten by stores, and after fence.i the new instructions
// run: on one core (halfword stores over a straight-line instruction and over a hot loop body) and
// on the 8-core cluster (one core writes, another runs the code after a barrier).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/runtime/build.js';
import { runCluster } from '../../src/sim/cluster/cluster.js';
import { runProgram } from '../../src/sim/run.js';
import { CLUSTER_C, OUT as CLUSTER_OUT } from '../cluster/helpers.js';
import { assemble, HAVE_TOOLCHAIN } from './helpers.js';

/** Exit code 0 when a3 ends as expected; check n fails with exit code n (Linux exit ecall). */
const SOURCE = `
  .option norvc
  .text
  .globl _start
_start:
  la t0, newinsn
  lhu a0, 0(t0)              # addi a3, a3, 333 as two halfwords
  lhu a1, 2(t0)

  # 1: a straight-line instruction, executed once, then patched
  li gp, 1
  li a3, 111
  li s0, 2
  la a5, 1f
loop1:
1: addi a3, a3, 222          # first pass: 222; after the patch: 333
  addi s0, s0, -1
  beqz s0, done1
  sh a0, 0(a5)
  sh a1, 2(a5)
  fence.i
  j loop1
done1:
  li t1, 111 + 222 + 333
  bne a3, t1, fail

  # 2: a loop body made hot (100 iterations), then patched; 3 more iterations run the new code
  li gp, 2
  li a3, 0
  li a4, 100
  li s1, 1                   # patch pending
  la a5, 2f
2: addi a3, a3, 555          # patched to addi a3, a3, 333
  addi a4, a4, -1
  bnez a4, 2b
  beqz s1, done2
  li s1, 0
  sh a0, 0(a5)
  sh a1, 2(a5)
  fence.i
  li a4, 3
  j 2b
done2:
`;
const TAIL = `
  li t1, 100 * 555 + 3 * 333
  bne a3, t1, fail
  li a0, 0
  li a7, 93
  ecall
fail:
  mv a0, gp
  li a7, 93
  ecall
  .data
newinsn:
  addi a3, a3, 333
`;
const PROGRAM = SOURCE + TAIL;
/** the programs retire about 400 instructions: a wrong patch must not hang the test */
const LIMIT = { maxInstructions: 100_000 };

describe.skipIf(!HAVE_TOOLCHAIN)('fence.i: self-modifying code', () => {
  it('one core: stores over executed (compiled) instructions, then fence.i, run the new ones', () => {
    const elf = assemble('fence_i', PROGRAM, { march: 'rv32imc_zicsr_zifencei' });
    const r = runProgram(elf, LIMIT);
    expect(r.fault).toBeUndefined();
    expect(r.exitCode).toBe(0);
    // single-stepped (one-instruction blocks) too, with the same counters
    const s = runProgram(elf, { ...LIMIT, onRetire: () => {} });
    expect(s.exitCode).toBe(0);
    expect([s.instret, s.cycles]).toEqual([r.instret, r.cycles]);
  });
  it('a check that fails is caught (the patch is really needed)', () => {
    const broken = assemble('fence_i_broken', PROGRAM.replace('li t1, 111 + 222 + 333', 'li t1, 111 + 222 + 222'), { march: 'rv32imc_zicsr_zifencei' });
    expect(runProgram(broken, LIMIT).exitCode).toBe(1);
  });
  it('8 cores: core 0 rewrites code that core 1 has run; after a barrier and fence.i every core runs the new code', async () => {
    const elf = join(CLUSTER_OUT, 'fence_i_cluster.elf');
    await buildProgram({ sources: [join(import.meta.dirname, 'programs', 'fence_i_cluster.c'), CLUSTER_C], out: elf });
    const r = runCluster(elf, { maxInstructions: 1_000_000 });
    expect(r.fault).toBeUndefined();
    expect(new TextDecoder().decode(r.stdout)).toContain('fence.i old=50 new1=7 bad=0');
    expect(r.exitCode).toBe(0);
  });
});
