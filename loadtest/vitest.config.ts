import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'loadtest', include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'k6/**/*.test.ts'] },
});
