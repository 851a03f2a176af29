// The ELF loader's sanity checks (segments, header sizes, section links), on a hand-built RV32
// program: each malformed variant is exit 2 with one line naming the file and the field.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseElf } from '../../src/sim/elf.js';
import { ELF, tinyElf } from './files.js';
import { cli, expectOneLine, tempDir } from './helpers.js';

const dir = tempDir('elf');

function mutated(name: string, edit: (dv: DataView, b: Uint8Array) => void): string {
  const b = tinyElf();
  edit(new DataView(b.buffer), b);
  const path = join(dir, `${name}.elf`);
  writeFileSync(path, b);
  return path;
}
const run = (path: string) => cli(['run', '--cores', '1', path]);

describe('ELF loader', () => {
  it('runs the valid program (exit 0) and reads its symbol', () => {
    const r = run(mutated('ok', () => undefined));
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(parseElf(tinyElf(), 'tiny').symbols.get('_start')).toBe(0x1c000000);
  });

  const cases: [string, (dv: DataView, b: Uint8Array) => void, RegExp][] = [
    ['filesz-over-memsz', (dv) => dv.setUint32(ELF.phoff + ELF.p_filesz, 20, true), /segment 0: p_filesz 20 exceeds p_memsz 16/],
    ['phentsize', (dv) => dv.setUint16(42, 31, true), /e_phentsize 31, expected 32 for ELF32/],
    ['ehsize', (dv) => dv.setUint16(40, 64, true), /e_ehsize 64, expected 52 for ELF32/],
    ['shentsize', (dv) => dv.setUint16(46, 64, true), /e_shentsize 64, expected 40 for ELF32/],
    ['link-out-of-range', (dv) => dv.setUint32(ELF.shoff + 40 + ELF.sh_link, 99, true), /section 1 \(symbol table\): sh_link 99 is not a section index \(1\.\.2\)/],
    ['link-not-strtab', (dv) => dv.setUint32(ELF.shoff + 40 + ELF.sh_link, 1, true), /section 1 \(symbol table\): sh_link 1 names a section of type 2, expected a string table \(3\)/],
    ['symtab-past-end', (dv) => dv.setUint32(ELF.shoff + 40 + ELF.sh_size, 1e6, true), /truncated ELF file \(symbol table past the end\)/],
    ['name-past-strtab', (dv) => dv.setUint32(ELF.symtab + 16, 500, true), /section 1 \(symbol table\): symbol at byte 112 has st_name 500, past its string table \(8 bytes\)/],
    ['segment-past-end', (dv) => dv.setUint32(ELF.phoff + ELF.p_offset, 1e6, true), /truncated ELF file \(segment 0 needs bytes up to 1000012, file has 256\)/],
    ['wraps', (dv) => dv.setUint32(ELF.phoff + ELF.p_vaddr, 0xfffffff8, true), /segment 0 at 0xfffffff8 \(16 bytes\) wraps past the 32-bit address space/],
  ];
  for (const [name, edit, pattern] of cases)
    it(name, () => {
      const path = mutated(name, edit);
      expectOneLine(run(path), 2, new RegExp(`${name}\\.elf: ${pattern.source}`));
    });

  it('overlapping loadable segments', () => {
    const b = tinyElf();
    const big = new Uint8Array(b.length + 64);
    big.set(b);
    const dv = new DataView(big.buffer);
    // program headers move to the end (two of them); the second loads over the first
    const ph = b.length;
    big.copyWithin(ph, ELF.phoff, ELF.phoff + 32);
    big.copyWithin(ph + 32, ELF.phoff, ELF.phoff + 32);
    dv.setUint32(ph + 32 + ELF.p_vaddr, 0x1c000008, true);
    dv.setUint32(28, ph, true);
    dv.setUint16(44, 2, true);
    const path = join(dir, 'overlap.elf');
    writeFileSync(path, big);
    expectOneLine(run(path), 2, /overlap\.elf: segment 1 \[0x1c000008, 0x1c000018\) overlaps loadable segment 0 \[0x1c000000, 0x1c000010\)/);
  });

  it('a folder or an unreadable path is one line too', () => {
    expectOneLine(run(dir), 2, /build directory without network\.elf/);
  });
});
