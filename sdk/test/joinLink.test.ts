import { JOIN_TOKEN_TYPE } from '@amphi/protocol';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { joinTokenInfo, parseJoinLink, roleInToken } from '../src/joinLink.ts';

const eventId = '6f1c1d5e-1a4b-4c1d-9e3f-0a1b2c3d4e5f';
const claims = {
  jti: '0b8e0e4e-6a07-4f7f-9a55-0d9b7f1c2a09',
  role: 'moderator',
  eventId,
  classroomId: null,
  speakerId: null,
  name: 'Nadia',
  iat: 1_900_000_000,
  exp: 1_900_003_600,
};
/** A join token as the server signs one (the client never sees the key). */
const sign = (typ: string, body: Record<string, unknown> = claims) =>
  new SignJWT(body)
    .setProtectedHeader({ alg: 'HS256', typ, kid: 'k1' })
    .sign(new TextEncoder().encode('any-key-the-client-never-sees-0123456789'));

describe('join link', () => {
  it('reads the event, the token and the role, event and expiry it claims', async () => {
    const token = await sign(JOIN_TOKEN_TYPE);
    const link = parseJoinLink(`?event=${eventId}&token=${encodeURIComponent(token)}`);
    expect(link).toEqual({ eventId, token, claimedRole: 'moderator' });
    expect(joinTokenInfo(token)).toEqual({
      role: 'moderator',
      eventId,
      expiresAt: 1_900_003_600_000,
    });
  });

  it('claims nothing for what is not a join token', async () => {
    expect(roleInToken('garbage')).toBeNull();
    expect(roleInToken('a.b.c')).toBeNull();
    // Another kind of JWT, or a join token with a role that does not exist.
    expect(roleInToken(await sign('JWT'))).toBeNull();
    expect(roleInToken(await sign(JOIN_TOKEN_TYPE, { ...claims, role: 'admin' }))).toBeNull();
    expect(parseJoinLink('?event=nope&token=x')).toBeNull();
    expect(parseJoinLink(`?event=${eventId}`)).toBeNull();
  });
});
