import { createHmac } from 'node:crypto';
import type { IceServer } from '@amphi/protocol';

/** Where the TURN relay listens, and the secret it shares with the control-api. */
export interface TurnSettings {
  /** coturn's `static-auth-secret` (with `use-auth-secret`). */
  secret: string;
  /** e.g. `turn:turn.example.org:3478?transport=udp`, `turns:turn.example.org:443?transport=tcp`. */
  urls: readonly string[];
}

/**
 * The URLs of a relay on `host`: TURN over UDP on `port`, TURN over TLS on
 * `tlsPort` (443 passes the firewalls that only let the web out). The TLS
 * URL names the host the certificate was issued for.
 */
export function turnUrls(host: string, port = 3478, tlsPort = 443): string[] {
  return [`turn:${host}:${port}?transport=udp`, `turns:${host}:${tlsPort}?transport=tcp`];
}

/**
 * A participant's TURN credentials in coturn's shared-secret REST scheme
 * (`use-auth-secret`): the username is `expiry:participantId` (expiry in
 * seconds since the epoch), the password base64(HMAC-SHA1(secret, username)).
 * coturn recomputes the HMAC and refuses a username past its expiry, so
 * nothing is stored and no password lives in the client.
 */
export function turnCredentials(
  settings: TurnSettings,
  participantId: string,
  expiresAtSeconds: number,
): IceServer {
  const username = `${Math.floor(expiresAtSeconds)}:${participantId}`;
  const credential = createHmac('sha1', settings.secret).update(username).digest('base64');
  return { urls: [...settings.urls], username, credential };
}

/** What the join response carries: the relay with credentials that expire with the join token, or nothing. */
export function iceServersFor(
  settings: TurnSettings | null,
  participantId: string,
  expiresAtSeconds: number,
): IceServer[] {
  if (!settings || settings.urls.length === 0) return [];
  return [turnCredentials(settings, participantId, expiresAtSeconds)];
}
