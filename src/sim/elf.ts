// ELF32 little-endian RISC-V executable loader. Every check failure is an InputError naming the
// file and what is wrong (exit code 2, contracts.md).
import { readFileSync } from 'node:fs';
import { InputError } from '../errors.js';
import { checkFileSize } from '../frontend/limits.js';
import type { Memory } from './memory.js';

export interface ElfImage {
  entry: number;
  segments: { vaddr: number; data: Uint8Array; memsz: number }[];
  symbols: Map<string, number>;
}

const EM_RISCV = 243;
const PT_LOAD = 1;
const SHT_SYMTAB = 2;
const SHT_STRTAB = 3;
/** ELF32 header, program header, section header and symbol sizes (the only layout this loader reads). */
const EHDR_SIZE = 52;
const PHDR_SIZE = 32;
const SHDR_SIZE = 40;
const SYM_SIZE = 16;

/** The bytes of an ELF file; a file-system error or an oversized file is an InputError naming it. */
export function readElfFile(path: string): Uint8Array {
  checkFileSize(path, 'ELF file');
  try {
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    throw new InputError(`${path}: cannot read ELF file (${(e as Error).message})`);
  }
}

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
  const ehsize = u16(40);
  const phentsize = u16(42);
  const phnum = u16(44);
  const shentsize = u16(46);
  const shnum = u16(48);
  if (ehsize !== EHDR_SIZE) bad(`e_ehsize ${ehsize}, expected ${EHDR_SIZE} for ELF32`);
  if (phnum === 0) bad('no program headers');
  if (phentsize !== PHDR_SIZE) bad(`e_phentsize ${phentsize}, expected ${PHDR_SIZE} for ELF32`);
  if (phoff + phnum * phentsize > buf.length) bad('truncated ELF file (program headers past the end)');
  const segments: (ElfImage['segments'][number] & { index: number })[] = [];
  for (let k = 0; k < phnum; k++) {
    const p = phoff + k * phentsize;
    if (u32(p) !== PT_LOAD) continue;
    const offset = u32(p + 4);
    const vaddr = u32(p + 8);
    const filesz = u32(p + 16);
    const memsz = u32(p + 20);
    if (filesz > memsz) bad(`segment ${k}: p_filesz ${filesz} exceeds p_memsz ${memsz}`);
    if (memsz === 0) continue;
    if (offset + filesz > buf.length) bad(`truncated ELF file (segment ${k} needs bytes up to ${offset + filesz}, file has ${buf.length})`);
    if (vaddr + memsz > 2 ** 32) bad(`segment ${k} at 0x${vaddr.toString(16)} (${memsz} bytes) wraps past the 32-bit address space`);
    for (const o of segments)
      if (vaddr < o.vaddr + o.memsz && o.vaddr < vaddr + memsz)
        bad(`segment ${k} [0x${vaddr.toString(16)}, 0x${(vaddr + memsz).toString(16)}) overlaps loadable segment ${o.index} [0x${o.vaddr.toString(16)}, 0x${(o.vaddr + o.memsz).toString(16)})`);
    segments.push({ vaddr, data: buf.subarray(offset, offset + filesz), memsz, index: k });
  }
  if (segments.length === 0) bad('no loadable segment (PT_LOAD with p_memsz > 0)');
  const symbols = new Map<string, number>();
  if (shoff !== 0 && shnum !== 0) {
    if (shentsize !== SHDR_SIZE) bad(`e_shentsize ${shentsize}, expected ${SHDR_SIZE} for ELF32`);
    if (shoff + shnum * shentsize > buf.length) bad('truncated ELF file (section headers past the end)');
    for (let k = 0; k < shnum; k++) {
      const s = shoff + k * shentsize;
      if (u32(s + 4) !== SHT_SYMTAB) continue;
      const off = u32(s + 16);
      const size = u32(s + 20);
      const link = u32(s + 24);
      const entsize = u32(s + 36) || SYM_SIZE;
      if (link === 0 || link >= shnum) bad(`section ${k} (symbol table): sh_link ${link} is not a section index (1..${shnum - 1})`);
      if (entsize < SYM_SIZE) bad(`section ${k} (symbol table): sh_entsize ${entsize}, expected ${SYM_SIZE}`);
      const strSec = shoff + link * shentsize;
      if (u32(strSec + 4) !== SHT_STRTAB) bad(`section ${k} (symbol table): sh_link ${link} names a section of type ${u32(strSec + 4)}, expected a string table (${SHT_STRTAB})`);
      const strOff = u32(strSec + 16);
      const strSize = u32(strSec + 20);
      if (off + size > buf.length || strOff + strSize > buf.length) bad('truncated ELF file (symbol table past the end)');
      const dec = new TextDecoder();
      for (let e = off; e + entsize <= off + size; e += entsize) {
        const nameOff = u32(e);
        if (nameOff >= strSize) {
          if (nameOff === 0) continue;
          bad(`section ${k} (symbol table): symbol at byte ${e} has st_name ${nameOff}, past its string table (${strSize} bytes)`);
        }
        let end = strOff + nameOff;
        while (end < strOff + strSize && buf[end] !== 0) end++;
        const name = dec.decode(buf.subarray(strOff + nameOff, end));
        if (name) symbols.set(name, u32(e + 4));
      }
    }
  }
  return { entry, segments: segments.map(({ vaddr, data, memsz }) => ({ vaddr, data, memsz })), symbols };
}

/** Copy the segments into memory (zero-filling .bss); every segment must fit one mapped region.
 * `fresh`: the memory was just created, so it is all zero and .bss needs no fill unless an
 * earlier segment wrote there (a network's .bss is megabytes: the fill touched every page). */
export function loadElf(img: ElfImage, memory: Memory, file: string, fresh = false): void {
  const written: [number, number][] = [];
  for (const s of img.segments) {
    if (!memory.contains(s.vaddr, s.memsz))
      throw new InputError(
        `${file}: segment at 0x${s.vaddr.toString(16)} (${s.memsz} bytes) is outside the simulated memory (siracusa memory map: L1 0x10000000, L2 0x1c000000, weight memory 0x10400000/0x10800000)`,
      );
    memory.writeBytes(s.vaddr, s.data);
    const lo = s.vaddr + s.data.length;
    const hi = s.vaddr + s.memsz;
    if (hi > lo && (!fresh || written.some(([a, b]) => a < hi && lo < b))) memory.fill(lo, hi - lo, 0);
    written.push([s.vaddr, lo]);
  }
}
