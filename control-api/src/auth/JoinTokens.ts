import { createHash, randomUUID } from 'node:crypto';
import { JOIN_TOKEN_TYPE, JoinTokenClaims } from '@amphi/protocol';
import { errors, jwtVerify, SignJWT } from 'jose';
import { AppError } from '../errors.ts';

/** What a join token grants (its verified claims). */
export const JoinGrant = JoinTokenClaims;
export type JoinGrant = JoinTokenClaims;

export type GrantInput = Pick<JoinGrant, 'role' | 'eventId' | 'classroomId' | 'speakerId' | 'name'>;

/** The signing keys: `current` signs; every one of them verifies (keys rotate without cutting links). */
export interface JoinTokenKeys {
  current: string;
  previous?: readonly string[];
}

/** Clocks of the machines that issue and check a token may differ by this much. */
export const CLOCK_TOLERANCE_SECONDS = 30;
/** Longer is not a link anybody was given: refused before any parsing. */
export const MAX_TOKEN_LENGTH = 4096;

const ALGORITHM = 'HS256';

/**
 * The key id of a secret: derived from it, so that every instance configured
 * with the same secrets agrees with no other setting. A one-way digest: it
 * says which key, not what the key is.
 */
export function keyIdOf(secret: string): string {
  return createHash('sha256')
    .update('amphi join key\0')
    .update(secret)
    .digest('base64url')
    .slice(0, 16);
}

/**
 * Signed, expiring join tokens: a JWS (HS256) carrying `JoinTokenClaims`, its
 * header naming the key (`kid`). Stateless, so every control-api instance
 * sharing the secrets accepts them; revocation is kept apart (`Revocations`).
 */
export class JoinTokens {
  /** HMAC keys by key id, imported once: jose would import raw bytes again at each check. */
  readonly #keys = new Map<string, Promise<CryptoKey>>();
  readonly #currentKid: string;
  readonly #now: () => number;

  constructor(keys: string | JoinTokenKeys, now: () => number = Date.now) {
    const { current, previous = [] } = typeof keys === 'string' ? { current: keys } : keys;
    for (const secret of [current, ...previous]) {
      if (secret.length < 32) throw new Error('join token secrets must be at least 32 characters');
      const key = crypto.subtle.importKey(
        'raw',
        new TextEncoder().encode(secret),
        { name: 'HMAC', hash: 'SHA-256' },
        false,
        ['sign', 'verify'],
      );
      this.#keys.set(keyIdOf(secret), key);
    }
    this.#currentKid = keyIdOf(current);
    this.#now = now;
  }

  async issue(
    grant: GrantInput,
    ttlSeconds: number,
  ): Promise<{ token: string; claims: JoinGrant }> {
    const iat = Math.floor(this.#now() / 1000);
    const claims: JoinGrant = { jti: randomUUID(), ...grant, iat, exp: iat + ttlSeconds };
    return { token: await this.sign(claims), claims };
  }

  /**
   * The token of these claims, signed with the current key. HS256 is
   * deterministic: the same claims give the same token while the key is the
   * same, so a link kept as its claims can be given out again (the console's
   * link export) without the token itself being stored.
   */
  async sign(claims: JoinGrant): Promise<string> {
    return new SignJWT(claims)
      .setProtectedHeader({ alg: ALGORITHM, typ: JOIN_TOKEN_TYPE, kid: this.#currentKid })
      .sign(await (this.#keys.get(this.#currentKid) as Promise<CryptoKey>));
  }

  /**
   * The grant of a valid token; throws TOKEN_INVALID or TOKEN_EXPIRED otherwise.
   * `expiredUpToSeconds` still accepts a token that expired less than that long
   * ago: only for reading what outlives the link (see `routes/registration.ts`);
   * `expired()` then tells the caller.
   */
  async verify(token: string, opts: { expiredUpToSeconds?: number } = {}): Promise<JoinGrant> {
    if (token.length > MAX_TOKEN_LENGTH) {
      throw new AppError('TOKEN_INVALID', 'join token is malformed');
    }
    let payload: unknown;
    try {
      ({ payload } = await jwtVerify(
        token,
        (header) => {
          const key = header.kid === undefined ? undefined : this.#keys.get(header.kid);
          if (!key)
            throw new AppError('TOKEN_INVALID', 'join token was signed with an unknown key');
          return key;
        },
        {
          algorithms: [ALGORITHM],
          typ: JOIN_TOKEN_TYPE,
          requiredClaims: ['jti', 'iat', 'exp'],
          clockTolerance: CLOCK_TOLERANCE_SECONDS + (opts.expiredUpToSeconds ?? 0),
          currentDate: new Date(this.#now()),
        },
      ));
    } catch (err) {
      if (err instanceof AppError) throw err;
      if (err instanceof errors.JWTExpired) {
        throw new AppError(
          'TOKEN_EXPIRED',
          'join link has expired: ask the organiser for a new one',
        );
      }
      throw new AppError(
        'TOKEN_INVALID',
        'join token is malformed or its signature does not match',
      );
    }
    const grant = JoinGrant.safeParse(payload);
    if (!grant.success) throw new AppError('TOKEN_INVALID', 'join token payload is invalid');
    return grant.data;
  }

  /** Whether a grant is past its expiry (a verified one can be, with `expiredUpToSeconds`). */
  expired(grant: JoinGrant): boolean {
    return (grant.exp + CLOCK_TOLERANCE_SECONDS) * 1000 <= this.#now();
  }
}
