import { defineConfig } from 'vitest/config';

// One root command runs every workspace's tests; each workspace is a vitest project.
// media-server/test/mediasoup-suite runs mediasoup's own test suite against our worker build.
export default defineConfig({
  test: {
    projects: [
      'scripts',
      'protocol',
      'sdk',
      'app-kit',
      'media-server',
      'media-server/test/mediasoup-suite',
      'control-api',
      'studio',
      'viewer',
      'portal',
      'console',
      'loadtest',
      'e2e',
    ],
  },
});
