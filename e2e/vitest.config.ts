import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'e2e',
    include: ['test/**/*.test.ts'],
    // Chromium + the built apps; then the control-api's real PostgreSQL and Redis.
    globalSetup: ['support/globalSetup.ts', '../control-api/test/support/globalSetup.ts'],
    // One browser at a time, and only once every other project is done: the
    // frames and freezes these tests time are real-time media, which the
    // media-server's fan-out tests would starve on a 2-core machine.
    fileParallelism: false,
    sequence: { groupOrder: 1 },
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
});
