// N-EUREKA NPU model (docs/npu.md): registers, job decoding, functional and timing models, the
// cluster device, and the host-side weight packer.
export * from './regs.js';
export { decodeJob, JobError, type NpuJob } from './job.js';
export { computeJob, unpackWeights } from './compute.js';
export { jobSteps, JobTimer, NPU_OVERHEAD } from './timing.js';
export { Neureka, neurekaDevice, PRIORITY_RESET, type NpuJobStats } from './device.js';
export { packWeights, type PackedWeights } from './pack.js';
export { npuJobCycles, type NpuJobShape } from './cost.js';
