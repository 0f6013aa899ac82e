import { JOIN_TOKEN_TYPE } from '@amphi/protocol';
import { decodeJwt, decodeProtectedHeader, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { AppError } from '../errors.ts';
import { JoinTokens, keyIdOf } from './JoinTokens.ts';

const secret = 'unit-test-secret-unit-test-secret-0123';
const older = 'unit-test-older-secret-unit-test-older-4567';
const grant = {
  role: 'classroom' as const,
  eventId: '0b8e0e4e-6a07-4f7f-9a55-0d9b7f1c2a01',
  classroomId: '0b8e0e4e-6a07-4f7f-9a55-0d9b7f1c2a02',
  speakerId: null,
  name: '4e B',
};

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (err) {
    return err instanceof AppError ? err.code : `not an AppError: ${String(err)}`;
  }
  return undefined;
}

describe('JoinTokens', () => {
  it('round-trips a grant scoped to one event and one classroom, as a JWS naming its key', async () => {
    const tokens = new JoinTokens(secret);
    const { token, claims } = await tokens.issue(grant, 600);
    expect(await tokens.verify(token)).toEqual(claims);
    expect(claims).toMatchObject(grant);
    expect(claims.exp - claims.iat).toBe(600);
    expect(decodeProtectedHeader(token)).toEqual({
      alg: 'HS256',
      typ: JOIN_TOKEN_TYPE,
      kid: keyIdOf(secret),
    });
    expect(decodeJwt(token)).toEqual(claims);
    // The key id says which key, not the key.
    expect(keyIdOf(secret)).not.toContain(secret.slice(0, 8));
    expect(keyIdOf(secret)).not.toBe(keyIdOf(older));
  });

  it('verifies with a previous key after a rotation; a key it was never given is TOKEN_INVALID', async () => {
    const before = new JoinTokens(older);
    const { token: oldLink } = await before.issue(grant, 600);
    const rotated = new JoinTokens({ current: secret, previous: [older] });
    expect((await rotated.verify(oldLink)).classroomId).toBe(grant.classroomId);
    // New links are signed with the current key only.
    const { token: newLink } = await rotated.issue(grant, 600);
    expect(decodeProtectedHeader(newLink).kid).toBe(keyIdOf(secret));
    expect(await codeOf(before.verify(newLink))).toBe('TOKEN_INVALID');
    // Once the old key is dropped, its links stop working.
    expect(await codeOf(new JoinTokens(secret).verify(oldLink))).toBe('TOKEN_INVALID');
  });

  it('refuses a token whose kid is unknown, or missing, even if the signature is right', async () => {
    const tokens = new JoinTokens(secret);
    const key = new TextEncoder().encode(secret);
    const now = Math.floor(Date.now() / 1000);
    const claims = { jti: crypto.randomUUID(), ...grant, iat: now, exp: now + 600 };
    const unknownKid = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', typ: JOIN_TOKEN_TYPE, kid: 'not-a-key-we-have' })
      .sign(key);
    expect(await codeOf(tokens.verify(unknownKid))).toBe('TOKEN_INVALID');
    const noKid = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', typ: JOIN_TOKEN_TYPE })
      .sign(key);
    expect(await codeOf(tokens.verify(noKid))).toBe('TOKEN_INVALID');
    // Another JWT signed with the same key is not a join link.
    const otherType = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid: keyIdOf(secret) })
      .sign(key);
    expect(await codeOf(tokens.verify(otherType))).toBe('TOKEN_INVALID');
    const good = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', typ: JOIN_TOKEN_TYPE, kid: keyIdOf(secret) })
      .sign(key);
    expect((await tokens.verify(good)).jti).toBe(claims.jti);
  });

  it('tolerates 30 s of clock difference, no more', async () => {
    let now = 1_000_000_000_000;
    const tokens = new JoinTokens(secret, () => now);
    const { token, claims } = await tokens.issue(grant, 60);
    now = claims.exp * 1000 + 10_000; // expired 10 s ago
    expect((await tokens.verify(token)).role).toBe('classroom');
    expect(tokens.expired(claims)).toBe(false);
    now = claims.exp * 1000 + 60_000; // expired 60 s ago
    expect(await codeOf(tokens.verify(token))).toBe('TOKEN_EXPIRED');
    expect(tokens.expired(claims)).toBe(true);
  });

  it('accepts an expired token for a while only when asked to', async () => {
    let now = 1_000_000_000_000;
    const tokens = new JoinTokens(secret, () => now);
    const { token, claims } = await tokens.issue(grant, 60);
    const readable = () => tokens.verify(token, { expiredUpToSeconds: 3600 });
    expect(tokens.expired(await readable())).toBe(false);
    now = claims.exp * 1000 + 3_599_000;
    expect(await codeOf(tokens.verify(token))).toBe('TOKEN_EXPIRED');
    expect(tokens.expired(await readable())).toBe(true);
    now = claims.exp * 1000 + 3_600_000 + 30_000;
    expect(await codeOf(readable())).toBe('TOKEN_EXPIRED');
  });

  it('refuses garbage, foreign signatures, edited payloads and oversize tokens', async () => {
    const tokens = new JoinTokens(secret);
    const { token } = await tokens.issue(grant, 600);
    expect(await codeOf(tokens.verify('garbage'))).toBe('TOKEN_INVALID');
    expect(await codeOf(tokens.verify(`${token}x`))).toBe('TOKEN_INVALID');
    expect(await codeOf(tokens.verify(`${token}${'A'.repeat(5000)}`))).toBe('TOKEN_INVALID');
    // Signed with a key of the same id would need the secret; a foreign secret has another id.
    const foreign = (await new JoinTokens(`${secret}-other`).issue(grant, 600)).token;
    expect(await codeOf(tokens.verify(foreign))).toBe('TOKEN_INVALID');
    // A classroom link edited into a moderator's: the signature no longer matches.
    const [header, , signature] = token.split('.');
    const edited = Buffer.from(
      JSON.stringify({ ...decodeJwt(token), role: 'moderator', classroomId: null }),
    ).toString('base64url');
    expect(await codeOf(tokens.verify(`${header}.${edited}.${signature}`))).toBe('TOKEN_INVALID');
    // The unsigned form ("alg": "none") is never accepted.
    const none = Buffer.from(JSON.stringify({ alg: 'none', typ: JOIN_TOKEN_TYPE })).toString(
      'base64url',
    );
    expect(await codeOf(tokens.verify(`${none}.${token.split('.')[1]}.`))).toBe('TOKEN_INVALID');
  });

  it('needs long secrets', () => {
    expect(() => new JoinTokens('short')).toThrow(/32 characters/);
    expect(() => new JoinTokens({ current: secret, previous: ['short'] })).toThrow(/32 characters/);
  });
});
