// Symbol addresses from an ELF32 little-endian file (.symtab), so the manifest can give the
// linked address of every arena and constant without another tool.
import { readFileSync } from 'node:fs';

export function readElfSymbols(path: string): Map<string, { addr: number; size: number }> {
  const b = readFileSync(path);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (b.length < 52 || b[0] !== 0x7f || b[1] !== 0x45 || b[4] !== 1) throw new Error(`${path}: not an ELF32 file`);
  const shoff = dv.getUint32(32, true);
  const shentsize = dv.getUint16(46, true);
  const shnum = dv.getUint16(48, true);
  const syms = new Map<string, { addr: number; size: number }>();
  const sh = (i: number) => {
    const o = shoff + i * shentsize;
    return { type: dv.getUint32(o + 4, true), offset: dv.getUint32(o + 16, true), size: dv.getUint32(o + 20, true), link: dv.getUint32(o + 24, true), entsize: dv.getUint32(o + 36, true) };
  };
  for (let i = 0; i < shnum; i++) {
    const s = sh(i);
    if (s.type !== 2) continue; // SHT_SYMTAB
    const str = sh(s.link);
    for (let o = s.offset; o + 16 <= s.offset + s.size; o += s.entsize || 16) {
      const nameOff = dv.getUint32(o, true);
      if (nameOff === 0) continue;
      let end = str.offset + nameOff;
      while (b[end] !== 0) end++;
      const name = b.toString('latin1', str.offset + nameOff, end);
      syms.set(name, { addr: dv.getUint32(o + 4, true), size: dv.getUint32(o + 8, true) });
    }
  }
  return syms;
}
