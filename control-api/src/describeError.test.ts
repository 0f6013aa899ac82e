import { describe, expect, it } from 'vitest';
import { describeError } from './describeError.ts';

describe('describeError: what a failed start prints', () => {
  it('says a promise rejected with nothing, instead of failing itself', () => {
    expect(describeError(undefined)).toBe('rejected with no reason (undefined)');
    expect(describeError(null)).toBe('rejected with no reason (null)');
  });

  it('prints strings and objects as they are', () => {
    expect(describeError('lock file exists')).toBe('lock file exists');
    expect(describeError({ code: 'EADDRINUSE', port: 8080 })).toBe(
      '{"code":"EADDRINUSE","port":8080}',
    );
  });

  it('gives an error its stack and its cause', () => {
    const text = describeError(new Error('PostgreSQL did not start', { cause: 'lock file' }));
    expect(text).toMatch(/^Error: PostgreSQL did not start\n\s+at /);
    expect(text).toMatch(/\nCaused by: lock file$/);
  });
});
