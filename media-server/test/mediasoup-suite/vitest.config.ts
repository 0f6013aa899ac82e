// mediasoup's own Node test suite (shipped compiled in the npm package), run in
// place under vitest against the worker binary mediasoup resolves: Amphi's
// custom build, linked at node_modules/mediasoup/worker/out/Release/mediasoup-worker
// by scripts/mediasoup-worker.mjs, or MEDIASOUP_WORKER_BIN when set.
//
// The tests are jest-style (globals `test`, `expect`, `beforeEach`, `afterEach`,
// `jest.fn()`): vitest's globals cover all but `jest`, which setup.ts aliases to `vi`.
import { defineProject } from 'vitest/config';
import { mediasoupTestDir } from './paths.ts';

export default defineProject({
  test: {
    name: 'mediasoup-suite',
    globals: true,
    dir: mediasoupTestDir,
    include: ['test-*.js'],
    // The files live under node_modules, which vitest excludes by default.
    exclude: [],
    globalSetup: ['globalSetup.ts'],
    setupFiles: ['setup.ts'],
    // The suite mostly waits (each test starts a worker, and a worker sleeps 200 ms
    // on exit so its last messages reach Node): a few files at once cut its wall
    // time without starving the 2-core machine. Its own group, after every other
    // project (e2e is group 1), so these workers share no time or ports with theirs.
    maxWorkers: 4,
    sequence: { groupOrder: 2 },
    // jest's default; tests that need another one pass it themselves.
    testTimeout: 5_000,
    hookTimeout: 10_000,
  },
});
