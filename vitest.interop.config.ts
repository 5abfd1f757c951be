// The LSL interoperability suite (docs/lsl.md §14): drives the real liblsl (LIBLSL=/path/liblsl.so)
// through koffi. Run by `npm run test:lsl`, never by `npm test` (vitest.config.ts includes only
// test/**/*.test.ts outside test/interop/). One file at a time: the files share the host's LSL
// ports (16571–16603), and liblsl's resolvers would see another file's outlets.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * `#shared/…` (package.json "imports") points at dist/shared for Node; tests run the TypeScript
 * sources, so the same modules must come from src/shared (one copy of each class: instanceof).
 */
const sharedFromSources = { find: /^#shared\/(.*)\.js$/, replacement: `${fileURLToPath(new URL('./src/shared/', import.meta.url))}$1.ts` };

export default defineConfig({
  resolve: { alias: [sharedFromSources] },
  test: {
    include: ['test/interop/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    fileParallelism: false,
    maxWorkers: 1,
    pool: 'forks',
  },
});
