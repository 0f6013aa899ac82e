import { defineConfig } from 'vitest/config';

// One root command runs every workspace's tests; each workspace is a vitest project.
export default defineConfig({
  test: {
    projects: ['protocol', 'sdk', 'media-server', 'control-api', 'studio', 'loadtest', 'e2e'],
  },
});
