// Overlap check: two patterns overlap when some word matches both, i.e. they agree on every bit that
// both fix. Every overlap must be listed in overlaps.allowed (and be resolvable by specificity).
import { isa, type IsaTables } from './table.js';

export interface Overlap {
  a: string;
  b: string;
}

function overlaps(m1: number, v1: number, m2: number, v2: number): boolean {
  const common = m1 & m2;
  return ((v1 & common) >>> 0) === ((v2 & common) >>> 0);
}

/** All overlapping pairs that overlaps.allowed does not explain. Empty = the tables are sound. */
export function unexpectedOverlaps(t: IsaTables = isa()): Overlap[] {
  const allowed = new Set(t.allowedOverlaps.map((o) => `${o.specific}|${o.general}`));
  const bad: Overlap[] = [];
  const check = (list: { name: string; mask: number; match: number }[]) => {
    for (let i = 0; i < list.length; i++)
      for (let j = i + 1; j < list.length; j++) {
        const a = list[i];
        const b = list[j];
        if (!overlaps(a.mask, a.match, b.mask, b.match)) continue;
        // allowed only if one is strictly more specific (its fixed bits include the other's)
        const aInB = ((a.mask & b.mask) >>> 0) === b.mask && a.mask !== b.mask;
        const bInA = ((a.mask & b.mask) >>> 0) === a.mask && a.mask !== b.mask;
        if ((aInB && allowed.has(`${a.name}|${b.name}`)) || (bInA && allowed.has(`${b.name}|${a.name}`))) continue;
        bad.push({ a: a.name, b: b.name });
      }
  };
  check(t.entries.map((e) => ({ name: e.id, mask: e.mask, match: e.match })));
  check(t.compressed.map((c) => ({ name: c.mnemonic, mask: c.mask, match: c.match })));
  return bad;
}
