import { JOIN_TOKEN_TYPE, type JoinTokenClaims, Role } from '@amphi/protocol';
import { decodeJwt, decodeProtectedHeader } from 'jose';

export interface JoinParams {
  eventId: string;
  token: string;
  /** Role read from the token's payload, before the server confirms it at `join`. */
  claimedRole: Role | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Reads `?event=…&token=…` from a join link (studio or viewer); null when either is missing or malformed. */
export function parseJoinLink(search: string): JoinParams | null {
  const params = new URLSearchParams(search);
  const eventId = params.get('event');
  const token = params.get('token');
  if (!eventId || !UUID.test(eventId) || !token) return null;
  return { eventId, token, claimedRole: roleInToken(token) };
}

/** What a join token says of itself, as the client may read it. */
export interface JoinTokenInfo {
  role: Role;
  eventId: string;
  /** When the link stops admitting (ms since the epoch). */
  expiresAt: number;
}

/**
 * What a join token claims (a JWS whose header says `typ: amphi-join+jwt`).
 * Unverified: the client has no key; it only picks the first screen or says
 * that a link is old. The server's `join` answer is authoritative. Null for
 * anything that is not a join token.
 */
export function joinTokenInfo(token: string): JoinTokenInfo | null {
  try {
    if (decodeProtectedHeader(token).typ !== JOIN_TOKEN_TYPE) return null;
    const claims = decodeJwt(token) as Partial<Record<keyof JoinTokenClaims, unknown>>;
    const role = Role.safeParse(claims.role);
    if (!role.success || typeof claims.eventId !== 'string' || typeof claims.exp !== 'number') {
      return null;
    }
    return { role: role.data, eventId: claims.eventId, expiresAt: claims.exp * 1000 };
  } catch {
    return null;
  }
}

/** The role a join token claims; see `joinTokenInfo`. */
export function roleInToken(token: string): Role | null {
  return joinTokenInfo(token)?.role ?? null;
}
