// Every operator the reference executor knows, by ONNX op_type. To add one: write an OpImpl
// (src/reference/value.ts) in the ops/ module of its kind and list it here (docs/reference.md).
import type { OpImpl } from './value.js';
import { ELEMENTWISE_OPS } from './ops/elementwise.js';
import { LAYOUT_OPS } from './ops/layout.js';
import { LINALG_OPS } from './ops/linalg.js';
import { QUANT_OPS } from './ops/quant.js';
import { LLM_OPS } from './ops/llm.js';
import { DEEPLOY_EXT_OPS } from './ops/deeploy-ext.js';
import { ONNX_QUANT_OPS } from './ops/onnx-quant.js';

export const OPS: Readonly<Record<string, OpImpl>> = { ...ELEMENTWISE_OPS, ...LAYOUT_OPS, ...LINALG_OPS, ...QUANT_OPS, ...LLM_OPS, ...DEEPLOY_EXT_OPS, ...ONNX_QUANT_OPS };

export function supportedOps(): string[] {
  return Object.keys(OPS).sort();
}

export function lookupOp(op: string): OpImpl | undefined {
  return Object.hasOwn(OPS, op) ? OPS[op] : undefined;
}
