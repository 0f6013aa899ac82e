import { Role } from '@amphi/protocol';

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

/**
 * The role a join token claims (`amj1.<base64url JSON>.<signature>`). Unverified:
 * it only picks the first screen; the server's `join` answer is authoritative.
 */
export function roleInToken(token: string): Role | null {
  const payload = token.split('.')[1];
  if (!payload) return null;
  try {
    const base64 = payload.replace(/-/g, '+').replace(/_/g, '/');
    const padded = base64 + '='.repeat((4 - (base64.length % 4)) % 4);
    const bytes = Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
    const json: unknown = JSON.parse(new TextDecoder().decode(bytes));
    const role = Role.safeParse((json as { role?: unknown } | null)?.role);
    return role.success ? role.data : null;
  } catch {
    return null;
  }
}
