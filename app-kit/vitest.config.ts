import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'app-kit', include: ['src/**/*.test.ts'], environment: 'node' },
});
