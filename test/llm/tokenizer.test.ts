// Hand-worked BPE cases on a small synthetic vocabulary (expected token ids derived by hand from
// run.c's rules: dummy-prefix space, code points or byte fallback, best-score merge first).
import { describe, expect, it } from 'vitest';
import { loadTokenizer, parseTokenizer, Tokenizer } from '../../src/frontend/tokenizer.js';
import { haveModels, TOKENIZER } from './helpers.js';

function tinyVocab(): { vocab: string[]; scores: number[] } {
  const vocab = ['<unk>', '<s>', '</s>'];
  const scores = [0, 0, 0];
  for (let b = 0; b < 256; b++) {
    vocab.push(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
    scores.push(0);
  }
  // ids 259..267
  const extra: [string, number][] = [
    [' ', -100],
    ['a', -100],
    ['b', -100],
    ['c', -100],
    ['ab', -1],
    ['bc', -0.5],
    [' a', -2],
    [' ab', -3],
    [Buffer.from('é', 'utf8').toString('latin1'), -10],
  ];
  for (const [s, sc] of extra) {
    vocab.push(s);
    scores.push(sc);
  }
  return { vocab, scores };
}

function tiny(): Tokenizer {
  const { vocab, scores } = tinyVocab();
  return new Tokenizer(vocab, Float32Array.from(scores), 8);
}

function serialize(vocab: string[], scores: number[], maxLen: number): Uint8Array {
  const parts: Buffer[] = [];
  const head = Buffer.alloc(4);
  head.writeInt32LE(maxLen);
  parts.push(head);
  vocab.forEach((s, i) => {
    const b = Buffer.alloc(8);
    b.writeFloatLE(scores[i]!, 0);
    b.writeInt32LE(s.length, 4);
    parts.push(b, Buffer.from(s, 'latin1'));
  });
  return Buffer.concat(parts);
}

describe('BPE encode (hand-worked)', () => {
  const t = tiny();
  it('merges the best-scoring pair first: "abc" -> bc, then " a"', () => {
    // [BOS, " ", a, b, c] -> bc(-0.5) beats ab(-1) and " a"(-2) -> [BOS, " ", a, bc] -> [BOS, " a", bc]
    expect(t.encode('abc')).toEqual([1, 265, 264]);
  });
  it('"ab" -> ab, then " ab"', () => {
    expect(t.encode('ab')).toEqual([1, 266]);
  });
  it('a multi-byte code point in the vocabulary is one token', () => {
    expect(t.encode('aé')).toEqual([1, 265, 267]);
  });
  it('a code point not in the vocabulary falls back to byte tokens (byte + 3)', () => {
    // è = C3 A8 -> 0xC3+3 = 198, 0xA8+3 = 171
    expect(t.encode('aè')).toEqual([1, 265, 198, 171]);
  });
  it('empty text: BOS only, no dummy prefix; bos/eos flags', () => {
    expect(t.encode('')).toEqual([1]);
    expect(t.encode('', false)).toEqual([]);
    expect(t.encode('c', false, true)).toEqual([259, 262, 2]);
  });
});

describe('decode (hand-worked)', () => {
  const t = tiny();
  const text = (prev: number, tok: number) => Buffer.from(t.printable(prev, tok)).toString('latin1');
  it('drops the leading space right after BOS only', () => {
    expect(text(1, 265)).toBe('a');
    expect(text(260, 265)).toBe(' a');
  });
  it('byte tokens decode to their byte; lone non-printable bytes print nothing', () => {
    expect(text(260, 3 + 0x0a)).toBe('\n');
    expect(text(260, 3 + 0x41)).toBe('A');
    expect(Array.from(t.decode(260, 198))).toEqual([0xc3]);
    expect(text(260, 198)).toBe('');
    expect(text(260, 3)).toBe(''); // <0x00>
  });
});

describe('tokenizer.bin parsing', () => {
  const { vocab, scores } = tinyVocab();
  const bytes = serialize(vocab, scores, 8);
  it('reads exactly vocab_size tokens', () => {
    const t = parseTokenizer(bytes, vocab.length, 'tiny.bin');
    expect(t.vocabSize).toBe(268);
    expect(t.encode('abc')).toEqual([1, 265, 264]);
  });
  it('a vocabulary size that does not match is an InputError naming the file', () => {
    expect(() => parseTokenizer(bytes, vocab.length + 1, 'tiny.bin')).toThrow(/tiny\.bin.*269 tokens.*ends after 268/);
    expect(() => parseTokenizer(bytes, vocab.length - 1, 'tiny.bin')).toThrow(/tiny\.bin.*267 tokens.*bytes remain/);
  });
});

describe.skipIf(!haveModels)('tok512.bin', () => {
  it('loads 512 tokens with byte tokens at 3..258 and round-trips ASCII text', () => {
    const t = loadTokenizer(TOKENIZER, 512);
    expect(t.piece(3)).toBe('<0x00>');
    expect(t.piece(258)).toBe('<0xFF>');
    const text = 'Once upon a time, Lily saw a big red ball.\nShe said, "Hi!"';
    const ids = t.encode(text);
    expect(ids[0]).toBe(1);
    let out = '';
    for (let i = 1; i < ids.length; i++) out += Buffer.from(t.printable(ids[i - 1]!, ids[i]!)).toString('latin1');
    // The dummy-prefix space merges into the first word, and decode drops it after BOS.
    expect(out).toBe(text);
  });
});
