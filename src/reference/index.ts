export { execute, checkSupported, type ExecuteOptions, type ExecuteResult } from './execute.js';
export { OPS, supportedOps, lookupOp } from './registry.js';
export { toStorage, storageDType } from './storage.js';
export type { Value, OpImpl, OpContext } from './value.js';
export { mapActivationKeys, passOfKey } from './activations.js';
