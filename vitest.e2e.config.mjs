// `npm run test:e2e`: only the end-to-end suite against a real Fluent Bit
// (FLUENT_BIT_BIN or PATH; flb-wamrc from FLB_WAMRC_BIN, PATH or beside it).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['host-test/e2e/**/*.e2e.test.mjs'],
    testTimeout: 180000,
    hookTimeout: 120000,
    // After each file: no process it started may still run (host-test/children.mjs).
    setupFiles: ['host-test/no-leftover-processes.setup.mjs'],
  },
});
