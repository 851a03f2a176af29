// The CLI as other tools see it: subcommands listed, bad usage exits 2 with one line.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { expandCases } from '../../src/cli/commands/test.js';

const repo = join(import.meta.dirname, '../..');
const cli = join(repo, 'dist/src/cli/main.js');

function run(...args: string[]) {
  return spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
}

beforeAll(() => {
  if (!existsSync(cli)) spawnSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: repo, stdio: 'inherit' });
});

describe('deeploy-sim', () => {
  it('lists every subcommand of the contract', () => {
    const r = run('--help');
    expect(r.status).toBe(0);
    for (const c of ['compile', 'run', 'golden', 'test', 'generate', 'bench']) expect(r.stdout).toMatch(new RegExp(`deeploy-sim ${c}\\b`));
  });

  it('no subcommand, or an unknown one, is bad usage: exit 2, one line', () => {
    for (const args of [[], ['frobnicate']]) {
      const r = run(...args);
      expect(r.status).toBe(2);
      expect(r.stderr.trim().split('\n').at(-1)).toMatch(/^deeploy-sim: /);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('bench names an unknown benchmark and lists the known ones', () => {
    const r = run('bench', 'no-such-bench');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/no benchmark matches no-such-bench \(have: .*sim-speed/);
  });
});

const conformance = join(repo, '../shared/conformance/deeploy');

describe('deeploy-sim test arguments', () => {
  it('a folder that is neither a case nor holds cases is bad input, named', () => {
    let r = run('test', join(repo, 'src/llm'));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/src\/llm: no network\.onnx in it or below it/);
    r = run('test', '/nonexistent/case');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/\/nonexistent\/case: not a folder/);
  });

  it.skipIf(!existsSync(conformance))('a folder of cases expands to every case below it, named by its path there', () => {
    const cases = expandCases([join(conformance, 'Kernels/Integer/Add')]);
    expect(cases.map((c) => c.name)).toEqual(['Large', 'MultIO', 'Regular', 'Regular_RQ']);
    expect(expandCases([conformance])).toHaveLength(60);
    expect(expandCases([join(conformance, 'Models/miniMobileNet')])).toEqual([{ dir: join(conformance, 'Models/miniMobileNet'), name: 'miniMobileNet' }]);
  });
});

describe.skipIf(!existsSync(conformance))('deeploy-sim run <build-dir>', () => {
  it('passes the harness output through, with exactly one Runtime line (the network\'s), then the host check', () => {
    const out = join(repo, 'test/.out/cli-run-build');
    const c = run('compile', join(conformance, 'Kernels/Integer/Add/Regular'), '-o', out);
    expect(c.status, c.stderr).toBe(0);
    const r = run('run', out);
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines.filter((l) => l.startsWith('Runtime:'))).toHaveLength(1);
    expect(lines).toContain('Errors: 0 out of 125');
    expect(lines.some((l) => /^Total: \d+ cycles \(whole program\)$/.test(l))).toBe(true);
    expect(lines.at(-1)).toBe('Host check: Errors: 0 out of 125');
  });
});
