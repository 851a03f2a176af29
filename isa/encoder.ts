// Encoder derived from the tables, used by tests to build instructions: fixed bits from the pattern,
// operand bits from the format.
import type { Operands } from './fields.js';
import { isa } from './table.js';

export function encode(id: string, ops: Partial<Operands> = {}): number {
  const e = isa().byId.get(id);
  if (!e) throw new Error(`encode: unknown instruction id '${id}'`);
  const w = (e.match | (e.format.encode(ops) & ~e.mask)) >>> 0;
  return w;
}
