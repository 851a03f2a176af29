import { describe, expect, it } from 'vitest';
import { gemmCase } from './cases.js';
import { type KCase, SKIP_REASON, coreCounts, runCases, runners } from './harness.js';
import { levels, rng } from './model.js';

function cases(): KCase[] {
  const r = rng('gemm');
  const [lo, hi] = levels(256, true);
  return [
    gemmCase(r, 'ss_transB_tensor_odd', { M: 13, N: 9, K: 37, transB: true, rq: 'tensor' }),
    gemmCase(r, 'us_plainB_row', { M: 10, N: 7, K: 48, aType: 'uint8_t', rq: 'row' }),
    gemmCase(r, 'su_transB_col_u8out', { M: 6, N: 11, K: 29, bType: 'uint8_t', transB: true, rq: 'col', yType: 'uint8_t' }),
    gemmCase(r, 'uu_transB_int32', { M: 9, N: 6, K: 64, aType: 'uint8_t', bType: 'uint8_t', transB: true }),
    gemmCase(r, 'uu_plainB_int32', { M: 5, N: 5, K: 19, aType: 'uint8_t', bType: 'uint8_t' }),
    gemmCase(r, 'batch_bcast_perbatch', { M: 7, N: 10, K: 21, batch: [2, 3], bBcast: [true, false], transB: true, rq: 'batch1' }),
    gemmCase(r, 'batch_bcastA', { M: 4, N: 8, K: 8, batch: [3, 1], aBcast: [true, false], rq: 'full' }),
    gemmCase(r, 'gemm_alpha_beta_full', { M: 12, N: 16, K: 24, bias: 'full', alpha: 2, beta: 3, rq: 'row' }),
    gemmCase(r, 'gemm_bias_col_transB', { M: 8, N: 10, K: 123, bias: 'col', transB: true, rq: 'row' }),
    gemmCase(r, 'gemm_bias_row_int32', { M: 3, N: 5, K: 7, bias: 'row', alpha: -1, beta: 2 }),
    gemmCase(r, 'transA_generic', { M: 6, N: 5, K: 9, transA: true, transB: true, rq: 'tensor' }),
    gemmCase(r, 'i16_i32_generic', { M: 5, N: 4, K: 6, aType: 'int16_t', bType: 'int32_t', aRange: [-3000, 3000], bRange: [-3000, 3000] }),
    gemmCase(r, 'offsets_generic', { M: 4, N: 6, K: 10, aOff: -3, bOff: 5, rq: 'tensor' }),
    gemmCase(r, 'decode_M1', { M: 1, N: 64, K: 64, transB: true, rq: 'tensor' }),
    gemmCase(r, 'K3_N1', { M: 5, N: 1, K: 3, transB: true }),
    gemmCase(r, 'K4', { M: 4, N: 2, K: 4, transB: true }),
    gemmCase(r, 'saturate_both', { M: 8, N: 8, K: 16, transB: true, rqFixed: { mul: [1000], add: [0], log2d: 4, inOff: 0, outOff: 0, lo, hi } }),
    // acc*1 + 0 with log2d 1: every odd accumulator is an exact .5 (round half up, also for negatives)
    gemmCase(r, 'half_rounding', { M: 6, N: 6, K: 5, transB: true, aRange: [-3, 3], bRange: [-3, 3], rqFixed: { mul: [1], add: [0], log2d: 1, inOff: 0, outOff: 0, lo, hi } }),
    gemmCase(r, 'perf_shape_64x256x64', { M: 64, N: 64, K: 256, transB: true, rq: 'tensor' }),
    gemmCase(r, 'uu_4x4_col_rq_Krem', { M: 8, N: 12, K: 66, aType: 'uint8_t', bType: 'uint8_t', transB: true, rq: 'col', yType: 'uint8_t' }),
    gemmCase(r, 'su_4x4_row_rq_inoff', { M: 12, N: 16, K: 20, bType: 'uint8_t', transB: true, rq: 'row' }),
    gemmCase(r, 'B_in_L2_direct', { M: 9, N: 13, K: 40, transB: true, bL2: true, rq: 'tensor' }),
    gemmCase(r, 'B_in_L2_read_in_place', { M: 16, N: 20, K: 64, transB: true, bL2: true, stage: true, rq: 'col' }),
    gemmCase(r, 'B_in_L2_plainB_i16_scratch', { M: 5, N: 7, K: 9, bType: 'int16_t', bRange: [-500, 500], bL2: true, stage: true }),
    gemmCase(r, 'plainB_transposed_in_scratch', { M: 13, N: 10, K: 37, stage: true, rq: 'row' }),
    gemmCase(r, 'plainB_per_core_slices', { M: 12, N: 9, K: 20, stage: 'slices', rq: 'tensor' }),
    gemmCase(r, 'plainB_batched_scratch_us', { M: 9, N: 4, K: 24, batch: [2, 3], aType: 'uint8_t', stage: true, rq: 'batch1' }),
    gemmCase(r, 'decode_M1_col_rq32', { M: 1, N: 30, K: 44, transB: true, rq: 'col', yType: 'int32_t' }),
    gemmCase(r, 'decode_M3_Krem_col', { M: 3, N: 23, K: 42, transB: true, rq: 'col' }),
    gemmCase(r, 'decode_M1_N3', { M: 1, N: 3, K: 20, transB: true, rq: 'tensor' }),
    gemmCase(r, 'decode_M1_B_in_L2', { M: 1, N: 37, K: 64, transB: true, bL2: true, rq: 'col' }),
    gemmCase(r, 'decode_M1_B_in_L2_scratch', { M: 1, N: 52, K: 172, transB: true, bL2: true, stage: true, rq: 'col' }),
    // decode GEMV with a bias (the decoder's linear layers): per-column bias, beta != 1, N % 4 tail, K odd, int32 out
    gemmCase(r, 'decode_M1_bias_col_rq', { M: 1, N: 70, K: 64, bias: 'col', beta: 3, transB: true, rq: 'tensor' }),
    gemmCase(r, 'decode_M1_bias_Kodd_tail', { M: 1, N: 13, K: 37, bias: 'col', transB: true, rq: 'col', aType: 'uint8_t' }),
    gemmCase(r, 'decode_M1_bias_int32', { M: 1, N: 9, K: 21, bias: 'full', beta: -2, transB: true }),
    // the fused-requant 4x5 / 4x4 micro-kernels (B transposed, per-tensor requant, K % 4 == 0): every
    // signedness, uint8 output ([0, hi] clamp), per-batch parameters, the 5/4 column split, K = 8
    // (one peeled step + one loop step), M % 4 rows and N % 4 != 0 on the other paths
    gemmCase(r, 'fused_us_u8out_5x4_split', { M: 8, N: 28, K: 20, aType: 'uint8_t', transB: true, rq: 'tensor', yType: 'uint8_t' }),
    gemmCase(r, 'fused_su_perbatch', { M: 4, N: 20, K: 12, bType: 'uint8_t', batch: [1, 3], transB: true, rq: 'batch1' }),
    gemmCase(r, 'fused_uu_K8_quads', { M: 12, N: 12, K: 8, aType: 'uint8_t', bType: 'uint8_t', transB: true, rq: 'tensor', yType: 'uint8_t' }),
    gemmCase(r, 'fused_ss_Medge', { M: 6, N: 40, K: 36, transB: true, rq: 'tensor' }),
    gemmCase(r, 'fused_ss_Nodd_fallback', { M: 8, N: 26, K: 16, transB: true, rq: 'tensor' }),
    // a core's consecutive row blocks in one call (the 4x5 rows' set-up once): an M % 4 block at the
    // end (whole blocks fused, the rest per 4 rows), K / 4 even (no extra step after the loop), a
    // width that the 5/4 split cannot cover (per row block), per-batch parameters across batches
    gemmCase(r, 'fused_rows_merged_Mrem_Keven', { M: 38, N: 29, K: 24, transB: true, rq: 'tensor' }),
    gemmCase(r, 'fused_rows_N7_uu', { M: 36, N: 7, K: 16, aType: 'uint8_t', bType: 'uint8_t', transB: true, rq: 'tensor', yType: 'uint8_t' }),
    gemmCase(r, 'fused_rows_batched', { M: 16, N: 15, K: 32, batch: [2, 1], transB: true, rq: 'batch1' }),
    // batched M = 1 (decode attention): q . K^T (K = 4, N = 65), p . V (B as K x N, K = 65, N = 4),
    // N < 4, N % 4 tails with B as K x N (misaligned rows), per-batch requant, broadcast B
    gemmCase(r, 'bgemv_qk_transB', { M: 1, N: 65, K: 4, batch: [1, 16], transB: true, rq: 'tensor' }),
    gemmCase(r, 'bgemv_pv_plainB', { M: 1, N: 4, K: 65, batch: [1, 16], aType: 'uint8_t', rq: 'batch1' }),
    gemmCase(r, 'bgemv_N3_plainB', { M: 1, N: 3, K: 7, batch: [2, 3], rq: 'col' }),
    gemmCase(r, 'bgemv_N6_plainB_tail', { M: 1, N: 6, K: 13, batch: [3, 1], bType: 'uint8_t', rq: 'tensor', yType: 'uint8_t' }),
    gemmCase(r, 'bgemv_uu_bcastB_int32', { M: 1, N: 10, K: 9, batch: [2, 2], bBcast: [true, false], aType: 'uint8_t', bType: 'uint8_t', transB: true }),
    gemmCase(r, 'in_out_offsets', { M: 4, N: 4, K: 8, transB: true, rqFixed: { mul: [3], add: [7], log2d: 3, inOff: -5, outOff: 2, lo: -100, hi: 100 } }),
  ];
}

describe.skipIf(!!SKIP_REASON)('dk_gemm', () => {
  const cs = cases();
  for (const runner of runners()) {
    for (const cores of coreCounts(runner)) {
      it(`${runner}, ${cores} core(s): ${cs.length} cases bit-exact`, async () => {
        const res = await runCases('gemm', cs, { runner, cores });
        expect(res.cases.map((c) => c.name), res.stdout).toEqual(cs.map((c) => c.name));
        for (const c of res.cases) expect(c.errors, `${c.name}\n${res.stdout}`).toBe(0);
        expect(res.errors, res.stdout).toBe(0);
        expect(res.total, res.stdout).toBeGreaterThan(1000);
      }, 300_000);
    }
  }
});

