// A run that ends with an exit ecall leaves the core after the ecall, so a host that clears
// exitCode resumes the program there (the sim engine's yield/resume protocol, src/llm/sim-engine.ts).
import { describe, expect, it } from 'vitest';
import { loadProgram } from '../../src/sim/run.js';
import { assemble, HAVE_TOOLCHAIN } from './helpers.js';

const SOURCE = `
  .text
  .globl _start
_start:
  li a7, 93
  li a0, 5
  ecall
  li a0, 7
  ecall
`;

describe.skipIf(!HAVE_TOOLCHAIN)('exit and resume', () => {
  for (const budget of [1, 1000])
    it(`an exit ecall stops the core after it; clearing exitCode resumes there (budget ${budget})`, () => {
      const { core } = loadProgram(assemble('resume', SOURCE));
      const runToStop = () => {
        let stop;
        while ((stop = core.run(budget)) === 'limit');
        return stop;
      };
      expect(runToStop()).toBe('exit');
      expect(core.exitCode).toBe(5);
      expect(core.instret).toBe(3);
      core.exitCode = undefined;
      expect(runToStop()).toBe('exit');
      expect(core.exitCode).toBe(7);
      expect(core.instret).toBe(5);
    });
});
