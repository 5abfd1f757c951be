import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The LSL interoperability suite needs the real liblsl: `npm run test:lsl` (vitest.interop.config.ts).
    exclude: ['test/interop/**', '**/node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Serial/pty and end-to-end tests spawn real processes; two cores, so keep parallelism modest.
    maxWorkers: 2,
  },
});
