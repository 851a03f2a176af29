// Where the NPU's constants live: the packed weights are read by the NPU itself, which reaches L1
// and the weight memory but not L2, so outside L1 they go to the weight memory (.wmem) whatever
// --wmem says (the plan, plan.ts, asks for this set).
import type { ConstantsPhase } from '../constants.js';
import { NPU_KERNEL } from './binding.js';

/** C names of the NPU layers' packed weight arrays. */
export function npuWeightConstants(cs: ConstantsPhase): Set<string> {
  const out = new Set<string>();
  for (const L of cs.layers) {
    if (L.bound.binding.kernel !== NPU_KERNEL) continue;
    out.add(String(L.call.fields.W));
  }
  return out;
}

/** Whether a compiled network has any NPU layer (network.c then includes dsim_npu.h). */
export function usesNpu(cs: ConstantsPhase): boolean {
  return cs.layers.some((L) => L.bound.binding.kernel === NPU_KERNEL);
}
