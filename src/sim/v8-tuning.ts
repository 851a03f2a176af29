// How eagerly V8 optimises, for processes that simulate. V8 hands a function to its optimising
// compiler (TurboFan, on a background thread) once it has used up an "interrupt budget" of
// executed bytecode. A simulated network runs thousands of functions just hot enough for that:
// the core's dispatch and block interpreter, compileBlock and the decoder while cold code is
// discovered, the NPU model, the statistics; each is compiled (some again after a deoptimisation)
// while the run lasts well under a second. Measured on `run --json` of the microLlama networks
// (per-thread CPU from /proc): the compile thread used ~0.35-0.5 s, as much as the simulation
// itself. A budget 9x V8's default (67584) leaves the lukewarm functions in V8's lower tiers and
// still optimises the hot ones early in a run: 15-20% less CPU a network process, no change in
// steady-state speed (sim-speed). V8 reads the budget when it gives a function its feedback
// vector (lazily, after a few calls) and after each tier change, so setting it when this module
// loads, before anything is simulated, covers the simulator. docs/simulator.md, fourth round.
import { setFlagsFromString } from 'node:v8';

/** V8's interrupt budget for simulating processes; DSIM_V8_BUDGET overrides (0: V8's default). */
export const INTERRUPT_BUDGET = Number(process.env.DSIM_V8_BUDGET ?? 600_000);

/** An --interrupt-budget given to node itself (command line or NODE_OPTIONS) wins. */
const givenByUser = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].some((a) => /^--interrupt[-_]budget\b/.test(a));

if (INTERRUPT_BUDGET > 0 && !givenByUser) setFlagsFromString(`--interrupt-budget=${Math.floor(INTERRUPT_BUDGET)}`);
