import { defineConfig } from 'vitest/config';

// Simulator and compiler tests build C with riscv-gcc and run long programs: generous timeouts,
// and at most two workers because CI machines have two cores.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 600_000,
    hookTimeout: 600_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
