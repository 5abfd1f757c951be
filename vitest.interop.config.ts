// The LSL interoperability suite (docs/lsl.md §14): drives the real liblsl (LIBLSL=/path/liblsl.so)
// through koffi. Run by `npm run test:lsl`, never by `npm test` (vitest.config.ts includes only
// test/**/*.test.ts outside test/interop/). One file at a time: the files share the host's LSL
// ports (16571–16603), and liblsl's resolvers would see another file's outlets.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/interop/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    fileParallelism: false,
    maxWorkers: 1,
    pool: 'forks',
  },
});
