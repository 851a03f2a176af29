// `make demo-c`: build the bare-metal example examples/matmul-int8 and run it on the simulator
// with `deeploy-sim run` (the language-model story is `make demo`, src/cli/demo.ts). Without a
// built CLI it runs the -DNO_XPULP build under qemu-riscv32 instead, and says so.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildProgram, RUNTIME_DIR } from './build.js';

const REPO = resolve(RUNTIME_DIR, '../..');
const CLI = join(REPO, 'dist/src/cli/main.js');

function hasRunCommand(): boolean {
  if (!existsSync(CLI)) return false;
  return spawnSync(process.execPath, [CLI, 'run', '--help'], { stdio: 'ignore' }).status === 0;
}

async function main(): Promise<number> {
  const src = join(REPO, 'examples/matmul-int8/main.c');
  const outDir = join(REPO, 'build/demo');
  if (hasRunCommand()) {
    const { elf } = await buildProgram({ sources: [src], out: join(outDir, 'matmul-int8.elf') });
    console.log(`demo: ${elf} on the simulated siracusa cluster (deeploy-sim run)`);
    return spawnSync(process.execPath, [CLI, 'run', elf], { stdio: 'inherit' }).status ?? 1;
  }
  const { elf } = await buildProgram({ sources: [src], out: join(outDir, 'matmul-int8-noxpulp.elf'), defines: ['NO_XPULP'] });
  console.log(`demo: no \`deeploy-sim run\` yet: ${elf} (plain RV32IMC) under qemu-riscv32`);
  return spawnSync('qemu-riscv32', [elf], { stdio: 'inherit' }).status ?? 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`demo: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = (err as { exitCode?: number }).exitCode ?? 1;
  },
);
