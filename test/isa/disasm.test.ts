// The disassembler agrees with riscv64-unknown-elf-objdump -d on every RV32IMC encoding of a
// generated file and on every RV32IMC instruction of compiled programs (examples/).
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { disassemble } from '../../isa/index.js';
import { buildProgram } from '../../src/runtime/build.js';
import { assemble, HAVE_TOOLCHAIN, objdump, OUT, REPO } from '../sim/helpers.js';

const R = ['zero', 'ra', 'sp', 'gp', 'tp', 't0', 't1', 't2', 's0', 's1', 'a0', 'a1', 'a2', 'a3', 'a4', 'a5',
  'a6', 'a7', 's2', 's3', 's4', 's5', 's6', 's7', 's8', 's9', 's10', 's11', 't3', 't4', 't5', 't6'];

/** Assembly text using every RV32IMC + Zicsr instruction with a spread of operands. */
export function allEncodingsSource(): string {
  const L = ['.text', '.globl _start', '_start:', '.option norvc'];
  const regs = [0, 1, 2, 5, 8, 10, 15, 31];
  const imms = [0, 1, -1, 5, 255, 2047, -2048, 100];
  for (const op of ['add', 'sub', 'sll', 'slt', 'sltu', 'xor', 'srl', 'sra', 'or', 'and', 'mul', 'mulh', 'mulhsu', 'mulhu', 'div', 'divu', 'rem', 'remu'])
    for (const a of regs)
      for (const b of [0, 1, 10]) L.push(`${op} ${R[a]},${R[b]},${R[a === 0 ? 3 : 31 - a]}`, `${op} ${R[a]},${R[b ? 12 : 0]},${R[b]}`);
  for (const op of ['addi', 'slti', 'sltiu', 'xori', 'ori', 'andi'])
    for (const a of regs) for (const i of imms) L.push(`${op} ${R[a]},${R[(a * 3) % 32]},${i}`, `${op} ${R[a]},zero,${i}`);
  for (const op of ['slli', 'srli', 'srai']) for (const a of regs) for (const i of [0, 1, 5, 31]) L.push(`${op} ${R[a]},${R[(a + 7) % 32]},${i}`);
  for (const op of ['lb', 'lh', 'lw', 'lbu', 'lhu', 'sb', 'sh', 'sw'])
    for (const a of regs) for (const i of imms) L.push(`${op} ${R[a]},${i}(${R[(a + 3) % 32]})`);
  for (const op of ['beq', 'bne', 'blt', 'bge', 'bltu', 'bgeu'])
    for (const a of regs) for (const b of [0, 10]) L.push(`${op} ${R[a]},${R[b]},.+16`, `${op} ${R[b]},${R[a]},.-8`);
  for (const a of regs) L.push(`jal ${R[a]},.+2048`, `jal ${R[a]},.-4`);
  for (const a of regs) for (const b of [0, 1, 5]) for (const i of [0, 4, -8]) L.push(`jalr ${R[a]},${i}(${R[b]})`);
  for (const a of regs) for (const i of [0, 1, 0xfffff, 0x12345]) L.push(`lui ${R[a]},${i}`, `auipc ${R[a]},${i}`);
  const csrs = ['mstatus', 'misa', 'mie', 'mtvec', 'mscratch', 'mepc', 'mcause', 'mtval', 'mip', 'mhartid', 'mcycle',
    'minstret', 'mcycleh', 'minstreth', 'cycle', 'instret', 'cycleh', 'instreth', '0x7c0'];
  for (const csr of csrs)
    for (const a of [0, 10])
      for (const b of [0, 11])
        L.push(`csrrw ${R[a]},${csr},${R[b]}`, `csrrs ${R[a]},${csr},${R[b]}`, `csrrc ${R[a]},${csr},${R[b]}`,
          `csrrwi ${R[a]},${csr},${b ? 5 : 0}`, `csrrsi ${R[a]},${csr},${b ? 31 : 0}`, `csrrci ${R[a]},${csr},${b ? 1 : 0}`);
  L.push('ecall', 'ebreak', 'mret', 'wfi', 'fence', 'fence rw,rw', 'fence r,w', 'fence iorw,iorw', 'fence w,r');
  L.push('.option rvc');
  for (const r of [8, 9, 10, 15]) {
    const o = (k: number) => R[((r + k) % 8) + 8];
    L.push(`c.addi4spn ${R[r]},sp,16`, `c.addi4spn ${R[r]},sp,1020`, `c.lw ${R[r]},0(${o(1)})`, `c.lw ${R[r]},124(${o(2)})`,
      `c.sw ${R[r]},4(${o(3)})`, `c.sw ${R[r]},64(${o(3)})`, `c.srli ${R[r]},1`, `c.srli ${R[r]},31`, `c.srai ${R[r]},3`,
      `c.andi ${R[r]},-1`, `c.andi ${R[r]},5`, `c.sub ${R[r]},${o(1)}`, `c.xor ${R[r]},s0`, `c.or ${R[r]},a5`, `c.and ${R[r]},a0`,
      `c.beqz ${R[r]},.+8`, `c.bnez ${R[r]},.-4`, `c.beqz ${R[r]},.+254`, `c.bnez ${R[r]},.-256`);
  }
  for (const r of [1, 2, 5, 10, 31]) {
    L.push(`c.addi ${R[r]},-32`, `c.addi ${R[r]},31`, `c.li ${R[r]},-1`, `c.li ${R[r]},0`, `c.slli ${R[r]},1`, `c.slli ${R[r]},31`,
      `c.lwsp ${R[r]},0(sp)`, `c.lwsp ${R[r]},252(sp)`, `c.swsp ${R[r]},8(sp)`, `c.swsp ${R[r]},252(sp)`, `c.jr ${R[r]}`,
      `c.jalr ${R[r]}`, `c.mv ${R[r]},a1`, `c.add ${R[r]},t6`);
    if (r !== 2) L.push(`c.lui ${R[r]},1`, `c.lui ${R[r]},0xfffff`, `c.lui ${R[r]},31`, `c.lui ${R[r]},0xfffe0`);
  }
  L.push('c.addi16sp sp,-512', 'c.addi16sp sp,496', 'c.addi16sp sp,16', 'c.nop', 'c.ebreak', 'c.j .+100', 'c.j .-2',
    'c.j .+2046', 'c.jal .+2000', 'c.jal .-2048', 'c.unimp');
  return L.join('\n') + '\n';
}

function compare(file: string): { n: number; diffs: string[] } {
  const diffs: string[] = [];
  let n = 0;
  for (const { addr, raw, text } of objdump(file)) {
    if (text.startsWith('.4byte') || text.startsWith('.insn') || text.startsWith('.2byte')) continue; // XpulpV2, data
    n++;
    const ours = disassemble(raw, addr);
    if (ours !== text) diffs.push(`${addr.toString(16)}: ${raw.toString(16)} objdump '${text}' ours '${ours}'`);
  }
  return { n, diffs };
}

describe.skipIf(!HAVE_TOOLCHAIN)('disassembler vs objdump', () => {
  it('agrees on every RV32IMC + Zicsr encoding of a generated file', () => {
    const elf = assemble('all-encodings', allEncodingsSource());
    const { n, diffs } = compare(elf);
    expect(n).toBeGreaterThan(3000);
    expect(diffs).toEqual([]);
  });

  for (const ex of ['hello', 'branchy', 'matmul-int8']) {
    it(`agrees on every RV32IMC instruction of examples/${ex}`, async () => {
      const elf = join(OUT, `disasm-${ex}.elf`);
      await buildProgram({ sources: [join(REPO, 'examples', ex, 'main.c')], out: elf });
      const { n, diffs } = compare(elf);
      expect(n).toBeGreaterThan(200);
      expect(diffs).toEqual([]);
    });
  }
});
