// ELF32 little-endian RISC-V executable loader. Every check failure is an InputError naming the
// file and what is wrong (exit code 2, contracts.md).
import { InputError } from '../errors.js';
import type { Memory } from './memory.js';

export interface ElfImage {
  entry: number;
  segments: { vaddr: number; data: Uint8Array; memsz: number }[];
  symbols: Map<string, number>;
}

const EM_RISCV = 243;
const PT_LOAD = 1;
const SHT_SYMTAB = 2;

export function parseElf(buf: Uint8Array, file: string): ElfImage {
  const bad = (what: string): never => {
    throw new InputError(`${file}: ${what}`);
  };
  if (buf.length < 52) {
    if (buf.length >= 4 && buf[0] === 0x7f && buf[1] === 0x45 && buf[2] === 0x4c && buf[3] === 0x46)
      bad(`truncated ELF file (${buf.length} bytes, the header alone needs 52)`);
    bad('not an ELF file (too short)');
  }
  if (!(buf[0] === 0x7f && buf[1] === 0x45 && buf[2] === 0x4c && buf[3] === 0x46)) bad('not an ELF file (bad magic)');
  if (buf[4] !== 1) bad(`not a 32-bit ELF (class ${buf[4]}${buf[4] === 2 ? ', 64-bit' : ''}); expected ELFCLASS32 for RV32`);
  if (buf[5] !== 1) bad('not a little-endian ELF');
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const u16 = (o: number) => dv.getUint16(o, true);
  const u32 = (o: number) => dv.getUint32(o, true);
  const type = u16(16);
  const machine = u16(18);
  if (machine !== EM_RISCV) bad(`not a RISC-V ELF (e_machine ${machine}, expected ${EM_RISCV})`);
  if (type !== 2) bad(`not an executable ELF (e_type ${type}, expected 2 = EXEC)`);
  const entry = u32(24);
  const phoff = u32(28);
  const shoff = u32(32);
  const phentsize = u16(42);
  const phnum = u16(44);
  const shentsize = u16(46);
  const shnum = u16(48);
  if (phnum === 0) bad('no program headers');
  if (phoff + phnum * phentsize > buf.length) bad('truncated ELF file (program headers past the end)');
  const segments: ElfImage['segments'] = [];
  for (let k = 0; k < phnum; k++) {
    const p = phoff + k * phentsize;
    if (u32(p) !== PT_LOAD) continue;
    const offset = u32(p + 4);
    const vaddr = u32(p + 8);
    const filesz = u32(p + 16);
    const memsz = u32(p + 20);
    if (memsz === 0) continue;
    if (offset + filesz > buf.length) bad(`truncated ELF file (segment ${k} needs bytes up to ${offset + filesz}, file has ${buf.length})`);
    segments.push({ vaddr, data: buf.subarray(offset, offset + filesz), memsz });
  }
  const symbols = new Map<string, number>();
  if (shoff !== 0 && shnum !== 0) {
    if (shoff + shnum * shentsize > buf.length) bad('truncated ELF file (section headers past the end)');
    for (let k = 0; k < shnum; k++) {
      const s = shoff + k * shentsize;
      if (u32(s + 4) !== SHT_SYMTAB) continue;
      const off = u32(s + 16);
      const size = u32(s + 20);
      const link = u32(s + 24);
      const entsize = u32(s + 36) || 16;
      const strSec = shoff + link * shentsize;
      const strOff = u32(strSec + 16);
      const strSize = u32(strSec + 20);
      if (off + size > buf.length || strOff + strSize > buf.length) bad('truncated ELF file (symbol table past the end)');
      for (let e = off; e + entsize <= off + size; e += entsize) {
        const nameOff = u32(e);
        let end = strOff + nameOff;
        while (end < strOff + strSize && buf[end] !== 0) end++;
        const name = new TextDecoder().decode(buf.subarray(strOff + nameOff, end));
        if (name) symbols.set(name, u32(e + 4));
      }
    }
  }
  return { entry, segments, symbols };
}

/** Copy the segments into memory (zero-filling .bss); every segment must fit one mapped region. */
export function loadElf(img: ElfImage, memory: Memory, file: string): void {
  for (const s of img.segments) {
    if (!memory.contains(s.vaddr, s.memsz))
      throw new InputError(
        `${file}: segment at 0x${s.vaddr.toString(16)} (${s.memsz} bytes) is outside the simulated memory (siracusa memory map: L1 0x10000000, L2 0x1c000000, weight memory 0x10400000/0x10800000)`,
      );
    memory.writeBytes(s.vaddr, s.data);
    if (s.memsz > s.data.length) memory.fill(s.vaddr + s.data.length, s.memsz - s.data.length, 0);
  }
}
