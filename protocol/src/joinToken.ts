import { z } from 'zod';
import { IsoDateTime, Role, Uuid } from './common.ts';

/**
 * A join token is a JWS in compact form (header.payload.signature, RFC 7515)
 * whose payload is a JWT claims set. The header names the token's type (so
 * that no other JWT signed with the same key passes for a join link) and the
 * key id (`kid`), so that the server can sign with a new key while it still
 * accepts links signed with the previous ones.
 */
export const JOIN_TOKEN_TYPE = 'amphi-join+jwt';

/** What a join token grants: one role, in one event (and one classroom or speaker). */
export const JoinTokenClaims = z.strictObject({
  /** Token id: what logs and revocations name (never the token itself). */
  jti: Uuid,
  role: Role,
  eventId: Uuid,
  classroomId: Uuid.nullable(),
  speakerId: Uuid.nullable(),
  /** Display name: the moderator's name; speakers and classrooms are named from the catalogue. */
  name: z.string().max(200),
  /** Issued at and expiry, in seconds since the epoch. */
  iat: z.number().int(),
  exp: z.number().int(),
});
export type JoinTokenClaims = z.infer<typeof JoinTokenClaims>;

export const JoinLinkParams = z.strictObject({ eventId: Uuid, tokenId: Uuid });
export type JoinLinkParams = z.infer<typeof JoinLinkParams>;

/** A revoked join link: it admits nobody any more, and its open sockets were closed. */
export const JoinLinkRevocation = z.object({
  tokenId: Uuid,
  eventId: Uuid,
  /** When it was first revoked (revoking again changes nothing). */
  revokedAt: IsoDateTime,
});
export type JoinLinkRevocation = z.infer<typeof JoinLinkRevocation>;
