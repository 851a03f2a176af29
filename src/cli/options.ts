// Numeric command-line options, validated from the text the user typed: yargs' own number type
// turns `abc` into NaN (which downstream means "no limit") and `0x10` into 16, and its messages
// then quote numbers nobody typed. Each option here is a string option whose coerce function
// parses and checks it, so a bad value is exit 2 with one line quoting it.
import type { Options } from 'yargs';
import { InputError } from '../errors.js';

export interface NumberSpec {
  /** whole numbers only (counts, cores, steps) */
  integer?: boolean;
  min?: number;
  max?: number;
  /** min itself is refused (a frequency must be > 0) */
  exclusiveMin?: boolean;
  /** why the range is what it is, appended in parentheses */
  why?: string;
}

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
/** Counts are plain digits, so any later message quoting the number quotes what was typed. */
const DIGITS = /^[+-]?\d+$/;

function expected(spec: NumberSpec): string {
  const kind = spec.integer ? 'an integer' : 'a number';
  if (spec.min === 0 && spec.exclusiveMin && spec.max === undefined) return spec.integer ? 'a positive integer' : 'a positive number';
  const lo = spec.min === undefined ? '' : `${spec.exclusiveMin ? '>' : '>='} ${spec.min}`;
  if (spec.min !== undefined && spec.max !== undefined && !spec.exclusiveMin) return `${kind} ${spec.min}..${spec.max}`;
  return [kind, lo, spec.max === undefined ? '' : `<= ${spec.max}`].filter((s) => s !== '').join(' ');
}

/** Parse one option value; throws an InputError quoting the text as given. */
export function parseNumberOption(name: string, raw: unknown, spec: NumberSpec): number {
  if (typeof raw === 'number') return raw; // a default from the option table
  if (Array.isArray(raw)) throw new InputError(`--${name} given ${raw.length} times (${raw.join(', ')}); give it once`);
  const text = String(raw ?? '').trim();
  if (text === '') throw new InputError(`--${name}: expects a value (${expected(spec)})`);
  const v = (spec.integer ? DIGITS : DECIMAL).test(text) ? Number(text) : NaN;
  const ok =
    Number.isFinite(v) &&
    (!spec.integer || Number.isSafeInteger(v)) &&
    (spec.min === undefined || (spec.exclusiveMin ? v > spec.min : v >= spec.min)) &&
    (spec.max === undefined || v <= spec.max);
  if (!ok) throw new InputError(`--${name} ${String(raw)}: expected ${expected(spec)}${spec.why ? ` (${spec.why})` : ''}`);
  return v;
}

/** A yargs option holding a checked number (describe/default as usual). */
export function numberOption(name: string, spec: NumberSpec, opts: Omit<Options, 'type' | 'coerce'> = {}): Options {
  return { ...opts, type: 'string', requiresArg: true, coerce: (raw: unknown) => parseNumberOption(name, raw, spec) };
}

/** The cluster's cores, for --cores everywhere. */
export const CORES: NumberSpec = { integer: true, min: 1, max: 8, why: 'the cluster has 1 to 8 cores' };
