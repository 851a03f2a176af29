// Every XpulpV2 wrapper in src/runtime/include/pulp.h emits the instruction the spec table says:
// a C file calls each wrapper in its own function, build.ts links it, objdump disassembles it, and
// each function must contain exactly the expected XpulpV2 word(s), matched against the fixed bits
// of ../shared/spec/xpulpv2-encodings.tsv (parsed here, independently of the simulator's tables).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildProgram, OBJDUMP, RUNTIME_INCLUDE_DIR } from '../../src/runtime/build.js';
import { HAVE_GCC, HAVE_OBJDUMP, outDir, SPEC_DIR } from './helpers.js';

const TSV = join(SPEC_DIR, 'xpulpv2-encodings.tsv');

interface Row {
  mnemonic: string;
  id: string;
  format: string;
  mask: number;
  match: number;
}

function parseTsv(text: string): Row[] {
  const rows: Row[] = [];
  for (const line of text.split('\n').slice(1)) {
    if (!line.trim()) continue;
    const [mnemonic, id, format, bits] = line.split('\t');
    const b = bits.replace(/\s+/g, '');
    if (b.length !== 32) throw new Error(`bad TSV row ${line}`);
    let mask = 0;
    let match = 0;
    for (let i = 0; i < 32; i++) {
      const c = b[31 - i];
      if (c === '0' || c === '1') {
        mask |= 1 << i;
        if (c === '1') match |= 1 << i;
      }
    }
    rows.push({ mnemonic, id, format, mask: mask >>> 0, match: match >>> 0 });
  }
  return rows;
}

const field = (w: number, lsb: number, width: number): number => (w >>> lsb) & ((1 << width) - 1);
const sext = (v: number, bits: number): number => (v << (32 - bits)) >> (32 - bits);
/** 6-bit .sci immediate: imm[0] = bit 25, imm[5:1] = bits 24:20 */
const sciImm = (w: number, signed: boolean): number => {
  const u = (field(w, 20, 5) << 1) | field(w, 25, 1);
  return signed ? sext(u, 6) : u;
};

interface Case {
  /** C body of `int32_t fn(int32_t a, int32_t b, int32_t c, int8_t *p)` */
  body: string;
  /** the wrapper(s) this case covers */
  covers: string[];
  /** expected TSV ids of the XpulpV2 words in the function, in order */
  ids: string[];
  /** extra checks on the matched words */
  check?: (words: number[]) => void;
}

const header = readFileSync(join(RUNTIME_INCLUDE_DIR, 'pulp.h'), 'utf8');

/** Wrapper names in pulp.h, grouped by how they are defined. */
function wrappers(): { rr: string[]; acc: string[]; r1: string[]; macros: Map<string, string>; inlines: string[] } {
  const rr = [...header.matchAll(/^PULP_DEF_RR\((\w+),/gm)].map((m) => m[1]);
  const acc = [...header.matchAll(/^PULP_DEF_ACC\((\w+),/gm)].map((m) => m[1]);
  const r1 = [...header.matchAll(/^PULP_DEF_R1\((\w+),/gm)].map((m) => m[1]);
  const macros = new Map<string, string>();
  for (const m of header.matchAll(/^#define ((?:pv|p|P)_\w+)\(([^)]*)\)\s*(.*)$/gm)) macros.set(m[1], m[3]);
  const inlines = [...header.matchAll(/^static inline \w+ ((?:pv|p)_\w+)\(/gm)].map((m) => m[1]);
  return { rr, acc, r1, macros, inlines };
}

const mnemonicOf = (name: string): string => name.replace(/_/g, '.');

function buildCases(rows: Row[]): Case[] {
  const byMnemonic = new Map<string, Row[]>();
  for (const r of rows) byMnemonic.set(r.mnemonic, [...(byMnemonic.get(r.mnemonic) ?? []), r]);
  const idOf = (name: string): string => {
    const rs = byMnemonic.get(mnemonicOf(name)) ?? [];
    if (rs.length !== 1) throw new Error(`no unique TSV row for wrapper ${name} (${rs.length})`);
    return rs[0].id;
  };
  const w = wrappers();
  const cases: Case[] = [];
  for (const n of w.rr) cases.push({ body: `return ${n}(a, b);`, covers: [n], ids: [idOf(n)] });
  for (const n of w.acc) cases.push({ body: `return ${n}(c, a, b);`, covers: [n], ids: [idOf(n)] });
  for (const n of w.r1) {
    cases.push({ body: `return ${n}(a);`, covers: [n], ids: [idOf(n)], check: ([x]) => expect(field(x, 20, 5)).toBe(0) });
  }
  // .sci and lane macros: PULP_SCI(f6, f3, signed, ...) / PULP_SCI_ACC(...)
  for (const [n, def] of w.macros) {
    const m = /^PULP_SCI(_ACC)?\(0x[0-9A-F]+, \d, ([01]),/.exec(def);
    if (!m) continue;
    const signed = m[2] === '1';
    const imm = signed ? -27 : 45;
    const call = m[1] ? `${n}(c, a, ${imm})` : `${n}(a, ${imm})`;
    cases.push({ body: `return ${call};`, covers: [n], ids: [idOf(n)], check: ([x]) => expect(sciImm(x, signed)).toBe(imm) });
  }
  const i1u = (n: string) => ({
    body: `return ${n}(a, 8);`,
    covers: [n],
    ids: [idOf(n)],
    check: ([x]: number[]) => expect(field(x, 20, 5)).toBe(8),
  });
  cases.push(i1u('p_clipi'), i1u('p_clipui'));
  for (const n of ['p_extracti', 'p_extractui', 'p_bclri', 'p_bseti']) {
    cases.push({
      body: `return ${n}(a, 5, 3);`,
      covers: [n],
      ids: [idOf(n)],
      check: ([x]) => expect([field(x, 25, 5), field(x, 20, 5)]).toEqual([4, 3]), // Is3 = nbits-1, Is2 = pos
    });
  }
  cases.push({
    body: 'return p_inserti(c, a, 5, 3);',
    covers: ['p_inserti'],
    ids: ['p.inserti'],
    check: ([x]) => expect([field(x, 25, 5), field(x, 20, 5)]).toEqual([4, 3]),
  });

  // loads and stores
  const iImm = (x: number) => sext(field(x, 20, 12), 12);
  const sImm = (x: number) => sext((field(x, 25, 7) << 5) | field(x, 7, 5), 12);
  const sizes: [string, string, string][] = [
    ['LB', 'int8_t', 'lb'],
    ['LBU', 'uint8_t', 'lbu'],
    ['LH', 'int16_t', 'lh'],
    ['LHU', 'uint16_t', 'lhu'],
    ['LW', 'int32_t', 'lw'],
  ];
  for (const [S, T, s] of sizes) {
    cases.push({
      body: `const ${T} *q = (const ${T} *)p; int32_t v = P_${S}_POSTINC_I(q, -12); return v + (int32_t)q;`,
      covers: [`P_${S}_POSTINC_I`],
      ids: [`${S}_POSTINC`],
      check: ([x]) => expect(iImm(x)).toBe(-12),
    });
    cases.push({
      body: `const ${T} *q = (const ${T} *)p; int32_t v = P_${S}_POSTINC_R(q, b); return v + (int32_t)q;`,
      covers: [`P_${S}_POSTINC_R`],
      ids: [`${S}_RR_POSTINC`],
    });
    cases.push({ body: `return P_${S}_RR(p, b);`, covers: [`P_${S}_RR`], ids: [`${S}_RR`] });
    const elem = { lb: 1, lbu: 1, lh: 2, lhu: 2, lw: 4 }[s]!;
    cases.push({
      body: `const ${T} *q = (const ${T} *)p; int32_t v = p_${s}_postinc(&q); return v + (int32_t)q;`,
      covers: [`p_${s}_postinc`],
      ids: [`${S}_POSTINC`],
      check: ([x]) => expect(iImm(x)).toBe(elem),
    });
  }
  cases.push({
    body: 'const int8_t *q = p; int32_t v = p_lw_postinc_v4(&q); return v + (int32_t)q;',
    covers: ['p_lw_postinc_v4'],
    ids: ['LW_POSTINC'],
  });
  cases.push({
    body: 'const int16_t *q = (const int16_t *)p; int32_t v = p_lw_postinc_v2(&q); return v + (int32_t)q;',
    covers: ['p_lw_postinc_v2'],
    ids: ['LW_POSTINC'],
  });
  cases.push({
    body: 'const int32_t *q = (const int32_t *)p; int32_t v = p_lw_postinc_r(&q, b); return v + (int32_t)q;',
    covers: ['p_lw_postinc_r'],
    ids: ['LW_RR_POSTINC'],
  });
  for (const [S, T, s, f] of [
    ['SB', 'int8_t', 'sb', 0],
    ['SH', 'int16_t', 'sh', 1],
    ['SW', 'int32_t', 'sw', 2],
  ] as const) {
    cases.push({
      body: `${T} *q = (${T} *)p; P_${S}_POSTINC_I(q, a, -8); return (int32_t)q;`,
      covers: [`P_${S}_POSTINC_I`],
      ids: [`${S}_POSTINC`],
      check: ([x]) => expect([sImm(x), field(x, 12, 3)]).toEqual([-8, f]),
    });
    cases.push({
      body: `${T} *q = (${T} *)p; P_${S}_POSTINC_R(q, a, b); return (int32_t)q;`,
      covers: [`P_${S}_POSTINC_R`],
      ids: [`${S}_RR_POSTINC`],
    });
    cases.push({ body: `P_${S}_RR(p, b, a); return 0;`, covers: [`P_${S}_RR`], ids: [`${S}_RR`] });
    cases.push({
      body: `${T} *q = (${T} *)p; p_${s}_postinc(&q, a); return (int32_t)q;`,
      covers: [`p_${s}_postinc`],
      ids: [`${S}_POSTINC`],
    });
  }
  cases.push({
    body: 'int32_t *q = (int32_t *)p; p_sw_postinc_r(&q, a, b); return (int32_t)q;',
    covers: ['p_sw_postinc_r'],
    ids: ['SW_RR_POSTINC'],
  });

  // hardware loops and the asm-string helpers
  cases.push({
    body: `int32_t acc = c, x, y; const int8_t *pa = p, *pb = p + 64;
      __asm__ volatile(PULP_HWLOOP_BEGIN(0, "%[n]", 5)
        PULP_ASM_LW_POSTINC("%[x]", "%[pa]", 4)
        PULP_ASM_LW_POSTINC("%[y]", "%[pb]", 4)
        PULP_ASM_SDOTSP_B("%[acc]", "%[x]", "%[y]")
        PULP_ASM_SDOTUSP_B("%[acc]", "%[x]", "%[y]")
        PULP_ASM_SDOTUP_B("%[acc]", "%[x]", "%[y]")
        PULP_HWLOOP_END(0, 5)
        : [acc] "+r"(acc), [pa] "+r"(pa), [pb] "+r"(pb), [x] "=&r"(x), [y] "=&r"(y) : [n] "r"(a) : "memory");
      return acc;`,
    covers: ['PULP_HWLOOP_BEGIN', 'PULP_HWLOOP_END', 'PULP_ASM_LW_POSTINC', 'PULP_ASM_SDOTSP_B', 'PULP_ASM_SDOTUSP_B', 'PULP_ASM_SDOTUP_B'],
    ids: ['lp.setup', 'LW_POSTINC', 'LW_POSTINC', 'pv.sdotsp.b', 'pv.sdotusp.b', 'pv.sdotup.b'],
    check: ([setup]) => expect([field(setup, 7, 1), iImm(setup)]).toEqual([0, 10]),
  });
  cases.push({
    body: `int32_t acc = c; const int16_t *pa = (const int16_t *)p; int16_t *pw = (int16_t *)(p + 256);
      int8_t *pb8 = p + 512; int32_t t0, t1;
      __asm__ volatile(PULP_HWLOOP_BEGIN(1, "%[n1]", 9)
          PULP_HWLOOP_BEGIN(0, "%[n0]", 4)
            PULP_ASM_LH_POSTINC("%[t0]", "%[pa]", 2)
            PULP_ASM_LHU_POSTINC("%[t1]", "%[pa]", 2)
            PULP_ASM_MAC("%[acc]", "%[t0]", "%[t1]")
            PULP_ASM_SDOTSP_H("%[acc]", "%[t0]", "%[t1]")
          PULP_HWLOOP_END(0, 4)
          PULP_ASM_SH_POSTINC("%[acc]", "%[pw]", 2)
          PULP_ASM_SW_POSTINC("%[acc]", "%[pw]", 4)
          PULP_ASM_SB_POSTINC("%[acc]", "%[pb8]", 1)
          "addi %[acc], %[acc], 1\\n\\t"
        PULP_HWLOOP_END(1, 9)
        : [acc] "+r"(acc), [pa] "+r"(pa), [pw] "+r"(pw), [pb8] "+r"(pb8), [t0] "=&r"(t0), [t1] "=&r"(t1)
        : [n1] "r"(a), [n0] "r"(b) : "memory");
      return acc;`,
    covers: ['PULP_ASM_LH_POSTINC', 'PULP_ASM_LHU_POSTINC', 'PULP_ASM_MAC', 'PULP_ASM_SDOTSP_H', 'PULP_ASM_SH_POSTINC', 'PULP_ASM_SW_POSTINC', 'PULP_ASM_SB_POSTINC'],
    ids: ['lp.setup', 'lp.setup', 'LH_POSTINC', 'LHU_POSTINC', 'p.mac', 'pv.sdotsp.h', 'SH_POSTINC', 'SW_POSTINC', 'SB_POSTINC'],
    // outer (L=1) ends at its 9th body instruction: 18 halfwords; inner (L=0): 8
    check: ([outer, inner]) => expect([field(outer, 7, 1), iImm(outer), field(inner, 7, 1), iImm(inner)]).toEqual([1, 18, 0, 8]),
  });
  cases.push({
    body: `int32_t acc = c; const int8_t *pa = p; int32_t t0;
      __asm__ volatile(PULP_HWLOOPI_BEGIN(0, 100, 3)
          PULP_ASM_LB_POSTINC("%[t0]", "%[pa]", 1)
          PULP_ASM_LBU_POSTINC("%[t0]", "%[pa]", 1)
          "add %[acc], %[acc], %[t0]\\n\\t"
        PULP_HWLOOP_END(0, 3)
        : [acc] "+r"(acc), [pa] "+r"(pa), [t0] "=&r"(t0) :: "memory");
      return acc;`,
    covers: ['PULP_HWLOOPI_BEGIN', 'PULP_ASM_LB_POSTINC', 'PULP_ASM_LBU_POSTINC'],
    ids: ['lp.setupi', 'LB_POSTINC', 'LBU_POSTINC'],
    check: ([s]) => expect([field(s, 7, 1), field(s, 20, 12), field(s, 15, 5)]).toEqual([0, 100, 6]),
  });
  cases.push({
    body: `__asm__ volatile(PULP_ASM_LP_COUNT(1, "%0") PULP_ASM_LP_COUNTI(0, 7) PULP_ASM_LP_STARTI(1, 12) PULP_ASM_LP_ENDI(0, 20) :: "r"(a));
      return 0;`,
    covers: ['PULP_ASM_LP_COUNT', 'PULP_ASM_LP_COUNTI', 'PULP_ASM_LP_STARTI', 'PULP_ASM_LP_ENDI'],
    ids: ['lp.count', 'lp.counti', 'lp.starti', 'lp.endi'],
    check: ([cnt, cnti, st, en]) =>
      expect([field(cnt, 7, 1), iImm(cnti), field(cnti, 7, 1), iImm(st), field(st, 7, 1), iImm(en)]).toEqual([1, 7, 0, 12, 1, 20]),
  });
  cases.push({
    body: 'return p_mac(c, a, b) ^ pv_sdotsp_b(c, a, b);',
    covers: [],
    ids: ['p.mac', 'pv.sdotsp.b'],
  });
  return cases;
}

const haveSpec = existsSync(TSV);
if (!haveSpec) console.warn(`encodings.test: ${TSV} not found: skipping`);

describe.skipIf(!haveSpec || !HAVE_GCC || !HAVE_OBJDUMP)('pulp.h wrappers emit the XpulpV2 encodings of the spec table', () => {
  let rows: Row[];
  let cases: Case[];
  let funcs: Map<string, { addr: number; word: number }[]>;

  beforeAll(async () => {
    rows = parseTsv(readFileSync(TSV, 'utf8'));
    cases = buildCases(rows);
    const dir = outDir('encodings');
    const src = join(dir, 'wrappers.c');
    const fns = cases.map(
      (c, i) => `__attribute__((noinline, used)) int32_t t_${i}(int32_t a, int32_t b, int32_t c, int8_t *p) {\n  ${c.body}\n}\n`,
    );
    writeFileSync(src, `#include <dsim.h>\n\n${fns.join('\n')}\nint main(void) { return 0; }\n`);
    const { elf } = await buildProgram({ sources: [src], out: join(dir, 'wrappers.elf'), extraFlags: ['-Wl,--no-gc-sections'] });
    const dis = spawnSync(OBJDUMP, ['-d', elf], { encoding: 'utf8' }).stdout;
    funcs = new Map();
    let cur: { addr: number; word: number }[] | undefined;
    for (const line of dis.split('\n')) {
      const fn = /^[0-9a-f]+ <(t_\d+)>:/.exec(line);
      if (fn) {
        cur = [];
        funcs.set(fn[1], cur);
        continue;
      }
      if (/^[0-9a-f]+ <.*>:/.test(line)) cur = undefined;
      const ins = /^\s*([0-9a-f]+):\s+([0-9a-f]{8})\s/.exec(line);
      if (ins && cur) cur.push({ addr: parseInt(ins[1], 16), word: parseInt(ins[2], 16) >>> 0 });
    }
  });

  it('parses all 306 rows of the table', () => {
    expect(rows.length).toBe(306);
  });

  it('covers every wrapper declared in pulp.h', () => {
    const w = wrappers();
    const declared = new Set([...w.rr, ...w.acc, ...w.r1, ...w.macros.keys(), ...w.inlines]);
    for (const m of header.matchAll(/^#define (PULP_HWLOOPI?_BEGIN|PULP_HWLOOP_END|PULP_ASM_(?!R\b)\w+)\(/gm)) declared.add(m[1]);
    const covered = new Set(cases.flatMap((c) => c.covers));
    const missing = [...declared].filter((n) => !covered.has(n));
    expect(missing).toEqual([]);
    expect(declared.size).toBeGreaterThan(200);
  });

  it('each function holds exactly the expected XpulpV2 words, with the right operand fields', () => {
    const failures: string[] = [];
    cases.forEach((c, i) => {
      const words = funcs.get(`t_${i}`);
      if (!words) {
        failures.push(`t_${i} (${c.covers.join(',')}): not in the disassembly`);
        return;
      }
      const matched = words
        .map((w) => ({ ...w, rows: rows.filter((r) => ((w.word & r.mask) >>> 0) === r.match) }))
        .filter((w) => w.rows.length > 0);
      const ids = matched.map((m) => m.rows.map((r) => r.id).join('|'));
      if (JSON.stringify(ids) !== JSON.stringify(c.ids)) {
        failures.push(`t_${i} (${c.covers.join(',')}): expected ${c.ids.join(' ')}, found ${ids.join(' ') || 'none'}`);
        return;
      }
      // hardware loops: lp.setup/lp.setupi word-aligned, body contiguous 32-bit words
      matched.forEach((m) => {
        if (m.rows[0].id.startsWith('lp.setup') && m.addr % 4 !== 0) failures.push(`t_${i}: ${m.rows[0].id} at 0x${m.addr.toString(16)} is not word-aligned`);
      });
      try {
        c.check?.(matched.map((m) => m.word));
      } catch (e) {
        failures.push(`t_${i} (${c.covers.join(',')}): ${(e as Error).message}`);
      }
    });
    expect(failures).toEqual([]);
  });

  it('a hardware-loop body of the wrong size is rejected at build time', async () => {
    const dir = outDir('encodings');
    const src = join(dir, 'badloop.c');
    writeFileSync(
      src,
      `#include <dsim.h>
int main(void) { int acc = 0, n = 3;
  __asm__ volatile(PULP_HWLOOP_BEGIN(0, "%[n]", 3) "addi %[acc], %[acc], 1\\n\\t" "addi %[acc], %[acc], 1\\n\\t" PULP_HWLOOP_END(0, 3)
    : [acc] "+r"(acc) : [n] "r"(n));
  return acc; }\n`,
    );
    await expect(buildProgram({ sources: [src], out: join(dir, 'badloop.elf') })).rejects.toThrow(/hwloop body is not 3 instructions/);
  });
});
