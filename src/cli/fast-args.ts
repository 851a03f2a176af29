// Plain command lines without yargs. Loading and setting up yargs costs ~0.1 s of CPU, a tenth of
// a network's whole `run`; most command lines are plain: known long options, each once, and the
// one positional. This reads those from the command's own yargs option table and gives up
// (undefined) on anything else (help, unknown or repeated options, short flags, a value that
// fails its check), which then goes through yargs as before, with yargs' messages.
import type { Options } from 'yargs';

/** Option table entries this reader understands; any other key (alias, choices, ...) means yargs. */
const KNOWN_KEYS = new Set(['type', 'default', 'describe', 'coerce', 'requiresArg']);

/**
 * The arguments yargs would give the handler of a command with one positional (`positional`) and
 * the string and boolean options of `options`, for `argv` (the words after the command's name),
 * or undefined when the line is not plain.
 */
export function plainArgs(argv: readonly string[], positional: string, options: Readonly<Record<string, Options>>): Record<string, unknown> | undefined {
  for (const o of Object.values(options)) {
    if (o.type !== 'string' && o.type !== 'boolean') return undefined;
    if (Object.keys(o).some((k) => !KNOWN_KEYS.has(k))) return undefined;
  }
  const out: Record<string, unknown> = {};
  let pos: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    if (!word.startsWith('-')) {
      if (pos !== undefined) return undefined;
      pos = word;
      continue;
    }
    if (!word.startsWith('--') || word === '--') return undefined;
    let name = word.slice(2);
    let value: string | undefined;
    const eq = name.indexOf('=');
    if (eq >= 0) {
      value = name.slice(eq + 1);
      name = name.slice(0, eq);
    }
    let negated = false;
    if (!Object.hasOwn(options, name) && name.startsWith('no-') && value === undefined) {
      name = name.slice(3);
      negated = true;
    }
    const o = Object.hasOwn(options, name) ? options[name]! : undefined;
    if (o === undefined || Object.hasOwn(out, name)) return undefined;
    if (o.type === 'boolean') {
      if (value !== undefined) return undefined;
      out[name] = !negated;
      continue;
    }
    if (negated) return undefined;
    if (value === undefined) {
      value = argv[++i];
      if (value === undefined || value.startsWith('-')) return undefined;
    }
    if (value === '') return undefined;
    out[name] = value;
  }
  if (pos === undefined) return undefined;
  for (const [name, o] of Object.entries(options)) if (!Object.hasOwn(out, name) && o.default !== undefined) out[name] = o.default;
  try {
    for (const name of Object.keys(out)) {
      const coerce = options[name]!.coerce;
      if (coerce) out[name] = coerce(out[name]);
    }
  } catch {
    return undefined;
  }
  out[positional] = pos;
  return out;
}
