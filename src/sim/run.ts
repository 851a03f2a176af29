// Running a whole program on one core: the API behind `deeploy-sim run` (and the hook for golden
// comparison: callers get the exit code, console bytes and counters back).
import { statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { FaultError, InputError } from '../errors.js';
import { Core, type Fault } from './core.js';
import { parseElf, loadElf, readElfFile } from './elf.js';
import { Memory } from './memory.js';
import { siracusa, type Platform } from './platform/siracusa.js';

export interface RunOptions {
  maxInstructions?: number;
  maxCycles?: number;
  platform?: Platform;
  /** Called for each console write of the program (fd 1 and 2), as it happens. */
  onOutput?: (fd: number, bytes: Uint8Array) => void;
  /** Called after each retired instruction (slow path: enables single-stepping). */
  onRetire?: (core: Core, pc: number, raw: number, text: string) => void;
}

export interface RunResult {
  exitCode: number;
  stdout: Uint8Array;
  cycles: number;
  instret: number;
  fault?: Fault & { message: string };
  elf: string;
}

/** A build directory stands for its network.elf. */
export function resolveProgram(path: string): string {
  if (!existsSync(path)) throw new InputError(`${path}: no such file or directory`);
  if (statSync(path).isDirectory()) {
    const elf = join(path, 'network.elf');
    if (!existsSync(elf)) throw new InputError(`${path}: build directory without network.elf`);
    return elf;
  }
  return path;
}

export function loadProgram(elfPath: string, platform: Platform = siracusa): { core: Core; memory: Memory } {
  const buf = readElfFile(elfPath);
  const img = parseElf(buf, elfPath);
  const memory = new Memory(platform);
  loadElf(img, memory, elfPath, true);
  const core = new Core(memory, { hartId: 0 });
  core.reset(img.entry);
  const tohost = img.symbols.get('tohost');
  if (tohost !== undefined) {
    core.tohost = tohost;
    memory.watchToHost(tohost);
  }
  return { core, memory };
}

const CHUNK = 1 << 20;

/** Run a program on core 0 until it exits. Faults and limits become a `fault` in the result. */
export function runProgram(path: string, opts: RunOptions = {}): RunResult {
  const elf = resolveProgram(path);
  const { core } = loadProgram(elf, opts.platform);
  const out: Uint8Array[] = [];
  core.host = {
    write(fd, bytes) {
      if (fd === 1) out.push(bytes);
      opts.onOutput?.(fd, bytes);
    },
  };
  const maxI = opts.maxInstructions ?? Infinity;
  const maxC = opts.maxCycles ?? Infinity;
  let stop: string;
  for (;;) {
    if (core.instret >= maxI || core.cycles >= maxC) {
      core.setExternalFault(
        core.instret >= maxI ? `instruction limit reached (${maxI} instructions)` : `cycle limit reached (${maxC} cycles)`,
      );
      stop = 'fault';
      break;
    }
    if (opts.onRetire) {
      const pc = core.pc;
      const before = core.instret;
      const { raw, text } = core.disassembleAt(pc);
      stop = core.run(1);
      if (core.instret > before) opts.onRetire(core, pc, raw, text);
    } else {
      // no instruction takes 64 cycles: near the cycle limit the budget shrinks to single steps,
      // so the run stops within one instruction of maxCycles
      const byCycles = Math.floor((maxC - core.cycles) / 64);
      stop = core.run(Math.max(1, Math.min(CHUNK, maxI - core.instret, byCycles)));
    }
    if (stop === 'limit') continue;
    if (stop === 'sleep') {
      core.setExternalFault('the core went to sleep (wfi or p.elw) and nothing can wake it in a single-core run');
      stop = 'fault';
    }
    break;
  }
  const stdout = concat(out);
  if (stop === 'fault') {
    const f = core.fault!;
    return { exitCode: 3, stdout, cycles: core.cycles, instret: core.instret, fault: { ...f, message: core.faultMessage() }, elf };
  }
  return { exitCode: core.exitCode ?? 0, stdout, cycles: core.cycles, instret: core.instret, elf };
}

/** runProgram, but a fault throws FaultError (exit 3) with the one-line message. */
export function runProgramOrThrow(path: string, opts: RunOptions = {}): RunResult {
  const r = runProgram(path, opts);
  if (r.fault) throw new FaultError(r.fault.message);
  return r;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const n = parts.reduce((s, p) => s + p.length, 0);
  const o = new Uint8Array(n);
  let k = 0;
  for (const p of parts) {
    o.set(p, k);
    k += p.length;
  }
  return o;
}
