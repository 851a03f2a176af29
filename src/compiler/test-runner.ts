// compile + run + compare for one case folder: what `deeploy-sim test`, the tests and the
// benchmarks share.
import { DeeployError } from '../errors.js';
import { compileToFolder, type CompileRequest, type CompileResult } from './build-folder.js';
import { describeHostCheck, runBuild, type BuildRun } from './golden-check.js';

export interface CaseResult {
  passed: boolean;
  /** Network cycles (the harness's Runtime line), when the program ran. */
  cycles?: number;
  reason?: string;
  compile?: CompileResult;
  run?: BuildRun;
  compileMs?: number;
  runMs?: number;
}

/** What `testCase` takes: every compile option, plus run limits and statistics. */
export type TestOptions = Omit<Partial<CompileRequest>, 'network' | 'outDir'> & { maxCycles?: number; stats?: boolean };

export async function testCase(caseDir: string, outDir: string, opts: TestOptions = {}): Promise<CaseResult> {
  const t0 = performance.now();
  let compile: CompileResult;
  try {
    compile = await compileToFolder({ ...opts, network: caseDir, outDir });
  } catch (e) {
    if (e instanceof DeeployError) return { passed: false, reason: `compile: ${e.message.split('\n').slice(0, 4).join(' | ')}` };
    throw e;
  }
  const t1 = performance.now();
  const run = runBuild(outDir, { cores: opts.cores, maxCycles: opts.maxCycles ?? 2e9, stats: opts.stats });
  const t2 = performance.now();
  let reason: string | undefined;
  if (run.fault) reason = `fault: ${run.fault}`;
  else if (!run.passed)
    reason = `exit ${run.exitCode}, program Errors: ${run.program.errors ?? '?'} out of ${run.program.total ?? '?'}; ${describeHostCheck(run.host)}`;
  return { passed: run.passed, cycles: run.networkCycles, reason, compile, run, compileMs: t1 - t0, runMs: t2 - t1 };
}
