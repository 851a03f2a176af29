// `deeploy-sim test` output contract: one `PASS|FAIL <name> <cycles> cycles` line per case, then
// `<P> passed, <F> failed` alone on the last line, exit code 1 when any failed.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { testCommand } from '../../src/cli/commands/test.js';
import { GraphBuilder } from '../../src/frontend/builder.js';
import { writeNpz } from '../../src/frontend/npy.js';
import { saveOnnx } from '../../src/frontend/onnx.js';
import { CONFORMANCE, OUT } from './cases.js';

afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
});

describe.skipIf(!existsSync(CONFORMANCE))('deeploy-sim test', () => {
  it('prints one line per case and the summary last; exit 1 when a case fails', async () => {
    const bad = join(OUT, 'cli', 'Unsupported');
    mkdirSync(bad, { recursive: true });
    const b = new GraphBuilder('bad');
    const x = b.input('x', 'float32', [4]);
    const y = b.node('HardSigmoid', [x], {}, { nodeName: 'hs', dtype: 'float32', shape: [4] });
    saveOnnx(join(bad, 'network.onnx'), b.output(y).build());
    writeNpz(join(bad, 'inputs.npz'), [{ name: 'x', dtype: 'int8', shape: [4], data: new Int8Array(4) }]);
    const out: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => (out.push(String(s)), true));
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const handler = testCommand.handler as (a: unknown) => Promise<void>;
    await handler({ cases: [join(CONFORMANCE, 'Kernels', 'Integer', 'Add', 'Regular'), bad], cores: 8, wmem: false });
    const lines = out.join('').trimEnd().split('\n');
    expect(lines[0]).toMatch(/^PASS Regular \d+ cycles$/);
    expect(lines[1]).toBe('FAIL Unsupported 0 cycles');
    expect(lines[lines.length - 1]).toBe('1 passed, 1 failed');
    expect(process.exitCode).toBe(1);
  });
});
