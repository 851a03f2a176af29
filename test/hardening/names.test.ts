// names.ts: derived identifiers and escaped comments, as properties over arbitrary strings, and
// checked by the cross compiler itself (a comment that escapes would be code or a warning).
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cComment, cIdent, shellWord, uniqueIdents } from '../../src/compiler/names.js';
import { C_FLAGS } from '../../src/runtime/build.js';
import { HAVE_GCC, tempDir } from './helpers.js';

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
const anyText = fc.string({ unit: 'binary', maxLength: 80 });
const hostile = fc.oneof(anyText, fc.constantFrom('*/', '/*', '??/', '\\\n', '\n#include "x"\n', 'int', 'x */ y /*', '', '0'));

describe('identifiers', () => {
  it('are valid C identifiers, never keywords, at most 48 model-derived characters', () => {
    fc.assert(
      fc.property(hostile, (s) => {
        const id = cIdent(s);
        expect(id).toMatch(IDENT);
        expect(id.length).toBeLessThanOrEqual(48);
        expect(['int', 'if', 'return', 'static']).not.toContain(id);
      }),
      { seed: 12, numRuns: 500 },
    );
  });

  it('are unique; collisions after sanitising resolve by order, deterministically', () => {
    expect([...uniqueIdents(['a.b', 'a-b', 'a_b', 'a_b_1'], 'layer_').values()]).toEqual(['layer_a_b', 'layer_a_b_1', 'layer_a_b_2', 'layer_a_b_1_1']);
    expect(uniqueIdents(['x'], 'c_', new Set(['c_x'])).get('x')).toBe('c_x_1');
    expect(cIdent('int')).toBe('int_');
    expect(cIdent('9lives')).toBe('_9lives');
    // long names that share a prefix stay apart (hash of the whole name)
    expect(cIdent('p'.repeat(100) + 'a')).not.toBe(cIdent('p'.repeat(100) + 'b'));
    fc.assert(
      fc.property(fc.array(hostile, { maxLength: 30 }), (names) => {
        const ids = uniqueIdents(names, 'BUF_');
        const all = [...ids.values()];
        expect(new Set(all).size).toBe(all.length);
        for (const id of all) expect(id).toMatch(IDENT);
        expect([...uniqueIdents(names, 'BUF_').entries()]).toEqual([...ids.entries()]);
      }),
      { seed: 13, numRuns: 300 },
    );
  });
});

describe('comments', () => {
  it('hold any text on one printable line without closing or opening a comment', () => {
    fc.assert(
      fc.property(hostile, (s) => {
        const c = cComment(s);
        expect(c).toMatch(/^[ -~]*$/);
        expect(c).not.toContain('*/');
        expect(c).not.toContain('/*');
        expect(c).not.toContain('??');
      }),
      { seed: 14, numRuns: 1000 },
    );
  });

  it.skipIf(!HAVE_GCC)('leave nothing for gcc: 300 hostile comments preprocess to nothing, warning-free', () => {
    const texts = fc.sample(hostile, { seed: 15, numRuns: 300 });
    const src = join(tempDir('names'), 'comments.c');
    writeFileSync(src, texts.map((t) => `/* ${cComment(t)} */\n`).join('') + 'int only_code;\n');
    const out = execFileSync('riscv64-unknown-elf-gcc', [...C_FLAGS, '-Werror', '-E', '-P', src], { encoding: 'utf8' });
    expect(out.trim()).toBe('int only_code;');
  });
});

it('shell words quote anything that is not plainly safe', () => {
  expect(shellWord('src/network.c')).toBe('src/network.c');
  expect(shellWord("it's $(rm -rf ~)")).toBe(`'it'\\''s $(rm -rf ~)'`);
  fc.assert(
    fc.property(anyText.filter((s) => !s.includes('\0')), (s) => {
      const echoed = execFileSync('sh', ['-c', `printf %s ${shellWord(s)}`]).toString('utf8');
      expect(echoed).toBe(Buffer.from(s, 'utf8').toString('utf8'));
    }),
    { seed: 16, numRuns: 40 },
  );
});
