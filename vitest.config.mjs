import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // The e2e suite runs here too; without a fluent-bit binary its tests are
    // reported as skipped, with the reason.
    include: ['host-test/test/**/*.test.mjs', 'host-test/e2e/**/*.e2e.test.mjs'],
    testTimeout: 60000,
    hookTimeout: 120000,
    // After each file: no process it started may still run (host-test/children.mjs).
    setupFiles: ['host-test/no-leftover-processes.setup.mjs'],
  },
});
