// How exact values are stored in .npz files (`deeploy-sim golden`): one documented rule.
//  1. Declared integer type that holds every value -> that type.
//  2. Otherwise, if every value is an integer: the narrowest of int8, uint8, int16, int32, int64
//     that holds the value range. The range is the producer's static output range when the
//     producer clamps (RequantShift, iSoftmax, ITAMax, iRMSNorm, iLayerNorm: its n_levels), so the
//     dtype does not depend on the input data; else the range of the values themselves.
//  3. Otherwise the declared float type (float32 / float64).
import type { DType, Graph, Tensor } from '../frontend/ir.js';
import { DTYPES, fromNumbers } from '../frontend/dtype.js';
import { attrNumber } from '../frontend/shapes.js';
import { allIntegers, type Value } from './value.js';

const LADDER: DType[] = ['int8', 'uint8', 'int16', 'int32', 'int64'];

function staticRange(graph: Graph, name: string): [number, number] | undefined {
  const node = graph.nodes.find((n) => n.outputs.includes(name));
  if (!node) return undefined;
  try {
    switch (node.op) {
      case 'RequantShift': {
        const nl = node.attrs.n_levels_out !== undefined ? attrNumber(node, 'n_levels_out') : attrNumber(node, 'n_levels', 256);
        return attrNumber(node, 'signed', 1) ? [-nl / 2, nl / 2 - 1] : [0, nl - 1];
      }
      case 'iSoftmax':
        return [0, attrNumber(node, 'n_levels', 256) - 1];
      case 'ITAMax':
      case 'iRMSNorm': {
        const nl = attrNumber(node, 'n_levels', 256);
        return [-nl / 2, nl / 2 - 1];
      }
      case 'iLayerNorm':
        return [-128, 127];
      default:
        return undefined;
    }
  } catch {
    return undefined;
  }
}

export function storageDType(graph: Graph, name: string, v: Value): DType {
  const declared = graph.values.get(name)?.dtype ?? v.dtype;
  let lo = Infinity;
  let hi = -Infinity;
  for (const x of v.data) {
    if (x < lo) lo = x;
    if (x > hi) hi = x;
  }
  const info = DTYPES[declared];
  if (info.integer && (v.data.length === 0 || (lo >= info.min && hi <= info.max))) return declared;
  if (!allIntegers(v.data)) return info.integer ? 'float64' : declared;
  const r = staticRange(graph, name);
  if (r && lo >= r[0] && hi <= r[1]) [lo, hi] = r;
  if (v.data.length === 0) return info.integer ? declared : 'int32';
  return LADDER.find((d) => lo >= DTYPES[d].min && hi <= DTYPES[d].max) ?? 'int64';
}

export function toStorage(graph: Graph, name: string, v: Value): Tensor {
  const dtype = storageDType(graph, name, v);
  return { name, dtype, shape: v.shape.slice(), data: fromNumbers(dtype, v.data) };
}
