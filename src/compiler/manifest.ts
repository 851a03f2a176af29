// A build folder's manifest.json (contracts.md): its format, its types and the reader. Apart from
// build-folder.ts (which writes it) so that `run` and `report` read it without loading the compiler.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../errors.js';
import { tryFs } from '../io/outputs.js';

export const MANIFEST_FORMAT = 'deeploy-sim-build/1';

export interface ManifestBuffer {
  name: string;
  tensors: string[];
  kind: string;
  level: string;
  address: number | null;
  offset: number;
  size: number;
  dtype?: string;
  shape?: number[];
  lifetime: [number, number];
}

export interface Manifest {
  format: string;
  network: string;
  source: string;
  platform: { name: string; cores: number; l1: number; l2: number; wmem: number };
  options: Record<string, unknown>;
  tools: Record<string, string>;
  layers: {
    index: number;
    name: string;
    function: string;
    op: string;
    from: string[];
    kernel: string;
    engine: string;
    /** Why a requantised conv / GEMM / MatMul stays on the cluster (src/compiler/npu/assign.ts). */
    engineReason?: string;
    /** Predicted whole-layer cycles on each engine (NPU candidates that the NPU can run). */
    enginePrediction?: { npu: number; cluster: number };
    /** NPU conv layers, and layout-free layers passing HWC through: the activations' layouts (hwc: kept in the NPU's layout between NPU layers, src/compiler/npu/layout.ts). */
    npuLayout?: { input: 'hwc' | 'nchw'; output: 'hwc' | 'nchw' };
    tiling: string;
    /** The tiler's schedule (tiled layers): tile sizes per dimension, tiles, DMA bytes, prediction. */
    tiles?: {
      dims: { name: string; size: number; tile: number }[];
      count: number;
      l1Bytes: number;
      dmaBytesIn: number;
      dmaBytesOut: number;
      predictedCycles: number;
      /** NPU convs that transpose: whether the tiles run pipelined (two scratch copies, src/compiler/npu/tile-loop.ts), and why (not) */
      pipeline?: { on: boolean; why: string };
    };
    estimatedCycles: number;
    ops: number;
    inputs: string[];
    outputs: string[];
  }[];
  buffers: ManifestBuffer[];
  memory: { levels: { level: string; base: number; capacity: number; used: number }[]; peakLiveActivations: number; verified: boolean };
  inputs: { name: string; dtype: string; shape: number[]; address: number | null }[];
  outputs: { name: string; dtype: string; shape: number[]; address: number | null }[];
  golden: { inputs: string; outputs: string; source: string };
  elf: string | null;
  build: { command: string[] | null };
  compileMs: Record<string, number>;
}

export function readManifest(dir: string): Manifest | undefined {
  const p = join(dir, 'manifest.json');
  if (!existsSync(p)) return undefined;
  const text = tryFs(p, 'read the manifest', () => readFileSync(p, 'utf8'));
  let m: Manifest;
  try {
    m = JSON.parse(text) as Manifest;
  } catch (e) {
    throw new InputError(`${p}: not valid JSON (${(e as Error).message}); rebuild the folder with deeploy-sim compile`);
  }
  if (typeof m !== 'object' || m === null || typeof m.format !== 'string' || !m.format.startsWith('deeploy-sim-build/') || !Array.isArray(m.outputs))
    throw new InputError(`${p}: not a ${MANIFEST_FORMAT} manifest; rebuild the folder with deeploy-sim compile`);
  return m;
}
