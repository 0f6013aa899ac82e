import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'control-api',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // One real PostgreSQL and one real Redis for the whole run; each file gets its own database.
    globalSetup: ['test/support/globalSetup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
