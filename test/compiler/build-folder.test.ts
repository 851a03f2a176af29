// The build folder of contracts.md, on a small hand-made network: files, manifest, emitted C, the
// two golden checks (program + host readback) and what happens when they disagree.
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { compileToFolder, type CompileResult } from '../../src/compiler/build-folder.js';
import { goldenHook, runBuild } from '../../src/compiler/golden-check.js';
import { l1Minimum } from '../../src/compiler/plan.js';
import { Cluster } from '../../src/sim/cluster/cluster.js';
import type { Tensor } from '../../src/frontend/ir.js';
import { readNpz, writeNpz } from '../../src/frontend/npy.js';
import { saveOnnx } from '../../src/frontend/onnx.js';
import { OUT } from './cases.js';
import { linearGraph } from './helpers.js';

const dir = join(OUT, 'build-folder');
let r: CompileResult;

beforeAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'case'), { recursive: true });
  saveOnnx(join(dir, 'case', 'network.onnx'), linearGraph());
  const x: Tensor = { name: 'x', dtype: 'int8', shape: [1, 4, 8], data: Int8Array.from({ length: 32 }, (_, i) => ((i * 37) % 255) - 127) };
  writeNpz(join(dir, 'case', 'inputs.npz'), [x]);
  // no outputs.npz: the golden outputs come from the reference executor
  // the cluster's kernel call (the NPU takes this GEMM by default: test/npu-offload)
  r = await compileToFolder({ network: join(dir, 'case'), outDir: join(dir, 'build'), npu: false });
});

describe('build folder', () => {
  it('is self-contained: moved elsewhere, src/rebuild.sh rebuilds the same code and data from its own copies', () => {
    const moved = join(dir, 'moved');
    rmSync(moved, { recursive: true, force: true });
    cpSync(join(dir, 'build'), moved, { recursive: true });
    for (const d of ['src/runtime/crt0.S', 'src/runtime/siracusa.ld', 'src/runtime/include/dsim.h', 'src/kernels/include/kernels.h', 'src/kernels/gemm.c'])
      expect(existsSync(join(moved, d)), d).toBe(true);
    rmSync(join(moved, 'network.elf'));
    execFileSync('sh', [join(moved, 'src', 'rebuild.sh')], { stdio: 'pipe' });
    // Symbol-table strings may differ (gcc's temporary object names); the loaded bytes may not.
    const image = (elf: string) => {
      execFileSync('riscv64-unknown-elf-objcopy', ['-O', 'binary', '-j', '.text', '-j', '.rodata', '-j', '.data', '-j', '.l1', '-j', '.wmem', elf, `${elf}.bin`]);
      return readFileSync(`${elf}.bin`);
    };
    expect(image(join(moved, 'network.elf')).equals(image(join(dir, 'build', 'network.elf')))).toBe(true);
    expect(readFileSync(join(moved, 'src', 'rebuild.sh'), 'utf8')).not.toContain(dir);
  });

  it('holds manifest, sources, ELF and golden vectors', () => {
    for (const f of ['manifest.json', 'network.elf', 'golden/inputs.npz', 'golden/outputs.npz', 'src/network.c', 'src/network.h', 'src/main.c', 'src/testio.c'])
      expect(existsSync(join(dir, 'build', f)), f).toBe(true);
    expect(r.manifest.golden.source).toMatch(/reference executor/);
  });

  it('the manifest lists layers in order with kernel, estimate and every buffer with a linked address', () => {
    const m = JSON.parse(readFileSync(join(dir, 'build', 'manifest.json'), 'utf8')) as CompileResult['manifest'];
    expect(m.platform).toMatchObject({ name: 'siracusa', cores: 8 });
    expect(m.layers.map((l) => [l.name, l.op, l.kernel])).toEqual([['mm', 'RQMatMul', 'dk_gemm']]);
    expect(m.layers[0]!.from).toEqual(['mm', 'bias_add', 'rq']);
    expect(m.layers[0]!.estimatedCycles).toBeGreaterThan(0);
    const acts = m.buffers.filter((b) => b.kind !== 'constant');
    expect(acts.map((b) => [b.name, b.level, b.size])).toEqual([
      ['x', 'L1', 32],
      ['requantshift_2_out', 'L1', 24],
    ]);
    for (const b of acts) expect(b.address).toBeGreaterThanOrEqual(0x10000000);
    expect(m.outputs[0]!.address).toBe(acts[1]!.address);
    expect(m.memory.verified).toBe(true);
  });

  it('emits one readable function per layer named after its ONNX node, with placement comments', () => {
    const c = readFileSync(join(dir, 'build', 'src', 'network.c'), 'utf8');
    expect(c).toContain('static void layer_mm(unsigned cores)');
    expect(c).toContain('dk_gemm(&layer_mm_args);');
    expect(c).toContain('dsim_fork(cores, network_body, 0);');
    expect(c).toMatch(/\* Layer 0: mm \+ bias_add \+ rq/);
    expect(c).toMatch(/in {2}x: int8 \[1,4,8\] {2}L1\+0x[0-9a-f]+ 32 B, live -1\.\.0/);
    expect(c).toContain('void RunNetwork(unsigned cores)');
    expect(readFileSync(join(dir, 'build', 'src', 'main.c'), 'utf8')).toContain('printf("Errors: %u out of %u\\n"');
  });

  it('runs bit-exact: the program and the host readback both find 0 errors', () => {
    const run = runBuild(join(dir, 'build'));
    expect(run.program).toMatchObject({ errors: 0, total: 24 });
    expect(run.host).toMatchObject({ errors: 0, total: 24 });
    expect(run.passed).toBe(true);
  });

  it('--wmem puts the constants that do not fit L1 in the weight memory and still runs bit-exact', async () => {
    // an L1 of 144 B for the network: the weights stay in the weight memory and come to L1 by DMA, per tile
    const w = await compileToFolder({ network: join(dir, 'case'), outDir: join(dir, 'wmem'), wmem: true, l1: l1Minimum() + 144 });
    const consts = w.manifest.buffers.filter((b) => b.kind === 'constant' && b.address !== null && b.level !== 'L1');
    expect(consts.length).toBeGreaterThan(0);
    for (const b of consts) {
      expect(b.level).toBe('WMEM');
      expect(b.address!).toBeGreaterThanOrEqual(0x10800000);
    }
    expect(readFileSync(join(dir, 'wmem', 'src', 'network.c'), 'utf8')).toContain('DSIM_WMEM');
    expect(runBuild(join(dir, 'wmem')).passed).toBe(true);
  });

  it('the host check is independent: a tampered golden file fails it while the program passes', () => {
    const tampered = join(dir, 'tampered');
    mkdirSync(join(tampered, 'golden'), { recursive: true });
    for (const f of ['manifest.json', 'network.elf', 'golden/inputs.npz']) copyFileSync(join(dir, 'build', f), join(tampered, f));
    const [out] = readNpz(join(dir, 'build', 'golden', 'outputs.npz'));
    const data = Int8Array.from(out!.data as Int8Array);
    data[5] = data[5] === 0 ? 1 : 0;
    writeNpz(join(tampered, 'golden', 'outputs.npz'), [{ ...out!, data }]);
    const run = runBuild(tampered);
    expect(run.program.errors).toBe(0);
    expect(run.host.errors).toBe(1);
    expect(run.host.mismatches[0]).toMatchObject({ index: 5 });
    expect(run.passed).toBe(false);
    // the hook of `deeploy-sim run build/`
    const cl = new Cluster(join(tampered, 'network.elf'));
    cl.run();
    expect(goldenHook(tampered, (a, n) => cl.memory.readBytes(a, n))).toEqual({ ok: false });
  });
});
