// deeploy-sim run <build-dir | program.elf>: run a program on the simulated core (contracts.md).
import { openSync, writeSync, closeSync } from 'node:fs';
import type { CommandModule } from 'yargs';
import { FaultError } from '../../errors.js';
import { runProgram } from '../../sim/run.js';

interface RunArgs {
  program: string;
  'max-instructions'?: number;
  'max-cycles'?: number;
  itrace?: string;
  json?: boolean;
}

const hex = (v: number, w: number) => (v >>> 0).toString(16).padStart(w, '0');

export const runCommand: CommandModule<object, RunArgs> = {
  command: 'run <program>',
  describe: 'run a RISC-V ELF (or <build-dir>/network.elf) on the simulated Siracusa core',
  builder: (y) =>
    y
      .positional('program', { type: 'string', demandOption: true, describe: 'program.elf or build directory' })
      .option('max-instructions', { type: 'number', describe: 'stop with exit 3 after N instructions' })
      .option('max-cycles', { type: 'number', describe: 'stop with exit 3 after N cycles' })
      .option('itrace', { type: 'string', describe: 'write one line per retired instruction to FILE' })
      .option('json', { type: 'boolean', default: false, describe: 'print a JSON summary as the last line' }),
  handler: (args) => {
    let traceFd: number | undefined;
    let traceBuf = '';
    const flush = () => {
      if (traceFd !== undefined && traceBuf) {
        writeSync(traceFd, traceBuf);
        traceBuf = '';
      }
    };
    if (args.itrace) traceFd = openSync(args.itrace, 'w');
    const start = process.hrtime.bigint();
    let result;
    try {
      result = runProgram(args.program, {
        maxInstructions: args['max-instructions'],
        maxCycles: args['max-cycles'],
        onOutput: (fd, bytes) => (fd === 2 ? process.stderr.write(bytes) : writeSync(1, bytes)),
        onRetire:
          traceFd === undefined
            ? undefined
            : (core, pc, raw, text) => {
                traceBuf += `core ${core.hartId} ${hex(pc, 8)} ${hex(raw, raw > 0xffff ? 8 : 4)} ${text}\n`;
                if (traceBuf.length > 1 << 16) flush();
              },
      });
    } finally {
      flush();
      if (traceFd !== undefined) closeSync(traceFd);
    }
    if (result.fault) throw new FaultError(result.fault.message);
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    writeSync(1, `Runtime: ${result.cycles} cycles\n`);
    if (args.json)
      writeSync(
        1,
        JSON.stringify({
          elf: result.elf,
          exitCode: result.exitCode,
          cycles: result.cycles,
          instructions: [result.instret],
          simSeconds: Number(seconds.toFixed(3)),
          mips: Number((result.instret / seconds / 1e6).toFixed(1)),
        }) + '\n',
      );
    process.exitCode = result.exitCode;
  },
};
