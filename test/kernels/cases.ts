// Case builders shared by the kernel tests and bench/kernels-gemm.ts.
import { type Buf, type CType, DK_TYPE, type KCase, RANGE } from './harness.js';
import { type GemmSpec, type Rng, type Rq, gemm, levels, randArray, randInt } from './model.js';

export function rqInit(rq: Rq | undefined, mulS: number[], addS: number[]): string {
  if (!rq) return '.rq = { .mul = 0 }';
  const pad = (a: number[]) => [...a, 0, 0, 0, 0, 0, 0].slice(0, 6).join(', ');
  return `.rq = { .mul = mul, .add = add, .mul_s = { ${pad(mulS)} }, .add_s = { ${pad(addS)} }, .log2d = ${rq.log2d}, .in_off = ${rq.inOff}, .out_off = ${rq.outOff}, .lo = ${rq.lo}, .hi = ${rq.hi} }`;
}

/** Random requant parameters: n mul/add values, shift chosen so that outputs spread over and
 * beyond the output range (saturation on both sides). */
export function randRq(r: Rng, nMul: number, nAdd: number, accScale: number, outType: 'int8_t' | 'uint8_t' | 'int32_t' = 'int8_t'): Rq {
  const log2d = randInt(r, 8, 16);
  // acc * mul / 2^log2d ~ +-200 for typical |acc| ~ accScale
  const mulMax = Math.max(1, Math.round((300 * 2 ** log2d) / Math.max(1, accScale)));
  const mul = randArray(r, nMul, 1, Math.min(mulMax, 2 ** 20));
  const add = randArray(r, nAdd, -(2 ** log2d) * 40, 2 ** log2d * 40);
  const [lo, hi] = outType === 'uint8_t' ? levels(256, false) : outType === 'int8_t' ? levels(256, true) : [-(2 ** 31), 2 ** 31 - 1];
  return { mul, add, log2d, inOff: 0, outOff: 0, lo, hi };
}

export interface GemmCaseOpts {
  M: number;
  N: number;
  K: number;
  aType?: CType;
  bType?: CType;
  yType?: CType;
  transA?: boolean;
  transB?: boolean;
  batch?: [number, number];
  /** broadcast A or B over batch dim 0 / 1 */
  aBcast?: [boolean, boolean];
  bBcast?: [boolean, boolean];
  bias?: 'none' | 'full' | 'row' | 'col';
  alpha?: number;
  beta?: number;
  aOff?: number;
  bOff?: number;
  /** requant granularity; undefined = no requant */
  rq?: 'tensor' | 'row' | 'col' | 'batch1' | 'full';
  /** override the random data range */
  aRange?: [number, number];
  bRange?: [number, number];
  /** custom rq (edge cases) */
  rqFixed?: Rq;
  /** B in L2 (read in place); stage: give the kernel an L1 scratch (transposition of a plain B) */
  bL2?: boolean;
  /** true: scratch of max(B bytes, 8*K*N); 'slices': too small for all of B (K*N - 1 bytes), per-core slices */
  stage?: boolean | 'slices';
}

export function gemmCase(r: Rng, name: string, o: GemmCaseOpts): KCase {
  const aType = o.aType ?? 'int8_t';
  const bType = o.bType ?? 'int8_t';
  const yType = o.yType ?? (o.rq ? 'int8_t' : 'int32_t');
  const batch = o.batch ?? [1, 1];
  const { M, N, K } = o;
  const aB = o.aBcast ?? [false, false];
  const bB = o.bBcast ?? [false, false];
  const aBs: [number, number] = [aB[0] ? 0 : (aB[1] ? 1 : batch[1]) * M * K, aB[1] ? 0 : M * K];
  const bBs: [number, number] = [bB[0] ? 0 : (bB[1] ? 1 : batch[1]) * K * N, bB[1] ? 0 : K * N];
  const aCount = (aB[0] ? 1 : batch[0]) * (aB[1] ? 1 : batch[1]) * M * K;
  const bCount = (bB[0] ? 1 : batch[0]) * (bB[1] ? 1 : batch[1]) * K * N;
  const ar = o.aRange ?? (RANGE[aType as keyof typeof RANGE] ?? [-128, 127]);
  const br = o.bRange ?? (RANGE[bType as keyof typeof RANGE] ?? [-128, 127]);
  const A = randArray(r, aCount, ar[0], ar[1]);
  const B = randArray(r, bCount, br[0], br[1]);
  const bias = o.bias ?? 'none';
  let C: number[] | null = null;
  let cRs = 0;
  let cCs = 0;
  if (bias === 'full') {
    C = randArray(r, M * N, -5000, 5000);
    cRs = N;
    cCs = 1;
  } else if (bias === 'row') {
    C = randArray(r, M, -5000, 5000);
    cRs = 1;
  } else if (bias === 'col') {
    C = randArray(r, N, -5000, 5000);
    cCs = 1;
  }
  const accScale = Math.sqrt(K) * Math.max(Math.abs(ar[0]), Math.abs(ar[1])) * Math.max(Math.abs(br[0]), Math.abs(br[1])) * 0.5 * (o.alpha ?? 1);
  let mulS = [0, 0, 0, 0];
  let rq: Rq | undefined;
  if (o.rqFixed) rq = o.rqFixed;
  else if (o.rq) {
    const nq = { tensor: 1, row: M, col: N, batch1: batch[1], full: batch[0] * batch[1] * M * N }[o.rq];
    mulS = { tensor: [0, 0, 0, 0], row: [0, 0, 1, 0], col: [0, 0, 0, 1], batch1: [0, 1, 0, 0], full: [batch[1] * M * N, M * N, N, 1] }[o.rq];
    rq = randRq(r, nq, nq, accScale, yType === 'uint8_t' ? 'uint8_t' : 'int8_t');
  }
  const spec: GemmSpec = {
    M,
    N,
    K,
    batch,
    aBs,
    bBs,
    cBs: [0, 0],
    cRs,
    cCs,
    alpha: o.alpha ?? 1,
    beta: o.beta ?? 1,
    aOff: o.aOff ?? 0,
    bOff: o.bOff ?? 0,
    transA: !!o.transA,
    transB: !!o.transB,
    mulS,
    addS: mulS,
  };
  // A and B as stored: the model indexes the stored layout, so data is generated in it directly
  const Y = gemm(A, B, C, spec, rq);
  const bufs: Buf[] = [
    { name: 'A', type: aType, data: A },
    { name: 'B', type: bType, data: B, level: o.bL2 ? 'l2' : undefined },
    { name: 'Y', type: yType, length: Y.length },
  ];
  if (C) bufs.push({ name: 'C', type: 'int32_t', data: C });
  if (rq) bufs.push({ name: 'mul', type: 'int32_t', data: rq.mul }, { name: 'add', type: 'int32_t', data: rq.add });
  const args = [
    '.A = A',
    '.B = B',
    `.C = ${C ? 'C' : '0'}`,
    '.Y = Y',
    `.M = ${M}, .N = ${N}, .K = ${K}`,
    `.batch = { ${batch[0]}, ${batch[1]} }`,
    `.a_bs = { ${aBs[0]}, ${aBs[1]} }, .b_bs = { ${bBs[0]}, ${bBs[1]} }, .c_bs = { 0, 0 }`,
    `.c_rs = ${cRs}, .c_cs = ${cCs}`,
    `.alpha = ${spec.alpha}, .beta = ${spec.beta}`,
    `.a_off = ${spec.aOff}, .b_off = ${spec.bOff}`,
    `.a_type = ${DK_TYPE[aType]}, .b_type = ${DK_TYPE[bType]}, .y_type = ${DK_TYPE[yType]}`,
    `.trans_a = ${o.transA ? 1 : 0}, .trans_b = ${o.transB ? 1 : 0}`,
    rqInit(rq, mulS, mulS),
    o.stage === 'slices'
      ? `.scratch = scratch, .scratch_bytes = ${K * N - 1}`
      : o.stage
        ? `.scratch = scratch, .scratch_bytes = ${Math.max(B.length * (bType.includes('8') ? 1 : bType.includes('16') ? 2 : 4), 8 * K * N)}`
        : '.scratch = 0',
  ].join(', ');
  const scratch = o.stage ? Math.max(B.length * 4, 8 * K * N) : undefined;
  return { name, kernel: 'dk_gemm', argsType: 'dk_gemm_args_t', bufs, args, checks: [{ buf: 'Y', expected: Y }], scratch };
}
