// Structure-aware fuzzing of every loader with fast-check. Each case starts from a valid file
// (ONNX model, npz archive, ELF program, llama2.c checkpoint, tokenizer), applies a seeded list of
// mutations that know the format (a dimension, a type code, a header field, a zip size, a NaN
// weight ...) plus a few raw byte edits, and runs the loader in-process the way the CLI does.
// The property: the loader returns, or throws an InputError whose message is one line; nothing
// else escapes (no RangeError, no TypeError, no stack trace: exit 0 or 2), and the process stays
// within a bounded heap (the host-memory budget is lowered for the run).
import fc from 'fast-check';
import onnxProto from 'onnx-proto';
import { zipSync } from 'fflate';
import { InputError } from '../../src/errors.js';
import { parseLlama2c } from '../../src/frontend/llama2c.js';
import { setHostBudget } from '../../src/frontend/limits.js';
import { formatNpy, parseNpz } from '../../src/frontend/npy.js';
import { parseOnnx, writeOnnx } from '../../src/frontend/onnx.js';
import { parseTokenizer } from '../../src/frontend/tokenizer.js';
import { execute } from '../../src/reference/execute.js';
import { compileGraph, DEFAULT_OPTIONS } from '../../src/compiler/pipeline.js';
import { loadElf, parseElf } from '../../src/sim/elf.js';
import { Memory } from '../../src/sim/memory.js';
import { siracusa } from '../../src/sim/platform/siracusa.js';
import { ELF, tinyCheckpoint, tinyElf, tinyTokenizer } from './files.js';
import { encodeModel, FLOAT, INPUT_X, INT64, INT8, namedGraph, valueInfo } from './helpers.js';

const { onnx } = onnxProto;

/** The budget while fuzzing: a refused input must be refused well before this much is held. */
export const FUZZ_BUDGET = 64 * 1024 * 1024;

/** Values that break size arithmetic: signs, zero, powers of two and their neighbours, huge. */
const INTERESTING = [-1, 0, 1, 2, 3, 7, 8, 16, 255, 256, 65535, 65536, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 1e9, 1e12, -(2 ** 31), Number.MAX_SAFE_INTEGER];
const interesting = fc.oneof(fc.constantFrom(...INTERESTING), fc.integer({ min: -4, max: 64 }));

/** One mutation: which kind, where (an index taken modulo the candidates), and a value. */
const mutation = fc.record({ kind: fc.nat(), where: fc.nat(), value: interesting });
type Mutation = { kind: number; where: number; value: number };

/** Raw byte edits after the structural ones (flip, set, truncate) in some of the cases. */
const byteEdits = fc.array(fc.record({ op: fc.constantFrom('flip', 'set', 'cut'), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }), { maxLength: 3 });
type ByteEdit = { op: 'flip' | 'set' | 'cut'; at: number; value: number };

function applyBytes(bytes: Uint8Array, edits: ByteEdit[]): Uint8Array {
  let b = bytes;
  for (const e of edits) {
    if (b.length === 0) break;
    const at = e.at % b.length;
    if (e.op === 'cut') b = b.subarray(0, at);
    else {
      b = b === bytes ? new Uint8Array(bytes) : b;
      b[at] = e.op === 'flip' ? b[at]! ^ (1 << (e.value % 8)) : e.value;
    }
  }
  return b;
}

const pick = <T>(list: readonly T[], i: number): T | undefined => (list.length === 0 ? undefined : list[i % list.length]);

// ------------------------------------------------------------------------------------ ONNX

const OPS = ['Add', 'Sub', 'Mul', 'Div', 'Relu', 'Clip', 'Reshape', 'Flatten', 'Transpose', 'Concat', 'Slice', 'Pad', 'Gather', 'MatMul', 'Gemm', 'Conv', 'MaxPool', 'ReduceMean', 'RequantShift', 'iSoftmax', 'Squeeze', 'Unsqueeze', 'ArgMax', 'Identity', 'Cast', 'Constant', 'NoSuchOp'];
const NAMES = ['x', 'y', 'w', '', 'n */\n#include "/etc/hostname"\n/*', 'loop', 'z'.repeat(300)];
const ATTRS = ['strides', 'dilations', 'pads', 'kernel_shape', 'group', 'axis', 'axes', 'perm', 'to', 'div', 'n_levels_out', 'signed', 'value', 'keepdims', 'transB'];

/** Valid starting models: a quantized linear layer, a Conv, a Pad with constant pads. */
const ONNX_SEEDS: Uint8Array[] = [
  writeOnnx(namedGraph((k) => ['x', 'W', 'b', 'm', 'a', 'mm', 'add', 'rq', 'y', 'g', 't1', 't2'][k]!)),
  encodeModel({
    node: [{ opType: 'Conv', input: ['x', 'w'], output: ['y'], name: 'conv', attribute: [{ name: 'strides', type: 7, ints: [1, 1] }, { name: 'pads', type: 7, ints: [1, 1, 1, 1] }] }],
    initializer: [{ name: 'w', dataType: FLOAT, dims: [2, 1, 3, 3], floatData: Array.from({ length: 18 }, (_, i) => i - 9) }],
    input: [valueInfo('x', FLOAT, [1, 1, 4, 4])],
    output: [{ name: 'y', type: { tensorType: { elemType: FLOAT } } }],
  }),
  encodeModel({
    node: [
      { opType: 'Pad', input: ['x', 'pads'], output: ['p'], name: 'pad' },
      { opType: 'Relu', input: ['p'], output: ['y'], name: 'relu' },
    ],
    initializer: [{ name: 'pads', dataType: INT64, dims: [4], int64Data: [0, 1, 0, 1] }],
    input: [valueInfo('x', INT8, [1, 4])],
    output: [{ name: 'y', type: { tensorType: { elemType: INT8 } } }],
  }),
];

function mutateModel(m: onnxProto.onnx.IModelProto, mu: Mutation): void {
  const g = m.graph!;
  const nodes = g.node ?? [];
  const inits = g.initializer ?? [];
  const infos = [...(g.input ?? []), ...(g.output ?? []), ...(g.valueInfo ?? [])];
  const v = mu.value;
  switch (mu.kind % 14) {
    case 0: {
      const t = pick(inits, mu.where);
      if (t?.dims?.length) t.dims[mu.where % t.dims.length] = v;
      else if (t) t.dims = [v];
      break;
    }
    case 1: {
      const t = pick(inits, mu.where);
      if (t) t.dataType = Math.abs(v) % 20;
      break;
    }
    case 2: {
      const t = pick(inits, mu.where);
      if (t) {
        // the data goes, or shrinks, or comes back in the wrong field
        if (v % 3 === 0) t.rawData = new Uint8Array(Math.max(0, Math.min(64, Math.abs(v) % 65)));
        else if (v % 3 === 1) {
          t.rawData = null;
          t.floatData = [];
          t.int64Data = [];
        } else t.int32Data = Array.from({ length: Math.abs(v) % 9 }, (_, i) => i * v);
      }
      break;
    }
    case 3: {
      const vi = pick(infos, mu.where);
      const dims = vi?.type?.tensorType?.shape?.dim;
      if (dims?.length) dims[mu.where % dims.length] = { dimValue: v };
      else if (vi?.type?.tensorType) vi.type.tensorType.shape = { dim: [{ dimValue: v }] };
      break;
    }
    case 4: {
      const vi = pick(infos, mu.where);
      if (vi?.type?.tensorType) vi.type.tensorType.elemType = Math.abs(v) % 20;
      break;
    }
    case 5: {
      const n = pick(nodes, mu.where);
      if (n) n.opType = pick(OPS, Math.abs(v))!;
      break;
    }
    case 6: {
      const n = pick(nodes, mu.where);
      if (n) (n.attribute ??= []).push({ name: pick(ATTRS, Math.abs(v))!, type: 7, ints: [v, v, v, v].slice(0, 1 + (mu.where % 4)) });
      break;
    }
    case 7: {
      const n = pick(nodes, mu.where);
      if (n) (n.attribute ??= []).push({ name: pick(ATTRS, Math.abs(v))!, type: Math.abs(v) % 14, ...(v % 2 ? { i: v } : {}), ...(v % 5 === 0 ? { t: { dataType: INT8, dims: [Math.abs(v) % 5] } } : {}) });
      break;
    }
    case 8: {
      const n = pick(nodes, mu.where);
      if (n?.input?.length) n.input[mu.where % n.input.length] = pick([...NAMES, ...nodes.flatMap((k) => k.output ?? [])], Math.abs(v))!;
      break;
    }
    case 9: {
      const n = pick(nodes, mu.where);
      if (n?.output?.length) n.output[0] = pick([...NAMES, ...(n.input ?? [])], Math.abs(v))!;
      break;
    }
    case 10: {
      const n = pick(nodes, mu.where);
      if (n) n.name = pick(NAMES, Math.abs(v))!;
      break;
    }
    case 11:
      if (nodes.length > 0 && v % 2) nodes.splice(mu.where % nodes.length, 1);
      else if (nodes.length > 0) nodes.push({ ...nodes[mu.where % nodes.length]!, name: `dup${v}` });
      break;
    case 12:
      if (v % 2 && g.input?.length) g.input.splice(mu.where % g.input.length, 1);
      else if (g.output?.length) g.output.splice(mu.where % g.output.length, 1);
      break;
    default: {
      const n = pick(nodes, mu.where);
      const a = pick(n?.attribute ?? [], Math.abs(v));
      if (a?.ints?.length) a.ints[mu.where % a.ints.length] = v;
      else if (a) a.i = v;
      break;
    }
  }
}

/** Zero inputs of the declared shapes for the executor (when they are small enough to make). */
function zeroInputs(g: ReturnType<typeof parseOnnx>) {
  return g.inputs.map((i) => ({ name: i.name, dtype: i.dtype, shape: i.shape, data: new Float64Array(i.shape.reduce((a, b) => a * b, 1)) }));
}

export const onnxCase = fc.record({ seed: fc.nat({ max: ONNX_SEEDS.length - 1 }), mutations: fc.array(mutation, { minLength: 1, maxLength: 4 }), bytes: byteEdits });

type OnnxCase = { seed: number; mutations: Mutation[]; bytes: ByteEdit[] };

function mutatedGraph(c: OnnxCase) {
  const model = onnx.ModelProto.decode(ONNX_SEEDS[c.seed]!);
  for (const mu of c.mutations) mutateModel(model, mu);
  return parseOnnx(applyBytes(onnx.ModelProto.encode(model).finish(), c.bytes), { source: 'fuzz.onnx' });
}

export function runOnnxCase(c: OnnxCase): void {
  const g = mutatedGraph(c);
  // a graph that loads also runs in the reference executor (what `golden` does next)
  execute(g, zeroInputs(g), { source: 'fuzz-inputs.npz' });
}

/** What `compile` does before gcc: every phase up to the emitted C, golden from the executor. */
export function runCompileCase(c: OnnxCase): void {
  const g = mutatedGraph(c);
  const inputs = zeroInputs(g);
  compileGraph(g, inputs.map((i) => i.data), () => execute(g, inputs, { source: 'fuzz-inputs.npz' }).outputs.map((v) => v.data), DEFAULT_OPTIONS);
}

// ------------------------------------------------------------------------------------ npz

const NPZ_SEEDS: Uint8Array[] = [
  zipSync({ 'x.npy': [formatNpy(INPUT_X), { level: 0 }], 'w.npy': [formatNpy({ dtype: 'float32', shape: [2, 3], data: Float32Array.of(1, 2, 3, 4, 5, 6) }), { level: 0 }] }),
  zipSync({ 'a.npy': [formatNpy({ dtype: 'int32', shape: [3, 2], data: Int32Array.of(1, -2, 3, -4, 5, -6) }), { level: 6 }] }),
];
const DESCRS = ["'|i1'", "'<f4'", "'>i4'", "'<i8'", "'|b1'", "'<c8'", "'O'", "'<U3'", "''"];
const SHAPES = ['()', '(0,)', '(4,)', '(1, 4, 8)', '(-1,)', '(1000000000000,)', '(2, 3)', '(3, 2)', '(2**40,)', '(1e3,)', '('];

function mutateNpz(zip: Uint8Array, mu: Mutation): Uint8Array {
  const b = new Uint8Array(zip);
  const dv = new DataView(b.buffer);
  const v = mu.value;
  // local file headers (PK\3\4) and central directory entries (PK\1\2)
  const locals: number[] = [];
  const centrals: number[] = [];
  for (let i = 0; i + 4 <= b.length; i++) {
    const sig = dv.getUint32(i, true);
    if (sig === 0x04034b50) locals.push(i);
    else if (sig === 0x02014b50) centrals.push(i);
  }
  const text = Buffer.from(b).toString('latin1');
  switch (mu.kind % 7) {
    case 0: {
      // the .npy header's descr
      const at = text.indexOf("'descr': ");
      if (at < 0) return b;
      const end = text.indexOf(',', at);
      return Buffer.from(text.slice(0, at + 9) + pick(DESCRS, Math.abs(v))! + text.slice(end), 'latin1');
    }
    case 1: {
      const at = text.indexOf("'shape': ");
      if (at < 0) return b;
      const end = text.indexOf(')', at);
      return Buffer.from(text.slice(0, at + 9) + pick(SHAPES, Math.abs(v))! + text.slice(end + 1), 'latin1');
    }
    case 2: {
      const at = text.indexOf("'fortran_order': ");
      if (at >= 0) b.set(Buffer.from(v % 2 ? 'True ' : 'Maybe', 'latin1'), at + 17);
      return b;
    }
    case 3: {
      // declared sizes (compressed 18/20, uncompressed 22/24) in a local or central header
      const all = [...locals.map((o) => o + 18 + 4 * (mu.where % 2)), ...centrals.map((o) => o + 20 + 4 * (mu.where % 2))];
      const at = pick(all, mu.where);
      if (at !== undefined) dv.setUint32(at, v >>> 0, true);
      return b;
    }
    case 4: {
      const at = pick([...locals.map((o) => o + 8), ...centrals.map((o) => o + 10)], mu.where);
      if (at !== undefined) dv.setUint16(at, Math.abs(v) % 100, true); // compression method
      return b;
    }
    case 5: {
      const at = pick([...locals.map((o) => o + 26), ...centrals.map((o) => o + 28)], mu.where);
      if (at !== undefined) dv.setUint16(at, Math.abs(v) & 0xffff, true); // file name length
      return b;
    }
    default: {
      // the .npy header length field
      const at = text.indexOf('\x93NUMPY');
      if (at >= 0) dv.setUint16(at + 8, Math.abs(v) & 0xffff, true);
      return b;
    }
  }
}

export const npzCase = fc.record({ seed: fc.nat({ max: NPZ_SEEDS.length - 1 }), mutations: fc.array(mutation, { minLength: 1, maxLength: 3 }), bytes: byteEdits });

export function runNpzCase(c: { seed: number; mutations: Mutation[]; bytes: ByteEdit[] }): void {
  let b = NPZ_SEEDS[c.seed]!;
  for (const mu of c.mutations) b = mutateNpz(b, mu);
  parseNpz(applyBytes(b, c.bytes), 'fuzz.npz');
}

// ------------------------------------------------------------------------------------ ELF

/** Header fields (offset, width) the mutations target: ELF header, program header, section headers, a symbol. */
const ELF_FIELDS: [number, 2 | 4][] = [
  [16, 2], [18, 2], [24, 4], [28, 4], [32, 4], [40, 2], [42, 2], [44, 2], [46, 2], [48, 2],
  ...[0, ELF.p_offset, ELF.p_vaddr, ELF.p_filesz, ELF.p_memsz].map((o): [number, 4] => [ELF.phoff + o, 4]),
  ...[1, 2].flatMap((k) => [ELF.sh_type, ELF.sh_offset, ELF.sh_size, ELF.sh_link, ELF.sh_entsize].map((o): [number, 4] => [ELF.shoff + 40 * k + o, 4])),
  [ELF.symtab + 16, 4], [ELF.symtab + 20, 4],
];
const ELF_SEED = tinyElf();
let elfMemory: Memory | undefined;

export const elfCase = fc.record({ mutations: fc.array(mutation, { minLength: 1, maxLength: 3 }), bytes: byteEdits });

export function runElfCase(c: { mutations: Mutation[]; bytes: ByteEdit[] }): void {
  const b = new Uint8Array(ELF_SEED);
  const dv = new DataView(b.buffer);
  for (const mu of c.mutations) {
    const [at, width] = pick(ELF_FIELDS, mu.where)!;
    if (width === 2) dv.setUint16(at, mu.value & 0xffff, true);
    else dv.setUint32(at, mu.value >>> 0, true);
  }
  const img = parseElf(applyBytes(b, c.bytes), 'fuzz.elf');
  elfMemory ??= new Memory(siracusa); // one memory for all cases: loading overwrites
  loadElf(img, elfMemory, 'fuzz.elf');
}

// ------------------------------------------------------------------------------------ checkpoint

const CKPT = tinyCheckpoint();

export const checkpointCase = fc.record({ mutations: fc.array(mutation, { minLength: 1, maxLength: 3 }), bytes: byteEdits });

export function runCheckpointCase(c: { mutations: Mutation[]; bytes: ByteEdit[] }): void {
  let b = new Uint8Array(CKPT.bytes);
  for (const mu of c.mutations) {
    const dv = new DataView(b.buffer);
    switch (mu.kind % 4) {
      case 0:
        dv.setInt32(4 * (mu.where % 7), mu.value | 0, true); // a header field
        break;
      case 1:
        dv.setFloat32(28 + 4 * (mu.where % ((b.length - 28) / 4)), [NaN, Infinity, -Infinity, 3e38][Math.abs(mu.value) % 4]!, true);
        break;
      case 2: {
        const floats = Math.abs(mu.value) % 64;
        b = mu.where % 2 ? b.subarray(0, Math.max(0, b.length - 4 * floats)) : Uint8Array.from([...b, ...new Uint8Array(4 * floats)]);
        break;
      }
      default:
        dv.setInt32(0, 0x616b3432, true); // the versioned format's magic
    }
  }
  parseLlama2c(applyBytes(b, c.bytes), 'fuzz.bin');
}

// ------------------------------------------------------------------------------------ tokenizer

const TOK = tinyTokenizer();

export const tokenizerCase = fc.record({ mutations: fc.array(mutation, { minLength: 1, maxLength: 3 }), bytes: byteEdits, text: fc.string({ maxLength: 12 }) });

export function runTokenizerCase(c: { mutations: Mutation[]; bytes: ByteEdit[]; text: string }): void {
  let b = new Uint8Array(TOK);
  for (const mu of c.mutations) {
    const dv = new DataView(b.buffer);
    if (mu.kind % 3 === 0) dv.setInt32(0, mu.value | 0, true); // max_token_length
    else if (mu.kind % 3 === 1) {
      // a token's length field: walk to the k-th token
      let off = 4;
      for (let k = 0; k < mu.where % 260 && off + 8 <= b.length; k++) off += 8 + Math.max(0, dv.getInt32(off + 4, true));
      if (off + 8 <= b.length) dv.setInt32(off + 4, mu.value | 0, true);
    } else b = b.subarray(0, Math.max(0, b.length - (Math.abs(mu.value) % 16)));
  }
  const tok = parseTokenizer(applyBytes(b, c.bytes), 260, 'fuzz-tokenizer.bin');
  const ids = tok.encode(c.text);
  for (let i = 1; i < ids.length; i++) tok.decode(ids[i - 1]!, ids[i]!);
}

// ------------------------------------------------------------------------------------ the property

export const LOADERS = {
  onnx: { arb: onnxCase, run: runOnnxCase },
  compile: { arb: onnxCase, run: runCompileCase },
  npz: { arb: npzCase, run: runNpzCase },
  elf: { arb: elfCase, run: runElfCase },
  checkpoint: { arb: checkpointCase, run: runCheckpointCase },
  tokenizer: { arb: tokenizerCase, run: runTokenizerCase },
} as const;
export type LoaderName = keyof typeof LOADERS;

export interface FuzzStats {
  loader: LoaderName;
  cases: number;
  accepted: number;
  refused: number;
  seconds: number;
  casesPerSecond: number;
  maxRssMiB: number;
}

/**
 * Run `runs` seeded cases of one loader; throws (with fast-check's counterexample) when a case
 * breaks the property. `rssLimit`: the process's resident size may not exceed it.
 */
export function fuzzLoader(loader: LoaderName, runs: number, seed: number, rssLimit = 512 * 1024 * 1024): FuzzStats {
  const { arb, run } = LOADERS[loader] as { arb: fc.Arbitrary<unknown>; run: (c: unknown) => void };
  let accepted = 0;
  let refused = 0;
  let maxRss = 0;
  setHostBudget(FUZZ_BUDGET);
  const t0 = performance.now();
  try {
    fc.assert(
      fc.property(arb, (c) => {
        try {
          run(c);
          accepted++;
        } catch (e) {
          if (!(e instanceof InputError)) throw e; // exit 70: an internal error
          if (e.message.includes('\n')) throw new Error(`more than one line: ${JSON.stringify(e.message)}`);
          refused++;
        }
        const rss = process.memoryUsage.rss();
        maxRss = Math.max(maxRss, rss);
        if (rss > rssLimit) throw new Error(`resident size ${(rss / 2 ** 20).toFixed(0)} MiB beyond the ${(rssLimit / 2 ** 20).toFixed(0)} MiB bound`);
      }),
      { numRuns: runs, seed, endOnFailure: true },
    );
  } finally {
    setHostBudget(undefined);
  }
  const seconds = (performance.now() - t0) / 1000;
  return { loader, cases: runs, accepted, refused, seconds, casesPerSecond: runs / seconds, maxRssMiB: maxRss / 2 ** 20 };
}
