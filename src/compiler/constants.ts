// Phase 5: constants. Every layer's binding runs once here and materialises the constants its
// kernel needs in their final element type and layout (weights transposed, requant vectors as
// int32, ...), deduplicated by content. The result fixes each constant's size before any memory
// is planned, so the pipeline runs strictly forward (no emit-to-measure pass): the tiler and the
// planner read the sizes, the emitter prints the arrays and the kernel calls as they are.
import { DTYPES } from '../frontend/dtype.js';
import type { DType } from '../frontend/ir.js';
import type { BoundNode } from './bind.js';
import { uniqueIdents } from './names.js';
import { ARGS_BYTES_PER_LAYER, liveness } from './plan.js';
import type { EmitContext, KernelCall, Operand } from './registry.js';
import type { TypedGraph } from './types.js';

export interface EmittedLayer {
  /** Step of the layer in execution order (aliases count, they emit nothing). */
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
  /** layers using it */
  users: string[];
}

/**
 * sizeof of each kernels.h args struct on RV32 (gcc, ilp32); test/compiler/tile.test.ts checks
 * the table against riscv-gcc. Unknown structs count as ARGS_BYTES_PER_LAYER (a bound).
 */
export const ARGS_STRUCT_BYTES: Readonly<Record<string, number>> = {
  dk_argmax_args_t: 24, dk_binary_args_t: 176, dk_concat_args_t: 84, dk_conv_args_t: 168, dk_copy_args_t: 16,
  dk_copy_runs_args_t: 108, dk_gather_args_t: 32, dk_gather_rt_args_t: 36, dk_gelu_args_t: 104, dk_gemm_args_t: 176,
  dk_hardswish_args_t: 108, dk_layernorm_args_t: 36, dk_lut_args_t: 20, dk_matmul_small_args_t: 108, dk_maxpool_args_t: 68,
  dk_pad_args_t: 92, dk_reduce_args_t: 24, dk_requant_args_t: 116, dk_rmsnorm_args_t: 40, dk_slice_args_t: 112,
  dk_softmax_args_t: 44, dk_transpose_args_t: 64, dk_trueintdiv_args_t: 32, dk_unary_args_t: 32,
};

export function argsStructBytes(argsType: string): number {
  return ARGS_STRUCT_BYTES[argsType] ?? ARGS_BYTES_PER_LAYER;
}

export interface ConstantsPhase {
  /** Bytes of all the layers' args structs (aligned). */
  argsBytes: number;
  layers: EmittedLayer[];
  constants: ConstantArray[];
  /** C name -> bytes */
  bytes: Map<string, number>;
  /** Tensor -> C macro of its buffer (BUF_*), and storage name -> macro. */
  bufferMacro: Map<string, string>;
  macroIds: Map<string, string>;
}

export function materializeConstants(tg: TypedGraph, bound: BoundNode[]): ConstantsPhase {
  const g = tg.graph;
  const storages = liveness(tg);
  const macroIds = uniqueIdents(
    storages.map((s) => s.tensors[0]!),
    'BUF_',
  );
  const bufferMacro = new Map<string, string>();
  for (const s of storages) for (const t of s.tensors) bufferMacro.set(t, macroIds.get(s.tensors[0]!)!);

  // Deduplicated by content (QuantLib graphs repeat the same add/mul vectors a lot).
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
  const bytes = new Map(constants.map((c) => [c.cname, c.values.length * DTYPES[c.dtype].bytes]));
  const argsBytes = layers.reduce((sum, L) => sum + Math.ceil(argsStructBytes(L.call.argsType) / 4) * 4, 0);
  return { argsBytes: Math.max(4, argsBytes), layers, constants, bytes, bufferMacro, macroIds };
}
