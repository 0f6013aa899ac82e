import { describe, expect, it } from 'vitest';
import { AppError } from '../errors.ts';
import { JoinTokens } from './JoinTokens.ts';

const secret = 'unit-test-secret-unit-test-secret-0123';
const grant = {
  role: 'classroom' as const,
  eventId: '0b8e0e4e-6a07-4f7f-9a55-0d9b7f1c2a01',
  classroomId: '0b8e0e4e-6a07-4f7f-9a55-0d9b7f1c2a02',
  speakerId: null,
  name: '4e B',
};

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof AppError ? err.code : 'not an AppError';
  }
  return undefined;
}

describe('JoinTokens', () => {
  it('round-trips a grant scoped to one event and one classroom', () => {
    const tokens = new JoinTokens(secret);
    const { token, claims } = tokens.issue(grant, 600);
    expect(tokens.verify(token)).toEqual(claims);
    expect(claims).toMatchObject(grant);
    expect(claims.exp - claims.iat).toBe(600);
  });

  it('expires', () => {
    let now = 1_000_000_000_000;
    const tokens = new JoinTokens(secret, () => now);
    const { token } = tokens.issue(grant, 60);
    now += 59_000;
    expect(tokens.verify(token).role).toBe('classroom');
    now += 1_000;
    expect(codeOf(() => tokens.verify(token))).toBe('TOKEN_EXPIRED');
  });

  it('accepts an expired token for a while only when asked to', () => {
    let now = 1_000_000_000_000;
    const tokens = new JoinTokens(secret, () => now);
    const { token } = tokens.issue(grant, 60);
    expect(tokens.expired(tokens.verify(token, { expiredUpToSeconds: 3600 }))).toBe(false);
    now += 60_000 + 3_599_000;
    expect(codeOf(() => tokens.verify(token))).toBe('TOKEN_EXPIRED');
    expect(tokens.expired(tokens.verify(token, { expiredUpToSeconds: 3600 }))).toBe(true);
    now += 1_000;
    expect(codeOf(() => tokens.verify(token, { expiredUpToSeconds: 3600 }))).toBe('TOKEN_EXPIRED');
  });

  it('refuses garbage, foreign signatures and edited payloads', () => {
    const tokens = new JoinTokens(secret);
    const { token } = tokens.issue(grant, 600);
    expect(codeOf(() => tokens.verify('garbage'))).toBe('TOKEN_INVALID');
    expect(codeOf(() => tokens.verify(`${token}x`))).toBe('TOKEN_INVALID');
    const foreign = new JoinTokens(`${secret}-other`).issue(grant, 600).token;
    expect(codeOf(() => tokens.verify(foreign))).toBe('TOKEN_INVALID');
    const [p, , s] = token.split('.');
    const edited = Buffer.from(JSON.stringify({ ...grant, role: 'moderator' })).toString(
      'base64url',
    );
    expect(codeOf(() => tokens.verify(`${p}.${edited}.${s}`))).toBe('TOKEN_INVALID');
  });

  it('needs a long secret', () => {
    expect(() => new JoinTokens('short')).toThrow(/32 characters/);
  });
});
