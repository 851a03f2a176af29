// The one place where text from a model file (node, tensor, graph and file names) becomes C or
// shell text. A hostile model can name a node `x */\n#include "/etc/passwd"\n/*`: identifiers are
// derived (never copied), comments are escaped, and no preprocessor line of the generated sources
// carries any of it. (The generated C has no string literal made from model text.)

/** Longest model-derived part of an identifier; longer names are cut and keep a hash of the whole. */
const MAX_IDENT_PART = 48;

/** FNV-1a over UTF-16 code units: a short, stable tag that keeps cut names apart. */
function shortHash(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

const C_KEYWORDS = new Set(
  'auto break case char const continue default do double else enum extern float for goto if inline int long register restrict return short signed sizeof static struct switch typedef union unsigned void volatile while asm typeof'.split(' '),
);

/**
 * A C identifier from a model name: characters outside [A-Za-z0-9_] become '_', no leading
 * digit, no keyword, long names cut with a hash of the original. Callers add a prefix
 * (layer_, BUF_, c_) so the result never starts with a reserved `_X` or `__`.
 */
export function cIdent(name: string): string {
  let s = name.replace(/[^A-Za-z0-9_]/g, '_');
  if (!/^[A-Za-z_]/.test(s)) s = `_${s}`;
  if (s.length > MAX_IDENT_PART) s = `${s.slice(0, MAX_IDENT_PART - 9)}_${shortHash(name)}`;
  if (C_KEYWORDS.has(s)) s = `${s}_`;
  return s;
}

/**
 * C identifiers for many names, unique among themselves and `taken`: where sanitising collides,
 * the later name (in the given order, so deterministically) gets the first free `_<k>` suffix.
 */
export function uniqueIdents(names: readonly string[], prefix = '', taken: ReadonlySet<string> = new Set()): Map<string, string> {
  const out = new Map<string, string>();
  const used = new Set(taken);
  for (const n of names) {
    if (out.has(n)) continue;
    const base = prefix + cIdent(n);
    let id = base;
    for (let k = 1; used.has(id); k++) id = `${base}_${k}`;
    used.add(id);
    out.set(n, id);
  }
  return out;
}

/**
 * Text safe inside a C block comment, on one line: printable ASCII is kept except that the
 * comment delimiters are broken up; every other character (newline, NUL, non-ASCII) becomes a
 * visible \xNN / \u{...} escape. A backslash is doubled so escapes stay unambiguous.
 */
export function cComment(text: string): string {
  let out = '';
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (c >= 0x20 && c < 0x7f) out += ch;
    else out += c < 0x100 ? `\\x${c.toString(16).padStart(2, '0')}` : `\\u{${c.toString(16)}}`;
  }
  // `*/` would end the comment, `/*` nests (a -Wcomment warning), `??/` is a trigraph backslash.
  return out.replace(/\*\//g, '*\\/').replace(/\/\*/g, '/\\*').replace(/\?\?/g, '?\\?');
}

/** One POSIX shell word: left bare when it is plainly safe, else single-quoted. */
export function shellWord(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}
