import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { Role } from '@amphi/protocol';
import { z } from 'zod';
import { AppError } from '../errors.ts';

/** What a join token grants: one role, in one event (and one classroom or speaker). */
export const JoinGrant = z.strictObject({
  v: z.literal(1),
  /** Token id, for logs and revocation lists (never the token itself). */
  jti: z.string(),
  role: Role,
  eventId: z.uuid(),
  classroomId: z.uuid().nullable(),
  speakerId: z.uuid().nullable(),
  /** Display name: the moderator's name; speakers and classrooms are named from the catalogue. */
  name: z.string().max(200),
  iat: z.number().int(),
  exp: z.number().int(),
});
export type JoinGrant = z.infer<typeof JoinGrant>;

export type GrantInput = Pick<JoinGrant, 'role' | 'eventId' | 'classroomId' | 'speakerId' | 'name'>;

const PREFIX = 'amj1';

/**
 * Signed, expiring join tokens: `amj1.<payload>.<hmac-sha256>`, both parts
 * base64url. Stateless, so every control-api instance sharing the secret
 * accepts them.
 */
export class JoinTokens {
  readonly #secret: Buffer;
  readonly #now: () => number;

  constructor(secret: string, now: () => number = Date.now) {
    if (secret.length < 32) throw new Error('join token secret must be at least 32 characters');
    this.#secret = Buffer.from(secret, 'utf8');
    this.#now = now;
  }

  issue(grant: GrantInput, ttlSeconds: number): { token: string; claims: JoinGrant } {
    const iat = Math.floor(this.#now() / 1000);
    const claims: JoinGrant = { v: 1, jti: randomUUID(), ...grant, iat, exp: iat + ttlSeconds };
    const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
    return { token: `${PREFIX}.${payload}.${this.#sign(payload)}`, claims };
  }

  /**
   * The grant of a valid token; throws TOKEN_INVALID or TOKEN_EXPIRED otherwise.
   * `expiredUpToSeconds` still accepts a token that expired less than that long
   * ago: only for reading what outlives the link (see `routes/registration.ts`);
   * `expired()` then tells the caller.
   */
  verify(token: string, opts: { expiredUpToSeconds?: number } = {}): JoinGrant {
    const parts = token.split('.');
    if (parts.length !== 3 || parts[0] !== PREFIX || token.length > 4096) {
      throw new AppError('TOKEN_INVALID', 'join token is malformed');
    }
    const payload = parts[1] as string;
    const expected = Buffer.from(this.#sign(payload));
    const given = Buffer.from(parts[2] as string);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
      throw new AppError('TOKEN_INVALID', 'join token signature does not match');
    }
    let json: unknown;
    try {
      json = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    } catch {
      throw new AppError('TOKEN_INVALID', 'join token payload is unreadable');
    }
    const grant = JoinGrant.safeParse(json);
    if (!grant.success) throw new AppError('TOKEN_INVALID', 'join token payload is invalid');
    if ((grant.data.exp + (opts.expiredUpToSeconds ?? 0)) * 1000 <= this.#now()) {
      throw new AppError('TOKEN_EXPIRED', 'join link has expired: ask the organiser for a new one');
    }
    return grant.data;
  }

  /** Whether a grant is past its expiry (a verified one can be, with `expiredUpToSeconds`). */
  expired(grant: JoinGrant): boolean {
    return grant.exp * 1000 <= this.#now();
  }

  #sign(payload: string): string {
    return createHmac('sha256', this.#secret).update(payload).digest('base64url');
  }
}
