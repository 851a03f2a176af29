// deeploy-sim run <build-dir | program.elf>: run a program on the simulated core (contracts.md).
import { writeSync } from 'node:fs';
import type { CommandModule, Options } from 'yargs';
import { FaultError, InputError } from '../../errors.js';
import { resolveProgram } from '../../sim/run.js';
import { Cluster } from '../../sim/cluster/cluster.js';
import { goldenHook, hostCheck } from '../../compiler/golden-check.js';
import { formatProfile, readProfile } from '../../compiler/profile.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readManifest } from '../../compiler/manifest.js';
import { buildHasMarks, makeRecord, markTable, saveRecord, sumStalls } from '../../report/record.js';
import { layerCausesJson, markedLayers } from '../../report/layer-causes.js';
import { DEFAULT_OPERATING_POINT, estimateEnergy } from '../../sim/energy.js';
import { operatingPointArgs } from './operating-point.js';
import { AtomicFileStream, checkOutputFile, writeOutputFile } from '../../io/outputs.js';
import { CORES, numberOption } from '../options.js';

export interface RunArgs {
  program: string;
  'max-instructions'?: number;
  'max-cycles'?: number;
  itrace?: string;
  json?: boolean;
  cores: number;
  trace?: string;
  'freq-mhz'?: number;
  profile?: boolean;
  voltage?: number;
  record: boolean;
}

const hex = (v: number, w: number) => (v >>> 0).toString(16).padStart(w, '0');

const RUNTIME_LINE = /^Runtime: \d+ cycles$/m;

/** run's options (besides the program): yargs' builder and the plain-argument path of main.ts (fast-args.ts) read the same table. */
export const RUN_OPTIONS: Record<string, Options> = {
  'max-instructions': numberOption('max-instructions', { integer: true, min: 1 }, { describe: 'stop with exit 3 after N instructions' }),
  'max-cycles': numberOption('max-cycles', { integer: true, min: 1 }, { describe: 'stop with exit 3 after N cycles' }),
  itrace: { type: 'string', describe: 'write one line per retired instruction to FILE' },
  json: { type: 'boolean', default: false, describe: 'print a JSON summary as the last line' },
  cores: numberOption('cores', CORES, { default: 8, describe: 'cluster cores (1..8); core 0 runs main, the others wait in the event unit' }),
  trace: { type: 'string', describe: 'write a Chrome trace-event JSON (Perfetto) with one track per core, the DMA and the NPU to FILE' },
  'freq-mhz': numberOption('freq-mhz', { min: 0, exclusiveMin: true }, { describe: 'cluster clock for the energy report\'s average power (no default: cycles only)' }),
  voltage: numberOption('voltage', { min: 0, exclusiveMin: true }, { describe: 'supply voltage of the energy estimate (0.65..0.8 V; default 0.8)' }),
  record: { type: 'boolean', default: true, describe: 'a build folder: keep the run\'s statistics in <build>/stats for `deeploy-sim report` (--no-record: do not)' },
  profile: { type: 'boolean', default: false, describe: 'print the per-layer table of a build folder (cycles, DMA wait, DMA bytes, MAC/cycle, tiles, predicted)' },
};

export const runCommand: CommandModule<object, RunArgs> = {
  command: 'run <program>',
  describe: 'run a RISC-V ELF (or <build-dir>/network.elf) on the simulated Siracusa cluster',
  builder: (y) =>
    y
      .positional('program', { type: 'string', demandOption: true, describe: 'program.elf or build directory' })
      .options(RUN_OPTIONS) as never,
  handler: (args) => {
    // Inputs first: a missing or malformed ELF is reported before any output file is touched.
    const elf = resolveProgram(args.program);
    if (args.itrace) checkOutputFile(args.itrace, '--itrace');
    if (args.trace) checkOutputFile(args.trace, '--trace');
    let itrace: AtomicFileStream | undefined;
    let traceBuf = '';
    const flush = () => {
      if (itrace !== undefined && traceBuf) {
        itrace.write(traceBuf);
        traceBuf = '';
      }
    };
    // checked before the run: an operating point outside the sources' range is bad usage
    const op = args.voltage !== undefined || args['freq-mhz'] !== undefined ? operatingPointArgs({ voltage: args.voltage, 'freq-mhz': args['freq-mhz'] }) : undefined;
    // a build folder's run is recorded for `report`: it needs the trace (per-layer causes) and stats
    const record = args.record && existsSync(join(args.program, 'manifest.json'));
    const start = process.hrtime.bigint();
    let harnessRuntime = false;
    const cluster = new Cluster(elf, {
      cores: args.cores,
      // builds from before the layer marks: the record finds the layers in the trace
      trace: args.trace !== undefined || (record && !buildHasMarks(args.program)),
      freqMHz: args['freq-mhz'],
      // per-cause stalls and instruction classes cost ~10% on branchy code: only for --json
      stats: args.json === true || record,
      maxInstructions: args['max-instructions'],
      maxCycles: args['max-cycles'],
      onOutput: (fd, bytes) => {
        if (fd === 2) return void process.stderr.write(bytes);
        if (!harnessRuntime && RUNTIME_LINE.test(Buffer.from(bytes).toString('latin1'))) harnessRuntime = true;
        writeSync(1, bytes);
      },
      onRetire: !args.itrace
        ? undefined
        : (core, pc, raw, text) => {
            traceBuf += `core ${core.hartId} ${hex(pc, 8)} ${hex(raw, (raw & 3) === 3 ? 8 : 4)} ${text}\n`;
            if (traceBuf.length > 1 << 16) flush();
          },
    });
    if (args.itrace) itrace = new AtomicFileStream(args.itrace, '--itrace');
    let result;
    try {
      result = cluster.run();
      result.elf = elf;
      flush();
      itrace?.commit();
    } catch (e) {
      itrace?.abort();
      throw e;
    }
    // a faulting run still writes its traces: they show how it got there
    if (args.trace && result.trace) writeOutputFile(args.trace, JSON.stringify(result.trace.toJSON()), '--trace');
    if (op) result.energy = estimateEnergy(result.energy.counts, op);
    const marks = result.fault ? undefined : markTable(cluster, result);
    const manifest = existsSync(join(args.program, 'manifest.json')) ? readManifest(args.program) : undefined;
    const readBytes = (a: number, n: number) => cluster.memory.readBytes(a, n);
    // the outputs against the golden ones, once: for the record and for the `Host check` line
    const host = manifest && !result.fault ? hostCheck(args.program, manifest, readBytes) : undefined;
    if (record && !result.fault) saveRecord(args.program, makeRecord(args.program, manifest!, cluster, result, op ?? DEFAULT_OPERATING_POINT, marks, host));
    if (result.fault) throw new FaultError(result.fault);
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    // One `Runtime:` line for parsers: a Deeploy-style harness prints the network's own; then the
    // whole program's count (start-up and checks included) gets another name.
    writeSync(1, harnessRuntime ? `Total: ${result.cycles} cycles (whole program)\n` : `Runtime: ${result.cycles} cycles\n`);
    // A build folder: check the outputs in simulated memory against its golden outputs too.
    const golden = goldenHook(args.program, readBytes, host);
    if (args.profile) {
      const rows = result.elf ? readProfile(result.elf, readBytes, manifest) : undefined;
      if (!rows) throw new InputError(`${args.program}: --profile needs a build folder of deeploy-sim compile (manifest.json and the layer counters)`);
      writeSync(1, formatProfile(rows, markedLayers(marks, rows.length)));
    }
    if (args.json)
      writeSync(
        1,
        JSON.stringify({
          elf: result.elf,
          exitCode: result.exitCode,
          cycles: result.cycles,
          instructions: result.cores.map((c) => c.instructions),
          simSeconds: Number(seconds.toFixed(3)),
          mips: Number((result.instructions / seconds / 1e6).toFixed(1)),
          cores: result.cores,
          stalls: sumStalls(result.cores),
          instrClasses: result.instrClasses,
          bankConflictCycles: result.bankConflicts,
          barriers: result.barriers,
          memory: { l1Accesses: result.cores.reduce((s, c) => s + c.l1Accesses, 0), l2Accesses: result.l2Accesses },
          dma: result.dma,
          npu: result.engines.npu,
          utilisation: result.cores.map((c) => Number(c.utilisation.toFixed(4))),
          energy: result.energy,
          ...(marks ? { layerCauses: layerCausesJson(marks, manifest?.layers.map((L) => L.name)) } : {}),
        }) + '\n',
      );
    process.exitCode = result.exitCode !== 0 ? result.exitCode : golden && !golden.ok ? 1 : 0;
  },
};
