// Public surface of the frontend: the IR, ONNX and NumPy file I/O.
export * from './ir.js';
export { DTYPES, ALL_DTYPES, isDType, dtypeOfArray, allocate, toNumberArray, fromNumbers } from './dtype.js';
export { parseOnnx, loadOnnx, writeOnnx, saveOnnx, tensorFromProto, tensorToProto, type LoadOptions } from './onnx.js';
export { parseNpy, formatNpy, readNpy, writeNpy, parseNpz, formatNpz, readNpz, writeNpz, type NamedArray } from './npy.js';
export { sortGraph } from './graph.js';
export { inferShapes, broadcastShapes, SHAPE_RULES } from './shapes.js';
export { GraphBuilder } from './builder.js';
