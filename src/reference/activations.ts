// Deeploy's activations.npz (microLlama1/8) keys its arrays by the PyTorch module that produced
// them (QuantLib pass names, lowercased, dots as underscores), e.g.
// `layers_0_self_attn__ql_replaced__integerize_pact_lin_pass_2`. The ONNX nodes carry the same
// pass name in upper case (`__QL_REPLACED__INTEGERIZE_PACT_LIN_PASS_2_MatMul`, `..._Add`): a key
// maps to the output of the LAST node (in execution order) of the pass it names.
import type { Graph } from '../frontend/ir.js';

function normalize(s: string): string {
  return s.toLowerCase().replace(/^_+/, '').replace(/^ql_replaced__/, '').replace(/^ql_/, '');
}

/** The pass a key names: the part after the last `_ql_replaced__`, else after a leading `_ql_`. */
export function passOfKey(key: string): string {
  const k = key.toLowerCase();
  const i = k.lastIndexOf('_ql_replaced__');
  return normalize(i >= 0 ? k.slice(i + '_ql_replaced__'.length) : k);
}

/** Tensor name for each activation key; keys with no matching node are left out. */
export function mapActivationKeys(graph: Graph, keys: readonly string[]): Map<string, string> {
  const byPass = new Map<string, string>();
  const names = graph.nodes.map((n) => normalize(n.name));
  const out = new Map<string, string>();
  for (const key of keys) {
    const pass = passOfKey(key);
    let tensor = byPass.get(pass);
    if (tensor === undefined) {
      for (let i = graph.nodes.length - 1; i >= 0; i--)
        if (names[i]!.startsWith(`${pass}_`)) {
          tensor = graph.nodes[i]!.outputs[0]!;
          break;
        }
      if (tensor !== undefined) byPass.set(pass, tensor);
    }
    if (tensor !== undefined) out.set(key, tensor);
  }
  return out;
}
