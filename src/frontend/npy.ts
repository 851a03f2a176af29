// NumPy .npy / .npz reading and writing (format versions 1.0, 2.0, 3.0; see NumPy's
// `numpy.lib.format` documentation). Zip archives go through fflate (stored and deflated members).
import { readFileSync, writeFileSync } from 'node:fs';
import { unzipSync, zipSync, type Zippable } from 'fflate';
import { InputError } from '../errors.js';
import { DTYPES, ALL_DTYPES, dtypeOfArray } from './dtype.js';
import type { DType, Tensor, TensorData } from './ir.js';
import { elementCount } from './ir.js';
import { checkBudget, checkedCount, checkFileSize } from './limits.js';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const ALIGN = 64;
/** NumPy leaves room in the header so the first axis can grow in place (numpy.lib.format). */
const GROWTH_AXIS_MAX_DIGITS = 21;

export interface NamedArray {
  /** Key in the archive (member name without `.npy`), or the graph tensor name. */
  name: string;
  dtype: DType;
  shape: number[];
  data: TensorData;
}

const BY_DESCR = new Map<string, DType>(ALL_DTYPES.map((d) => [DTYPES[d].numpy, d]));

function parseHeaderDict(text: string, source: string): { descr: string; fortran: boolean; shape: number[] } {
  // The header is a Python dict literal with exactly these three keys (the format guarantees it).
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(text);
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(text);
  const shape = /'shape'\s*:\s*\(([^)]*)\)/.exec(text);
  if (!descr || !fortran || !shape) throw new InputError(`${source}: malformed .npy header ${JSON.stringify(text.trim())}`);
  const dims = shape[1]!
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => {
      const n = Number(s.replace(/L$/, ''));
      if (!Number.isInteger(n) || n < 0) throw new InputError(`${source}: bad dimension '${s}' in .npy header`);
      return n;
    });
  return { descr: descr[1]!, fortran: fortran[1] === 'True', shape: dims };
}

function swapBytes(bytes: Uint8Array, width: number): void {
  for (let i = 0; i < bytes.length; i += width)
    for (let a = i, b = i + width - 1; a < b; a++, b--) {
      const t = bytes[a]!;
      bytes[a] = bytes[b]!;
      bytes[b] = t;
    }
}

/** C-order copy of a Fortran-order array (reverse the axes, then transpose back). */
function fortranToC<T extends TensorData>(data: T, shape: number[]): T {
  const n = data.length;
  const out = new (data.constructor as new (n: number) => T)(n);
  const rank = shape.length;
  const idx = new Array<number>(rank).fill(0);
  // Fortran strides: first axis fastest.
  const fstride = new Array<number>(rank);
  let s = 1;
  for (let k = 0; k < rank; k++) {
    fstride[k] = s;
    s *= shape[k]!;
  }
  for (let i = 0; i < n; i++) {
    let f = 0;
    for (let k = 0; k < rank; k++) f += idx[k]! * fstride[k]!;
    (out as unknown as number[])[i] = (data as unknown as number[])[f]!;
    for (let k = rank - 1; k >= 0; k--) {
      if (++idx[k]! < shape[k]!) break;
      idx[k] = 0;
    }
  }
  return out;
}

/** Parse one .npy file. `source` names the file (and member) in error messages. */
export function parseNpy(bytes: Uint8Array, source: string): Omit<NamedArray, 'name'> {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw new InputError(`${source}: not a .npy file (bad magic)`);
  const major = bytes[6]!;
  const minor = bytes[7]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLen: number;
  let start: number;
  if (major === 1) {
    headerLen = view.getUint16(8, true);
    start = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) throw new InputError(`${source}: truncated .npy header`);
    headerLen = view.getUint32(8, true);
    start = 12;
  } else throw new InputError(`${source}: unsupported .npy format version ${major}.${minor} (1.0, 2.0, 3.0 are)`);
  if (start + headerLen > bytes.length) throw new InputError(`${source}: truncated .npy header`);
  const headerBytes = bytes.subarray(start, start + headerLen);
  const text = major === 3 ? new TextDecoder('utf-8').decode(headerBytes) : new TextDecoder('latin1').decode(headerBytes);
  const h = parseHeaderDict(text, source);
  const order = h.descr[0]!;
  const code = '<>|='.includes(order) ? h.descr.slice(1) : h.descr;
  let dtype = BY_DESCR.get(code);
  if (code === 'b1') dtype = 'uint8'; // bool: one byte, 0/1
  if (!dtype) throw new InputError(`${source}: unsupported dtype '${h.descr}' (supported: ${ALL_DTYPES.join(', ')}, bool)`);
  const info = DTYPES[dtype];
  const count = checkedCount(h.shape, info.bytes, `${source}: array`);
  const offset = start + headerLen;
  const nbytes = count * info.bytes;
  if (offset + nbytes > bytes.length)
    throw new InputError(`${source}: truncated .npy data: shape (${h.shape.join(', ')}) ${h.descr} needs ${nbytes} bytes, file has ${bytes.length - offset}`);
  const copy = new Uint8Array(bytes.subarray(offset, offset + nbytes)); // aligned, owned (Buffer.slice would be a view)
  if (order === '>' && info.bytes > 1) swapBytes(copy, info.bytes);
  let data = new info.ctor(copy.buffer, 0, count) as TensorData;
  if (h.fortran && h.shape.length > 1) data = fortranToC(data, h.shape);
  return { dtype, shape: h.shape, data };
}

function pyShape(shape: readonly number[]): string {
  if (shape.length === 0) return '()';
  if (shape.length === 1) return `(${shape[0]},)`;
  return `(${shape.join(', ')})`;
}

/**
 * Serialize one array as .npy, byte-identical to `numpy.save` (header dict with sorted keys,
 * growth room, padded to 64 bytes). Version 1.0 unless the header needs 2.0, or `version` forces one.
 */
export function formatNpy(arr: { dtype: DType; shape: readonly number[]; data: TensorData }, version?: 1 | 2 | 3): Uint8Array {
  const info = DTYPES[arr.dtype];
  if (dtypeOfArray(arr.data) !== arr.dtype) throw new Error(`formatNpy: data is ${dtypeOfArray(arr.data)}, dtype says ${arr.dtype}`);
  if (arr.data.length !== elementCount(arr.shape)) throw new Error(`formatNpy: ${arr.data.length} elements for shape [${arr.shape.join(', ')}]`);
  const descr = (info.bytes === 1 ? '|' : '<') + info.numpy;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${pyShape(arr.shape)}, }`;
  if (arr.shape.length > 0) header += ' '.repeat(GROWTH_AXIS_MAX_DIGITS - String(arr.shape[0]).length);
  const build = (v: 1 | 2 | 3): Uint8Array => {
    const lenBytes = v === 1 ? 2 : 4;
    const hlen = header.length + 1;
    const pad = ALIGN - ((MAGIC.length + 2 + lenBytes + hlen) % ALIGN);
    const full = header + ' '.repeat(pad % ALIGN) + '\n';
    const headerBytes = new TextEncoder().encode(full);
    const out = new Uint8Array(MAGIC.length + 2 + lenBytes + headerBytes.length + arr.data.byteLength);
    out.set(MAGIC, 0);
    out[6] = v;
    out[7] = 0;
    const view = new DataView(out.buffer);
    if (v === 1) view.setUint16(8, headerBytes.length, true);
    else view.setUint32(8, headerBytes.length, true);
    out.set(headerBytes, 8 + lenBytes);
    out.set(new Uint8Array(arr.data.buffer, arr.data.byteOffset, arr.data.byteLength), 8 + lenBytes + headerBytes.length);
    return out;
  };
  if (version) {
    if (version === 1 && header.length + 1 + 10 > 65535) throw new Error('formatNpy: header too long for version 1.0');
    return build(version);
  }
  return build(header.length + 1 + 10 < 65536 ? 1 : 2);
}

function readBytes(path: string): Uint8Array {
  checkFileSize(path, 'NumPy file');
  try {
    return readFileSync(path);
  } catch (e) {
    throw new InputError(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
}

export function readNpy(path: string): Omit<NamedArray, 'name'> {
  return parseNpy(readBytes(path), path);
}

export function writeNpy(path: string, arr: { dtype: DType; shape: readonly number[]; data: TensorData }, version?: 1 | 2 | 3): void {
  writeFileSync(path, formatNpy(arr, version));
}

/** The arrays of an .npz archive in the archive's own order (the order graph I/O relies on). */
export function parseNpz(bytes: Uint8Array, source: string): NamedArray[] {
  let files: Record<string, Uint8Array>;
  const order: string[] = [];
  let inflated = 0;
  try {
    files = unzipSync(bytes, {
      // sizes from the zip directory, before inflating (fflate never inflates past them)
      filter: (f) => {
        order.push(f.name);
        inflated += f.originalSize;
        checkBudget(inflated, `${source}: member '${f.name}' (${f.originalSize} bytes inflated)`);
        return true;
      },
    });
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(`${source}: not a valid .npz (zip) archive: ${(e as Error).message}`);
  }
  const out: NamedArray[] = [];
  for (const member of order) {
    if (member.endsWith('/')) continue;
    const data = files[member];
    if (!data) continue;
    const name = member.endsWith('.npy') ? member.slice(0, -4) : member;
    out.push({ name, ...parseNpy(data, `${source}[${name}]`) });
  }
  return out;
}

export function readNpz(path: string): NamedArray[] {
  return parseNpz(readBytes(path), path);
}

/** Zip arrays as `<name>.npy` members in the given order; deterministic bytes (fixed timestamps). */
export function formatNpz(arrays: readonly NamedArray[] | readonly Tensor[], opts: { compress?: boolean } = {}): Uint8Array {
  const zippable: Zippable = {};
  const seen = new Set<string>();
  for (const a of arrays) {
    if (seen.has(a.name)) throw new Error(`formatNpz: duplicate key '${a.name}'`);
    seen.add(a.name);
    // NumPy's savez stamps members with the current time; we use the zip epoch so equal arrays give equal bytes.
    zippable[`${a.name}.npy`] = [formatNpy(a), { level: opts.compress ? 6 : 0, mtime: new Date(1980, 0, 1, 0, 0, 0) }];
  }
  return zipSync(zippable);
}

export function writeNpz(path: string, arrays: readonly NamedArray[] | readonly Tensor[], opts: { compress?: boolean } = {}): void {
  writeFileSync(path, formatNpz(arrays, opts));
}
