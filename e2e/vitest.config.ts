import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'e2e',
    include: ['test/**/*.test.ts'],
    // Chromium + the built apps; then the control-api's real PostgreSQL and Redis.
    globalSetup: ['support/globalSetup.ts', '../control-api/test/support/globalSetup.ts'],
    // One browser at a time: real WebRTC on a small machine.
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
});
