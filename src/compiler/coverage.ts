// One error for every op type a lowered graph holds that no compiler mapping takes (instead of
// failing at the first such node), so a user sees the whole gap at once.
import { InputError } from '../errors.js';
import type { LoweredGraph } from './lower.js';
import { mappingsFor } from './registry.js';

export function checkCompilable(g: LoweredGraph): void {
  const missing = new Map<string, { first: string; count: number }>();
  for (const n of g.nodes) {
    if (mappingsFor(n.op).length) continue;
    const key = `${n.op}${n.domain && !n.domain.startsWith('deeploy-sim') ? `, domain ${n.domain}` : ''}`;
    const m = missing.get(key);
    if (m) m.count++;
    else missing.set(key, { first: n.from.join(' + '), count: 1 });
  }
  if (missing.size === 0) return;
  // Each entry keeps the single-node wording (node 'X' (Op): unsupported operator Op).
  const list = [...missing].map(([op, m]) => `node '${m.first}' (${op.split(',')[0]}): unsupported operator ${op}${m.count > 1 ? ` (${m.count} nodes)` : ''}`).join('; ');
  throw new InputError(`${g.name || 'network'}: ${missing.size} op type${missing.size > 1 ? 's' : ''} the compiler does not support: ${list}`);
}
