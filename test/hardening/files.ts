// Small valid binary files built byte by byte (no toolchain needed): a llama2.c checkpoint, its
// tokenizer, and an RV32 ELF that exits 0. The probes and the fuzz harness mutate them.

/** dim 8, hidden 16, 1 layer, 2 heads (2 kv), vocab 260 shared, seq_len 8; no RoPE tables. */
export function tinyCheckpoint(): { bytes: Uint8Array; offsets: Record<string, number> } {
  const [dim, hidden, layers, heads, kv, vocab, seq] = [8, 16, 1, 2, 2, 260, 8];
  const kvDim = (dim * kv) / heads;
  const sizes: [string, number][] = [
    ['tokenEmbedding', vocab * dim],
    ['rmsAtt', layers * dim],
    ['wq', layers * dim * dim],
    ['wk', layers * kvDim * dim],
    ['wv', layers * kvDim * dim],
    ['wo', layers * dim * dim],
    ['rmsFfn', layers * dim],
    ['w1', layers * hidden * dim],
    ['w2', layers * dim * hidden],
    ['w3', layers * hidden * dim],
    ['rmsFinal', dim],
  ];
  const floats = sizes.reduce((s, [, n]) => s + n, 0);
  const bytes = new Uint8Array(28 + 4 * floats);
  const dv = new DataView(bytes.buffer);
  [dim, hidden, layers, heads, kv, vocab, seq].forEach((v, i) => dv.setInt32(4 * i, v, true));
  const offsets: Record<string, number> = {};
  let off = 28;
  for (const [name, n] of sizes) {
    offsets[name] = off;
    for (let i = 0; i < n; i++) dv.setFloat32(off + 4 * i, name.startsWith('rms') ? 1 : Math.sin(i * 0.7 + off) * 0.2, true);
    off += 4 * n;
  }
  return { bytes, offsets };
}

/** 260 tokens: <unk> <s> </s>, the byte tokens <0x00>..<0xFF>, then ' a'. */
export function tinyTokenizer(): Uint8Array {
  const bytes = Array.from({ length: 256 }, (_, b) => `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
  const pieces = ['<unk>', '\n<s>\n', '\n</s>\n', ...bytes, ' a'];
  const parts: number[] = [];
  const i32 = (v: number) => parts.push(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff);
  i32(8);
  pieces.forEach((p, id) => {
    const f = new Uint8Array(new Float32Array([-id]).buffer);
    parts.push(...f);
    i32(p.length);
    parts.push(...Buffer.from(p, 'latin1'));
  });
  return Uint8Array.from(parts);
}

/** Offsets of the fields the ELF tests and the fuzz harness mutate. */
export const ELF = {
  phoff: 52,
  code: 84,
  symtab: 96,
  strtab: 128,
  shoff: 136,
  /** program header fields (relative to phoff) */
  p_offset: 4,
  p_vaddr: 8,
  p_filesz: 16,
  p_memsz: 20,
  /** section header fields (relative to a section header) */
  sh_type: 4,
  sh_offset: 16,
  sh_size: 20,
  sh_link: 24,
  sh_entsize: 36,
} as const;

/** An RV32 executable at the L2 base: `li a0, 0; li a7, 93; ecall` (exit 0), with a symbol table. */
export function tinyElf(): Uint8Array {
  const b = new Uint8Array(ELF.shoff + 3 * 40);
  const dv = new DataView(b.buffer);
  const u16 = (o: number, v: number) => dv.setUint16(o, v, true);
  const u32 = (o: number, v: number) => dv.setUint32(o, v >>> 0, true);
  b.set([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1], 0);
  u16(16, 2); // EXEC
  u16(18, 243); // RISC-V
  u32(20, 1);
  u32(24, 0x1c000000);
  u32(28, ELF.phoff);
  u32(32, ELF.shoff);
  u16(40, 52);
  u16(42, 32);
  u16(44, 1);
  u16(46, 40);
  u16(48, 3);
  // PT_LOAD: the 12 code bytes, 16 in memory
  const p = ELF.phoff;
  u32(p, 1);
  u32(p + ELF.p_offset, ELF.code);
  u32(p + ELF.p_vaddr, 0x1c000000);
  u32(p + 12, 0x1c000000);
  u32(p + ELF.p_filesz, 12);
  u32(p + ELF.p_memsz, 16);
  u32(p + 24, 5);
  u32(p + 28, 4);
  [0x00000513, 0x05d00893, 0x00000073].forEach((w, i) => u32(ELF.code + 4 * i, w));
  // symbols: null, _start
  u32(ELF.symtab + 16, 1);
  u32(ELF.symtab + 20, 0x1c000000);
  b.set(Buffer.from('\0_start\0', 'latin1'), ELF.strtab);
  const sh = (k: number, type: number, offset: number, size: number, link: number, entsize: number) => {
    const s = ELF.shoff + 40 * k;
    u32(s + ELF.sh_type, type);
    u32(s + ELF.sh_offset, offset);
    u32(s + ELF.sh_size, size);
    u32(s + ELF.sh_link, link);
    u32(s + ELF.sh_entsize, entsize);
  };
  sh(1, 2, ELF.symtab, 32, 2, 16);
  sh(2, 3, ELF.strtab, 8, 0, 0);
  return b;
}
