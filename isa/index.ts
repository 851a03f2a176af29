// The instruction set as data: tables in isa/*.opcodes, and what is derived from them.
export { isa, loadTables, isaDir, type Entry, type CEntry, type IsaTables } from './table.js';
export { Decoder, decoder, emptyDecoded, type Decoded } from './decoder.js';
export { disassemble, formatDecoded, ABI, CSR_NAMES } from './disasm.js';
export { encode } from './encoder.js';
export { unexpectedOverlaps } from './overlap.js';
export { formats, type Operands, type Format } from './fields.js';
export { xpulpAlu } from './xpulp-semantics.js';
