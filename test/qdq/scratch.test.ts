import { it } from 'vitest';
import { join } from 'node:path';
import { quantNetworks, writeQuantNetworks } from '../../golden/quant-networks.js';
import { execute } from '../../src/reference/execute.js';
import { lowerStandardQuantization } from '../../src/frontend/quant-lower.js';
import { testCase } from '../../src/compiler/test-runner.js';
import { runOrt, agreement } from './oracle.js';
it('scratch', async () => {
  for (const q of quantNetworks()) {
    try {
      const ref = execute(q.graph, q.inputs).outputs[0]!.data;
      const o = (await runOrt(q.graph, q.inputs))[0]!;
      const lowered = lowerStandardQuantization(q.graph);
      const low = execute(lowered, q.inputs);
      const ops = lowered.nodes.map((n) => n.op).join(',');
      console.log(q.name, 'ref-vs-ort', agreement(ref, o, 1e-9).exact, 'lowered-vs-ort', agreement(low.outputs[0]!.data, o).exact, '/', o.length, low.warnings.slice(0, 2), ops);
    } catch (e) { console.log(q.name, 'ERR', (e as Error).message); }
  }
  const dirs = writeQuantNetworks('/tmp/qnets');
  for (const d of dirs) {
    const r = await testCase(d.dir, join('/tmp/qbuild', d.name));
    console.log(d.name, r.passed, r.cycles, r.reason);
  }
}, 600000);
