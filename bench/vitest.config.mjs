// The benchmark helpers' own tests (plain .mjs, outside the main suite's src/ and test/):
// npx vitest run --config bench/vitest.config.mjs
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['bench/**/*.test.mjs'],
    pool: 'forks',
    testTimeout: 60_000,
  },
});
