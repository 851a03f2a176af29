// Phase 6: C emission. Produces the files of the build folder's src/:
//   network.h   InitNetwork / RunNetwork, the input and output buffers
//   network.c   arenas, constants, one args struct + one function per layer, RunNetwork
//   testio.c    the test inputs and golden outputs (const arrays)
//   main.c      the harness: copy inputs, run on the cluster, compare, print
//                 `Errors: E out of T` and `Runtime: N cycles` (the words of Deeploy's harness)
// Every layer function runs its kernel on `cores` cores with dsim_fork (kernels.h convention:
// the args struct is shared, each core takes its share of the work).
import { InputError } from '../errors.js';
import { DTYPES, toNumberArray } from '../frontend/dtype.js';
import type { DType, Tensor, TensorData } from '../frontend/ir.js';
import { elementCount } from '../frontend/ir.js';
import type { BoundNode } from './bind.js';
import { cComment, uniqueIdents } from './names.js';
import { ARGS_BUFFER, type MemoryPlan, type PlannedBuffer } from './plan.js';
import type { CValue, EmitContext, KernelCall, Operand } from './registry.js';
import type { TypedGraph } from './types.js';

export const C_TYPE: Record<DType, string> = {
  int8: 'int8_t',
  uint8: 'uint8_t',
  int16: 'int16_t',
  uint16: 'uint16_t',
  int32: 'int32_t',
  uint32: 'uint32_t',
  int64: 'int64_t',
  float32: 'float',
  float64: 'double',
};

export interface EmittedLayer {
  index: number;
  name: string;
  function: string;
  bound: BoundNode;
  call: KernelCall;
}

export interface ConstantArray {
  cname: string;
  dtype: DType;
  values: ArrayLike<number>;
  shape: number[];
  /** graph constants it was derived from / layers using it */
  users: string[];
}

export interface EmitResult {
  files: Record<string, string>;
  layers: EmittedLayer[];
  constants: ConstantArray[];
  /** C symbol of each level's arena */
  arenas: Record<string, string>;
  /** C symbol of the buffer macro of each tensor */
  bufferMacro: Map<string, string>;
}

export interface EmitOptions {
  cores: number;
  /** One dsim_fork per layer instead of one fork for the whole network with barriers. */
  forkPerLayer?: boolean;
  wmem: boolean;
  networkName: string;
  /** Test inputs (graph-input order) and golden outputs (graph-output order). */
  inputs: TensorData[];
  golden: TensorData[];
}

/** Section attribute of a constant by level (distinct from .l1 so const and non-const never share a section). */
const CONST_SECTION: Record<string, string> = { L1: '__attribute__((section(".l1.const")))', L2: '', WMEM: 'DSIM_WMEM' };

function levelOf0(plan: MemoryPlan, name: string): string | undefined {
  return plan.buffers.find((b) => b.name === name)?.level;
}

const ARENA: Record<string, string> = { L1: 'dsim_arena_l1', L2: 'dsim_arena_l2' };
const ARENA_SECTION: Record<string, string> = { L1: 'DSIM_L1_BSS', L2: '' };

function fmtShape(s: readonly number[]): string {
  return `[${s.join(',')}]`;
}

function hex(x: number): string {
  return `0x${x.toString(16)}`;
}

/** Numbers as C initialiser lines, 16 (or 24 for bytes) per line. */
export function cValues(values: ArrayLike<number>, perLine = 16): string {
  const lines: string[] = [];
  for (let i = 0; i < values.length; i += perLine) {
    const row: string[] = [];
    for (let k = i; k < Math.min(values.length, i + perLine); k++) row.push(String(values[k]));
    lines.push(`  ${row.join(', ')},`);
  }
  return lines.join('\n');
}

function cField(v: CValue): string {
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return v;
  return `{ ${v.join(', ')} }`;
}

export function emitNetwork(tg: TypedGraph, bound: BoundNode[], plan: MemoryPlan, opts: EmitOptions): EmitResult {
  const g = tg.graph;
  const byTensor = new Map<string, PlannedBuffer>();
  for (const b of plan.buffers) for (const t of b.tensors) byTensor.set(t, b);
  const storageNames = plan.buffers.filter((b) => b.kind !== 'constant').map((b) => b.name);
  const macroIds = uniqueIdents(storageNames, 'BUF_');
  const bufferMacro = new Map<string, string>();
  for (const b of plan.buffers) if (b.kind !== 'constant') for (const t of b.tensors) bufferMacro.set(t, macroIds.get(b.name)!);

  // Constants, deduplicated by content (QuantLib graphs repeat the same add/mul vectors a lot).
  const constants: ConstantArray[] = [];
  const constByKey = new Map<string, ConstantArray>();
  const constIds = new Set<string>();
  const layerIds = uniqueIdents(
    bound.map((b) => b.node.name),
    'layer_',
  );

  const operand = (name: string): Operand | undefined => {
    if (!name || g.initializers.has(name)) return undefined;
    const dtype = tg.dtypes.get(name)!;
    return { ptr: bufferMacro.get(name)!, dtype, shape: g.values.get(name)!.shape, name };
  };

  const layers: EmittedLayer[] = [];
  for (const [index, b] of bound.entries()) {
    if (b.mapping.alias) continue;
    const fn = layerIds.get(b.node.name)!;
    const ctx: EmitContext = {
      inputs: b.node.inputs.map(operand),
      outputs: b.node.outputs.map((o) => operand(o)!),
      constant(name, dtype, values, shape) {
        const key = `${dtype}:${shape ? shape.join('x') : values.length}:${Array.prototype.join.call(values, ',')}`;
        const hit = constByKey.get(key);
        if (hit) {
          hit.users.push(fn);
          return hit.cname;
        }
        const info = DTYPES[dtype];
        for (let i = 0; i < values.length; i++)
          if (values[i]! < info.min || values[i]! > info.max) throw new Error(`internal: constant '${name}' value ${values[i]} does not fit ${dtype}`);
        const cname = uniqueIdents([name], 'c_', constIds).get(name)!;
        constIds.add(cname);
        const c: ConstantArray = { cname, dtype, values, shape: shape ?? [values.length], users: [fn] };
        constants.push(c);
        constByKey.set(key, c);
        return cname;
      },
    };
    const call = b.binding.emit(b.params, ctx);
    layers.push({ index, name: b.node.name, function: fn, bound: b, call });
  }

  // ---------------------------------------------------------------- network.c
  const used = new Set(plan.buffers.filter((b) => b.kind !== 'constant').map((b) => b.level));
  const arenaSize = (lv: string) => {
    let top = 0;
    for (const b of plan.buffers) if (b.kind !== 'constant' && b.level === lv) top = Math.max(top, b.offset + b.size);
    return Math.max(4, Math.ceil(top / 16) * 16);
  };
  const out: string[] = [];
  out.push(`/* network.c: ${cComment(opts.networkName)}, generated by deeploy-sim compile. Do not edit.`);
  out.push(` * ${layers.length} layers on up to ${opts.cores} cores; activations in ${[...used].join('+') || '-'}; small constants in L1, the rest in ${opts.wmem ? 'the weight memory (.wmem)' : 'L2 (.rodata)'}.`);
  out.push(` * Placement comments give level, offset in the level's arena, size and lifetime in layer steps. */`);
  out.push('#include <stdint.h>');
  out.push('#include "dsim.h"');
  out.push('#include "dsim_cluster.h"');
  out.push('#include "kernels.h"');
  out.push('#include "network.h"');
  out.push('');
  const argsSection = levelOf0(plan, ARGS_BUFFER) === 'L1' ? 'DSIM_L1 ' : '';
  out.push('/* ---- activation arenas (memory plan: greedy by size over lifetimes) ---- */');
  for (const lv of ['L1', 'L2']) if (used.has(lv as 'L1')) out.push(`${ARENA_SECTION[lv]} uint8_t ${ARENA[lv]}[${arenaSize(lv)}] __attribute__((aligned(16)));`.trimStart());
  out.push('');
  out.push('/* free L1 after the arena, before the core stacks: scratch for im2col */');
  out.push('static inline void *dsim_l1_free_start(void) { return (void *)__l1_heap_start; }');
  out.push('static inline uint32_t dsim_l1_free_bytes(void) { return (uint32_t)(__l1_heap_end - __l1_heap_start); }');
  out.push('static inline int dsim_in_l1(const void *p) { return (uint32_t)p - 0x10000000u < 0x40000u; }');
  out.push('');
  out.push('/* buffer         level+offset      size  lifetime  (its tensors in the comment above) */');
  for (const b of plan.buffers) {
    if (b.kind === 'constant') continue;
    // model names stay off preprocessor lines: the tensors go in a comment of their own
    out.push(`/* ${b.kind}: ${cComment(b.tensors.join(', '))} */`);
    out.push(`#define ${macroIds.get(b.name)} ((void *)&${ARENA[b.level]}[${b.offset}]) /* ${b.level}+${hex(b.offset)} ${b.size} B, live ${b.first}..${b.last} */`);
  }
  out.push('');
  out.push('/* ---- constants (level chosen by the memory plan) ---- */');
  const levelOf = new Map(plan.buffers.filter((b) => b.kind === 'constant').map((b) => [b.name, b.level]));
  for (const c of constants) {
    const lv = levelOf.get(c.cname) ?? (opts.wmem ? 'WMEM' : 'L2');
    out.push(`/* ${fmtShape(c.shape)} ${c.dtype}, ${lv}, used by ${[...new Set(c.users)].join(', ')} */`);
    out.push(`static const ${C_TYPE[c.dtype]} ${c.cname}[${Math.max(1, c.values.length)}] ${CONST_SECTION[lv]} __attribute__((aligned(4))) = {`);
    out.push(c.values.length ? cValues(c.values, c.dtype === 'int32' ? 12 : 24) : '  0,');
    out.push('};');
  }
  out.push('');
  out.push('/* ---- layers, in execution order ---- */');
  const estimate = (b: BoundNode) => Math.round(b.mapping.cycles(b.params, opts.cores));
  for (const L of layers) {
    const b = L.bound;
    const n = b.node;
    out.push('/*');
    out.push(` * Layer ${L.index}: ${cComment(n.from.join(' + '))}`);
    out.push(` *   ${cComment(n.op)}${n.from.length > 1 ? ` (fused from ${n.from.length} nodes)` : ''} -> ${b.binding.kernel}, estimated ${estimate(b)} cycles on ${opts.cores} cores`);
    const describe = (role: string, t: string) => {
      if (!t) return;
      const buf = byTensor.get(t);
      const info = g.values.get(t) ?? g.initializers.get(t);
      const where = g.initializers.has(t) ? 'constant (materialised as the c_* arrays above)' : buf ? `${buf.level}+${hex(buf.offset)} ${buf.size} B, live ${buf.first}..${buf.last}` : '?';
      out.push(` *   ${role} ${cComment(t)}: ${tg.dtypes.get(t) ?? '?'} ${fmtShape(info?.shape ?? [])}  ${where}`);
    };
    n.inputs.forEach((t) => describe('in ', t));
    n.outputs.forEach((t) => describe('out', t));
    out.push(' */');
    const argsName = `${L.function}_args`;
    out.push(`static ${argsSection}${L.call.argsType} ${argsName} = {`);
    for (const [k, v] of Object.entries(L.call.fields)) out.push(`  .${k} = ${cField(v)},`);
    out.push('};');
    if (opts.forkPerLayer) {
      out.push(`static void ${L.function}(unsigned cores) {`);
      for (const st of L.call.prepare ?? []) out.push(`  ${st.replace(/ARGS/g, argsName)}`);
      if (!(L.call.prepare ?? []).some((st) => st.includes('cores'))) out.push('  (void)cores;');
      out.push(`  dsim_fork(cores, ${b.binding.kernel}, &${argsName});`);
    } else {
      // Runs on every core of the network's one fork; core 0 prepares, a barrier publishes it.
      out.push(`static void ${L.function}(unsigned cores) {`);
      if (L.call.prepare?.length) {
        out.push('  if (dsim_core_id() == 0) {');
        for (const st of L.call.prepare) out.push(`    ${st.replace(/ARGS/g, argsName)}`);
        out.push('  }');
        out.push('  dsim_barrier();');
      }
      if (!(L.call.prepare ?? []).some((st) => st.includes('cores'))) out.push('  (void)cores;');
      out.push(`  ${b.binding.kernel}(&${argsName});`);
    }
    out.push('}');
    out.push('');
  }
  out.push('void InitNetwork(void) {}');
  out.push('');
  out.push(`uint32_t dsim_layer_cycles[${Math.max(1, layers.length)}];`);
  out.push('');
  if (opts.forkPerLayer) {
    out.push('void RunNetwork(unsigned cores) {');
    out.push('  uint32_t t = dsim_cycles();');
    for (const [k, L] of layers.entries()) {
      out.push(`  ${L.function}(cores);`);
      out.push(`  { uint32_t now = dsim_cycles(); dsim_layer_cycles[${k}] = now - t; t = now; }`);
    }
    out.push('}');
  } else {
    out.push('/* The whole network is one fork: every core runs every layer (kernels split the work by core');
    out.push(' * id) and a hardware barrier separates layers; far cheaper than a fork per layer. */');
    out.push('static void network_body(void *arg) {');
    out.push('  (void)arg;');
    out.push('  const unsigned cores = dsim_fork_cores();');
    out.push('  const int core0 = dsim_core_id() == 0;');
    out.push('  uint32_t t = dsim_cycles();');
    for (const [k, L] of layers.entries()) {
      out.push(`  ${L.function}(cores);`);
      out.push('  dsim_barrier();');
      out.push(`  if (core0) { uint32_t now = dsim_cycles(); dsim_layer_cycles[${k}] = now - t; t = now; }`);
    }
    out.push('  (void)cores;');
    out.push('}');
    out.push('');
    out.push('void RunNetwork(unsigned cores) {');
    out.push('  dsim_fork(cores, network_body, 0);');
    out.push('}');
  }
  out.push('');

  // ---------------------------------------------------------------- network.h
  const h: string[] = [];
  h.push(`/* network.h: ${cComment(opts.networkName)}, generated by deeploy-sim compile. */`);
  h.push('#ifndef NETWORK_H');
  h.push('#define NETWORK_H');
  h.push('#include <stdint.h>');
  h.push('');
  h.push(`#define NETWORK_CORES ${opts.cores}`);
  h.push(`#define NETWORK_LAYERS ${layers.length}`);
  h.push(`#define NETWORK_NUM_INPUTS ${g.inputs.length}`);
  h.push(`#define NETWORK_NUM_OUTPUTS ${g.outputs.length}`);
  h.push('void InitNetwork(void);');
  h.push('void RunNetwork(unsigned cores);');
  h.push('extern uint32_t dsim_layer_cycles[];');
  h.push('/* where the harness writes the inputs and reads the outputs */');
  h.push('extern void *const network_inputs[];');
  h.push('extern const uint32_t network_input_bytes[];');
  h.push('extern void *const network_outputs[];');
  h.push('extern const uint32_t network_output_bytes[];');
  h.push('#endif');
  h.push('');
  const io = (list: { name: string }[]) => list.map((t) => bufferMacro.get(t.name)!).join(', ');
  const bytes = (list: { name: string }[]) => list.map((t) => elementCount(g.values.get(t.name)!.shape) * DTYPES[tg.dtypes.get(t.name)!].bytes).join(', ');
  out.push(`void *const network_inputs[] = { ${io(g.inputs) || '0'} };`);
  out.push(`const uint32_t network_input_bytes[] = { ${bytes(g.inputs) || '0'} };`);
  out.push(`void *const network_outputs[] = { ${io(g.outputs) || '0'} };`);
  out.push(`const uint32_t network_output_bytes[] = { ${bytes(g.outputs) || '0'} };`);
  out.push('');

  // ---------------------------------------------------------------- testio.c
  const t: string[] = [];
  t.push(`/* testio.c: test inputs and golden outputs of ${cComment(opts.networkName)} (from the golden npz files). */`);
  t.push('#include <stdint.h>');
  t.push('');
  const vec = (prefix: string, list: { name: string }[], data: TensorData[]) =>
    list.forEach((info, k) => {
      const d = tg.dtypes.get(info.name)!;
      const v = toNumberArray(data[k]!);
      const lim = DTYPES[d];
      for (let i = 0; i < v.length; i++)
        if (v[i]! < lim.min || v[i]! > lim.max || (lim.integer && !Number.isInteger(v[i]!)))
          throw new InputError(`${prefix.replace('_', ' ')} '${info.name}' holds ${v[i]} at index ${i}, which the network's ${d} ${prefix === 'test_input' ? 'input' : 'output'} cannot hold`);
      t.push(`/* ${cComment(info.name)}: ${d} ${fmtShape(g.values.get(info.name)!.shape)} */`);
      t.push(`const ${C_TYPE[d]} ${prefix}_${k}[${Math.max(1, v.length)}] = {`);
      t.push(v.length ? cValues(v, 24) : '  0,');
      t.push('};');
    });
  vec('test_input', g.inputs, opts.inputs);
  vec('golden_output', g.outputs, opts.golden);
  t.push(`const void *const test_inputs[] = { ${g.inputs.map((_, k) => `test_input_${k}`).join(', ') || '0'} };`);
  t.push(`const void *const golden_outputs[] = { ${g.outputs.map((_, k) => `golden_output_${k}`).join(', ') || '0'} };`);
  t.push(`const uint8_t golden_output_elem_bytes[] = { ${g.outputs.map((o) => DTYPES[tg.dtypes.get(o.name)!].bytes).join(', ') || '0'} };`);
  t.push(`const uint8_t golden_output_is_float[] = { ${g.outputs.map((o) => (tg.dtypes.get(o.name) === 'float32' ? 1 : 0)).join(', ') || '0'} };`);
  t.push(`const uint8_t golden_output_signed[] = { ${g.outputs.map((o) => (DTYPES[tg.dtypes.get(o.name)!].min < 0 ? 1 : 0)).join(', ') || '0'} };`);
  t.push('');

  return {
    files: { 'network.c': out.join('\n'), 'network.h': h.join('\n'), 'testio.c': t.join('\n'), 'main.c': MAIN_C },
    layers,
    constants,
    arenas: ARENA,
    bufferMacro,
  };
}

const MAIN_C = `/* main.c: the test harness of a compiled network (generated by deeploy-sim compile).
 * Copies the test inputs into the network's input buffers, runs the network on NETWORK_CORES
 * cluster cores, compares every output element with the golden outputs and prints the summary
 * lines Deeploy's harness prints. Exit code: 0 when all match, 1 otherwise. */
#include <stdint.h>
#include "dsim.h"
#include "network.h"

extern const void *const test_inputs[];
extern const void *const golden_outputs[];
extern const uint8_t golden_output_elem_bytes[];
extern const uint8_t golden_output_signed[];
extern const uint8_t golden_output_is_float[];

/* Float outputs (quantize/dequantize graphs) match within 1e-4, as in Deeploy's harness. */
#define FLOAT_TOLERANCE 1e-4f

static int32_t load(const void *p, uint32_t i, unsigned bytes, unsigned is_signed) {
  if (bytes == 1) return is_signed ? ((const int8_t *)p)[i] : ((const uint8_t *)p)[i];
  if (bytes == 2) return is_signed ? ((const int16_t *)p)[i] : ((const uint16_t *)p)[i];
  return ((const int32_t *)p)[i];
}

int main(void) {
  InitNetwork();
  for (unsigned k = 0; k < NETWORK_NUM_INPUTS; k++) memcpy(network_inputs[k], test_inputs[k], network_input_bytes[k]);
  uint32_t start = dsim_cycles();
  RunNetwork(NETWORK_CORES);
  uint32_t cycles = dsim_cycles() - start;
  uint32_t errors = 0, total = 0;
  for (unsigned k = 0; k < NETWORK_NUM_OUTPUTS; k++) {
    unsigned eb = golden_output_elem_bytes[k], sg = golden_output_signed[k];
    uint32_t n = network_output_bytes[k] / eb;
    /* integers: identical bytes mean no errors; count element by element only otherwise */
    if (!golden_output_is_float[k] && memcmp(network_outputs[k], golden_outputs[k], network_output_bytes[k]) == 0) {
      total += n;
      continue;
    }
    for (uint32_t i = 0; i < n; i++) {
      int32_t got = load(network_outputs[k], i, eb, sg), want = load(golden_outputs[k], i, eb, sg);
      int bad = got != want;
      if (golden_output_is_float[k]) {
        float d = ((const float *)network_outputs[k])[i] - ((const float *)golden_outputs[k])[i];
        bad = !(d <= FLOAT_TOLERANCE && d >= -FLOAT_TOLERANCE);
      }
      if (bad) {
        if (errors < 8) printf("Output %u[%u]: expected %d, got %d%s\\n", k, (unsigned)i, (int)want, (int)got, golden_output_is_float[k] ? " (float bits)" : "");
        errors++;
      }
      total++;
    }
  }
  printf("Errors: %u out of %u\\n", (unsigned)errors, (unsigned)total);
  printf("Runtime: %u cycles\\n", (unsigned)cycles);
  return errors != 0;
}
`;

export type { Tensor };
