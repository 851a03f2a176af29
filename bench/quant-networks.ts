// Cycles on 8 cores of each generated standard-ONNX quantized network (golden/quant-networks.ts,
// QDQ and QOperator formats: float input quantized on the cluster, float output dequantized,
// requant with a 64-bit product where 32 bits leave the multiplier short) next to the same
// network in QuantLib form (integer input and output, 32-bit RequantShift fused into the
// producing kernel). Numbers, never assertions.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildQuantNetwork, NETWORK_SPECS } from '../golden/quant-networks.js';
import { fromNumbers } from '../src/frontend/dtype.js';
import { formatNpz } from '../src/frontend/npy.js';
import { writeOnnx } from '../src/frontend/onnx.js';
import { lowerStandardQuantization } from '../src/frontend/quant-lower.js';
import { testCase } from '../src/compiler/test-runner.js';
import { execute } from '../src/reference/execute.js';

const OUT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench', '.out', 'quant-networks');

async function cycles(dir: string, build: string): Promise<number | string> {
  const r = await testCase(dir, build);
  return r.passed ? r.cycles ?? NaN : `failed (${r.reason})`;
}

export async function run(): Promise<void> {
  console.log('quant-networks: cycles on 8 cores, standard-ONNX deployment vs the same network in QuantLib form');
  console.log(`  ${'network'.padEnd(24)} ${'ONNX (float I/O)'.padStart(16)} ${'QuantLib form'.padStart(14)}  ratio`);
  rmSync(OUT, { recursive: true, force: true });
  for (const spec of NETWORK_SPECS) {
    const q = buildQuantNetwork(spec);
    const onnxDir = join(OUT, spec.name, 'onnx');
    mkdirSync(onnxDir, { recursive: true });
    writeFileSync(join(onnxDir, 'network.onnx'), writeOnnx(q.graph));
    writeFileSync(join(onnxDir, 'inputs.npz'), formatNpz(q.inputs));
    // QuantLib form: the integer graph with integer I/O; its input is the quantized input.
    const ql = lowerStandardQuantization(q.graph, spec.name, { quantlibForm: true });
    const acts = execute(q.graph, q.inputs, { captureActivations: true }).activations!;
    const qlInputs = ql.inputs.map((i) => ({ name: i.name, dtype: i.dtype, shape: i.shape, data: fromNumbers(i.dtype, Array.from(acts.get(i.name)!.data)) }));
    const qlDir = join(OUT, spec.name, 'quantlib');
    mkdirSync(qlDir, { recursive: true });
    writeFileSync(join(qlDir, 'network.onnx'), writeOnnx(ql));
    writeFileSync(join(qlDir, 'inputs.npz'), formatNpz(qlInputs));
    const a = await cycles(onnxDir, join(OUT, spec.name, 'onnx-build'));
    const b = await cycles(qlDir, join(OUT, spec.name, 'quantlib-build'));
    const ratio = typeof a === 'number' && typeof b === 'number' ? (a / b).toFixed(2) : '-';
    console.log(`  ${spec.name.padEnd(24)} ${String(a).padStart(16)} ${String(b).padStart(14)}  ${ratio}`);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await run();
