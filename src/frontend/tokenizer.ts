// llama2.c's tokenizer.bin and its BPE: encode/decode behave exactly like run.c's `encode`/`decode`
// (docs/llm.md "Tokenizer"). Tokens are byte strings; they are held here as latin1 JS strings
// (one char per byte) so that concatenation and lookup work on bytes, as the C code does.
import { readFileSync } from 'node:fs';
import { InputError } from '../errors.js';
import { checkFileSize } from './limits.js';

export const BOS = 1;
export const EOS = 2;
/** Byte-fallback tokens <0x00>..<0xFF> sit at ids 3..258 (after <unk>, <s>, </s>). */
export const BYTE_TOKEN_OFFSET = 3;

export class Tokenizer {
  /** Token strings as C sees them: cut at the first NUL byte. */
  private readonly vocab: string[];
  private readonly lookup = new Map<string, number>();

  constructor(
    vocab: string[],
    readonly scores: Float32Array,
    readonly maxTokenLength: number,
  ) {
    this.vocab = vocab.map((s) => {
      const z = s.indexOf('\0');
      return z < 0 ? s : s.slice(0, z);
    });
    // run.c bsearches a sorted copy; with duplicate strings which id it finds is unspecified.
    // We take the lowest id (a deterministic choice; the shipped vocabularies have no duplicates).
    this.vocab.forEach((s, id) => {
      if (!this.lookup.has(s)) this.lookup.set(s, id);
    });
  }

  get vocabSize(): number {
    return this.vocab.length;
  }

  /** The token's raw bytes (latin1 string), as stored. */
  piece(id: number): string {
    return this.vocab[id]!;
  }

  /** run.c `encode(text, bos, eos)`: dummy-prefix space, UTF-8 code points or byte fallback, then greedy best-score merges. */
  encode(text: string, bos = true, eos = false): number[] {
    const bytes = Buffer.from(text, 'utf8');
    const tokens: number[] = [];
    if (bos) tokens.push(BOS);
    if (bytes.length > 0) {
      const space = this.lookup.get(' ');
      tokens.push(space ?? -1);
    }
    let buf: number[] = [];
    for (let i = 0; i < bytes.length; i++) {
      const c = bytes[i]!;
      if ((c & 0xc0) !== 0x80) buf = [];
      buf.push(c);
      const next = i + 1 < bytes.length ? bytes[i + 1]! : 0;
      if ((next & 0xc0) === 0x80 && buf.length < 4) continue;
      const id = this.lookup.get(String.fromCharCode(...buf));
      if (id !== undefined) tokens.push(id);
      else for (const b of buf) tokens.push(b + BYTE_TOKEN_OFFSET);
      buf = [];
    }
    for (;;) {
      let bestScore = -1e10;
      let bestId = -1;
      let bestIdx = -1;
      for (let i = 0; i + 1 < tokens.length; i++) {
        const id = this.lookup.get(this.str(tokens[i]!) + this.str(tokens[i + 1]!));
        if (id !== undefined && this.scores[id]! > bestScore) {
          bestScore = this.scores[id]!;
          bestId = id;
          bestIdx = i;
        }
      }
      if (bestIdx < 0) break;
      tokens.splice(bestIdx, 2, bestId);
    }
    if (eos) tokens.push(EOS);
    return tokens;
  }

  /** run.c `decode(prev, token)`: the piece's bytes; a leading space is dropped right after BOS; <0xXX> is that byte. */
  decode(prev: number, token: number): Uint8Array {
    let piece = this.vocab[token]!;
    if (prev === BOS && piece.startsWith(' ')) piece = piece.slice(1);
    // sscanf("<0x%02hhX>") succeeds on "<0x" plus one or two hex digits; the '>' is not checked.
    const m = /^<0x([0-9A-Fa-f]{1,2})/.exec(piece);
    if (m) {
      const b = parseInt(m[1]!, 16);
      return b === 0 ? new Uint8Array(0) : Uint8Array.of(b);
    }
    return Buffer.from(piece, 'latin1');
  }

  /** The token's text for printing, as run.c's safe_printf filters it: a lone non-printable byte prints nothing. */
  printable(prev: number, token: number): Uint8Array {
    const p = this.decode(prev, token);
    if (p.length === 1) {
      const b = p[0]!;
      const isPrint = b >= 0x20 && b <= 0x7e;
      const isSpace = b === 0x20 || (b >= 0x09 && b <= 0x0d);
      if (!isPrint && !isSpace) return new Uint8Array(0);
    }
    return p;
  }

  private str(id: number): string {
    // run.c formats ids it got from lookups, so every id here is valid, except a missing " " (-1).
    return id >= 0 ? this.vocab[id]! : '';
  }
}

export function loadTokenizer(path: string, vocabSize: number): Tokenizer {
  let bytes: Uint8Array;
  checkFileSize(path, 'tokenizer');
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new InputError(`${path}: cannot read tokenizer (${(err as Error).message})`);
  }
  return parseTokenizer(bytes, vocabSize, path);
}

/**
 * tokenizer.bin: int32 max_token_length, then per token float32 score, int32 length, bytes.
 * The file has no count: it must hold exactly the model's vocab_size tokens and end there.
 */
export function parseTokenizer(bytes: Uint8Array, vocabSize: number, name: string): Tokenizer {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fail = (what: string): never => {
    throw new InputError(`${name}: tokenizer does not match the model's vocabulary of ${vocabSize} tokens: ${what}`);
  };
  // encode() falls back to the byte tokens <0x00>..<0xFF> at ids 3..258, as run.c does
  if (vocabSize < BYTE_TOKEN_OFFSET + 256) fail(`a vocabulary needs at least ${BYTE_TOKEN_OFFSET + 256} tokens (<unk>, <s>, </s>, then the 256 byte-fallback tokens)`);
  if (bytes.length < 4) fail(`file is ${bytes.length} bytes long`);
  const maxTokenLength = view.getInt32(0, true);
  if (maxTokenLength <= 0 || maxTokenLength > 1 << 16) fail(`max_token_length ${maxTokenLength} is not plausible`);
  let off = 4;
  const vocab: string[] = [];
  const scores = new Float32Array(vocabSize);
  for (let i = 0; i < vocabSize; i++) {
    if (off + 8 > bytes.length) fail(`file ends after ${i} tokens (${bytes.length} bytes)`);
    scores[i] = view.getFloat32(off, true);
    const len = view.getInt32(off + 4, true);
    off += 8;
    if (len < 0 || len > maxTokenLength || off + len > bytes.length) {
      fail(`token ${i} at byte ${off - 4} has length ${len} (max_token_length ${maxTokenLength}, file ${bytes.length} bytes)`);
    }
    vocab.push(Buffer.from(bytes.subarray(off, off + len)).toString('latin1'));
    off += len;
  }
  if (off !== bytes.length) fail(`${bytes.length - off} bytes remain after token ${vocabSize - 1} (a larger vocabulary?)`);
  return new Tokenizer(vocab, scores, maxTokenLength);
}
