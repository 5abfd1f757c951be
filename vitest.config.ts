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
    include: ['test/**/*.test.ts'],
    // The LSL interoperability suite needs the real liblsl: `npm run test:lsl` (vitest.interop.config.ts).
    exclude: ['test/interop/**', '**/node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Serial/pty and end-to-end tests spawn real processes; two cores, so keep parallelism modest.
    maxWorkers: 2,
  },
});
