// `deeploy-sim test -j N --junit results.xml`: the pool gives the same lines as one job; the JUnit
// file has one testcase per case with its cycles, and the first mismatching element on failure.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readNpz, writeNpz } from '../../src/frontend/npy.js';
import { CONFORMANCE } from '../compiler/cases.js';

const MAIN = join(import.meta.dirname, '../../dist/src/cli/main.js');
const OUT = join(process.cwd(), 'test', '.out', 'report', `junit-${process.pid}`);
const cli = (...args: string[]) => {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
};
const GOOD = join(CONFORMANCE, 'Kernels', 'Integer', 'Add', 'Regular');

describe.skipIf(!existsSync(GOOD))('test -j and --junit', () => {
  it('one testcase per case with cycles; a failing case names its first mismatching element', () => {
    // a copy of the case whose golden output has element 3 changed: the run must disagree there
    const bad = join(OUT, 'cases', 'Broken');
    rmSync(OUT, { recursive: true, force: true });
    mkdirSync(bad, { recursive: true });
    cpSync(GOOD, bad, { recursive: true });
    const outs = readNpz(join(bad, 'outputs.npz'));
    const d = outs[0]!.data as Int8Array | Int32Array | Float32Array;
    d[3] = d[3]! + 1;
    writeNpz(join(bad, 'outputs.npz'), outs);
    const xml = join(OUT, 'results.xml');
    const one = cli('test', GOOD, bad, '-j', '1');
    const two = cli('test', GOOD, bad, '-j', '2', '--junit', xml);
    expect(two.code).toBe(1);
    expect(two.out).toBe(one.out);
    expect(two.out.trim().split('\n')).toEqual([expect.stringMatching(/^PASS Regular \d+ cycles$/), expect.stringMatching(/^FAIL Broken \d+ cycles$/), '1 passed, 1 failed']);
    const x = readFileSync(xml, 'utf8');
    expect(x).toMatch(/<testsuite name="deeploy-sim test" tests="2" failures="1"/);
    expect(x.match(/<testcase /g)).toHaveLength(2);
    const cycles = /PASS Regular (\d+) cycles/.exec(two.out)![1];
    expect(x).toContain(`<property name="cycles" value="${cycles}"/>`);
    expect(x).toMatch(/<testcase classname="deeploy-sim test" name="Broken"[^>]*>.*<failure message="first mismatch: output [^"]+\[3\] expected -?\d+ got -?\d+" type="mismatch">/);
  }, 120_000);

  it('-j 0 is bad usage, one line', () => {
    const r = cli('test', GOOD, '-j', '0');
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toHaveLength(1);
  });
});
