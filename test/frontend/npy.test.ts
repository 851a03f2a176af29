import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { ALL_DTYPES, allocate } from '../../src/frontend/dtype.js';
import type { DType } from '../../src/frontend/ir.js';
import { formatNpy, formatNpz, parseNpy, parseNpz, readNpz, writeNpz } from '../../src/frontend/npy.js';

const hasNumpy = spawnSync('python3', ['-c', 'import numpy'], { stdio: 'ignore' }).status === 0;
const dir = mkdtempSync(join(tmpdir(), 'npy-test-'));

function sample(dtype: DType, shape: number[]) {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = allocate(dtype, n);
  for (let i = 0; i < n; i++) {
    const v = dtype.startsWith('u') ? i * 37 + 3 : (i % 2 ? -1 : 1) * (i * 37 + 3);
    if (data instanceof BigInt64Array) data[i] = BigInt(v) * (i === 1 ? 10n ** 15n : 1n);
    else (data as Float64Array)[i] = dtype.startsWith('float') ? v + 0.25 : v;
  }
  return { dtype, shape, data };
}

function header(bytes: Uint8Array): string {
  const major = bytes[6]!;
  const len = major === 1 ? bytes[8]! | (bytes[9]! << 8) : new DataView(bytes.buffer, bytes.byteOffset).getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  return new TextDecoder().decode(bytes.subarray(start, start + len));
}

describe('npy format', () => {
  for (const dtype of ALL_DTYPES)
    for (const version of [1, 2, 3] as const)
      it(`round-trips ${dtype} in format ${version}.0`, () => {
        const a = sample(dtype, [2, 3, 4]);
        const bytes = formatNpy(a, version);
        expect(bytes[6]).toBe(version);
        const b = parseNpy(bytes, 'x.npy');
        expect(b.dtype).toBe(dtype);
        expect(b.shape).toEqual([2, 3, 4]);
        expect(Array.from(b.data as ArrayLike<number>)).toEqual(Array.from(a.data as ArrayLike<number>));
      });

  it('writes the header the spec prescribes (magic, v1.0, dict, 64-byte alignment, newline)', () => {
    const bytes = formatNpy({ dtype: 'int16', shape: [3], data: Int16Array.of(1, -2, 3) });
    expect(Array.from(bytes.subarray(0, 8))).toEqual([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
    const h = header(bytes);
    expect((10 + h.length) % 64).toBe(0);
    expect(h.endsWith('\n')).toBe(true);
    expect(h.startsWith("{'descr': '<i2', 'fortran_order': False, 'shape': (3,), }")).toBe(true);
    // 2 bytes per element, little-endian, right after the header
    expect(Array.from(bytes.subarray(10 + h.length))).toEqual([1, 0, 0xfe, 0xff, 3, 0]);
    expect(header(formatNpy({ dtype: 'uint8', shape: [], data: Uint8Array.of(7) }))).toContain("'descr': '|u1', 'fortran_order': False, 'shape': ()");
  });

  it('reads big-endian and Fortran-order arrays', () => {
    const hdr = (d: string) => {
      let h = `{'descr': '${d}', 'fortran_order': True, 'shape': (2, 3), }`;
      h += ' '.repeat(64 - ((10 + h.length + 1) % 64)) + '\n';
      const out = new Uint8Array(10 + h.length);
      out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, h.length & 0xff, h.length >> 8]);
      out.set(new TextEncoder().encode(h), 10);
      return out;
    };
    // Fortran order: column-major storage of [[1,2,3],[4,5,6]] is 1,4,2,5,3,6; big-endian int16
    const h = hdr('>i2');
    const body = new Uint8Array([0, 1, 0, 4, 0, 2, 0, 5, 0, 3, 0, 6]);
    const bytes = new Uint8Array(h.length + body.length);
    bytes.set(h);
    bytes.set(body, h.length);
    const a = parseNpy(bytes, 'be.npy');
    expect(a.dtype).toBe('int16');
    expect(Array.from(a.data as Int16Array)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('rejects bad files with errors naming the file', () => {
    expect(() => parseNpy(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]), 'bad.npy')).toThrow(/bad\.npy: not a \.npy file/);
    const good = formatNpy(sample('int32', [4, 4]));
    expect(() => parseNpy(good.subarray(0, good.length - 3), 'short.npy')).toThrow(InputError);
    expect(() => parseNpy(good.subarray(0, good.length - 3), 'short.npy')).toThrow(/short\.npy: truncated/);
    const c = formatNpy(sample('float64', [2]));
    const s = new TextDecoder('latin1').decode(c).replace('<f8', '<c8');
    const cb = Uint8Array.from(s, (ch) => ch.charCodeAt(0));
    expect(() => parseNpy(cb, 'c.npy')).toThrow(/c\.npy: unsupported dtype '<c8'/);
    const v4 = formatNpy(sample('int8', [2]));
    v4[6] = 4;
    expect(() => parseNpy(v4, 'v4.npy')).toThrow(/unsupported \.npy format version 4\.0/);
  });
});

describe('npz archives', () => {
  it('keeps archive order, reads stored and deflated members', () => {
    const arrays = [
      { name: 'zeta', ...sample('int8', [3]) },
      { name: 'alpha', ...sample('float32', [2, 2]) },
      { name: 'onnx::Add_0', ...sample('int64', [2]) },
    ];
    for (const compress of [false, true]) {
      const back = parseNpz(formatNpz(arrays, { compress }), 'a.npz');
      expect(back.map((a) => a.name)).toEqual(['zeta', 'alpha', 'onnx::Add_0']);
      expect(Array.from(back[1]!.data as Float32Array)).toEqual(Array.from(arrays[1]!.data as Float32Array));
    }
  });

  it('writes the same bytes for the same arrays', () => {
    const arrays = [{ name: 'x', ...sample('int32', [5]) }];
    expect(Buffer.from(formatNpz(arrays)).equals(Buffer.from(formatNpz(arrays)))).toBe(true);
  });

  it('names the archive and member in errors', () => {
    expect(() => parseNpz(new Uint8Array([1, 2, 3]), 'junk.npz')).toThrow(/junk\.npz: not a valid \.npz/);
    const z = zipSync({ 'w.npy': new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]) });
    expect(() => parseNpz(z, 'z.npz')).toThrow(/z\.npz\[w\]: not a \.npy file/);
    expect(() => readNpz(join(dir, 'missing.npz'))).toThrow(/missing\.npz: cannot read \(ENOENT\)/);
  });
});

describe.skipIf(!hasNumpy)('NumPy interoperability (python3 + numpy)', () => {
  it('NumPy reads our files: every dtype, values and key order', () => {
    const arrays = ALL_DTYPES.map((d) => ({ name: `k_${d}`, ...sample(d, [2, 3]) }));
    const path = join(dir, 'ours.npz');
    writeNpz(path, arrays);
    const out = execFileSync('python3', ['-c', `
import numpy as np, json
z = np.load(${JSON.stringify(path)})
print(json.dumps([[k, str(z[k].dtype), list(z[k].shape), [int(v) if z[k].dtype.kind in 'iu' else float(v) for v in z[k].ravel()]] for k in z.files]))
`]).toString();
    const got = JSON.parse(out) as [string, string, number[], number[]][];
    const npName: Record<DType, string> = { int8: 'int8', uint8: 'uint8', int16: 'int16', uint16: 'uint16', int32: 'int32', uint32: 'uint32', int64: 'int64', float32: 'float32', float64: 'float64' };
    expect(got.map((g) => g[0])).toEqual(arrays.map((a) => a.name));
    got.forEach(([, dt, shape, vals], i) => {
      expect(dt).toBe(npName[arrays[i]!.dtype]);
      expect(shape).toEqual([2, 3]);
      expect(vals).toEqual(Array.from(arrays[i]!.data as ArrayLike<number>, Number));
    });
  });

  it('our .npy bytes equal numpy.save for each dtype and rank', () => {
    const cases: [DType, number[]][] = [['int8', [5]], ['int64', [1, 16, 0, 4]], ['float32', []], ['uint16', [3, 2, 1]]];
    for (const [dtype, shape] of cases) {
      const a = sample(dtype, shape);
      const p = join(dir, `np_${dtype}.npy`);
      const values = JSON.stringify(Array.from(a.data as ArrayLike<number>, Number));
      execFileSync('python3', ['-c', `import numpy as np; np.save(${JSON.stringify(p)}, np.array(${values}, dtype='${dtype}').reshape(${JSON.stringify(shape)}))`]);
      expect(Buffer.from(formatNpy(a)).equals(readFileSync(p))).toBe(true);
    }
  });

  it('reads what NumPy writes: savez, savez_compressed, versions 2.0/3.0, Fortran order, big-endian', () => {
    const p = join(dir, 'np.npz');
    const pc = join(dir, 'npc.npz');
    const p2 = join(dir, 'v2.npy');
    const p3 = join(dir, 'v3.npy');
    execFileSync('python3', ['-c', `
import numpy as np
a = np.arange(12, dtype='<i4').reshape(3, 4) - 5
np.savez(${JSON.stringify(p)}, second=a, first=np.asfortranarray(a.astype('>i8')))
np.savez_compressed(${JSON.stringify(pc)}, a.astype('uint8'), a.astype('float64') / 4)
for path, v in ((${JSON.stringify(p2)}, (2, 0)), (${JSON.stringify(p3)}, (3, 0))):
    with open(path, 'wb') as f:
        np.lib.format.write_array(f, a.astype('int16'), version=v)
`]);
    const expected = Array.from({ length: 12 }, (_, i) => i - 5);
    const z = readNpz(p);
    expect(z.map((a) => a.name)).toEqual(['second', 'first']);
    expect(Array.from(z[0]!.data as Int32Array)).toEqual(expected);
    expect(z[1]!.dtype).toBe('int64');
    expect(Array.from(z[1]!.data as BigInt64Array, Number)).toEqual(expected);
    const zc = readNpz(pc);
    expect(zc.map((a) => a.name)).toEqual(['arr_0', 'arr_1']);
    expect(Array.from(zc[0]!.data as Uint8Array)).toEqual(expected.map((v) => (v + 256) % 256));
    expect(Array.from(zc[1]!.data as Float64Array)).toEqual(expected.map((v) => v / 4));
    for (const [path, v] of [[p2, 2], [p3, 3]] as const) {
      const bytes = readFileSync(path);
      expect(bytes[6]).toBe(v);
      expect(Array.from(parseNpy(bytes, path).data as Int16Array)).toEqual(expected);
    }
  });
});

describe('writeNpz to disk', () => {
  it('round-trips through the file system', () => {
    const path = join(dir, 'rt.npz');
    writeNpz(path, [{ name: 'a', ...sample('uint32', [4]) }]);
    const back = readNpz(path);
    expect(back[0]!.name).toBe('a');
    expect(Array.from(back[0]!.data as Uint32Array)).toEqual([3, 40, 77, 114]);
  });
});
