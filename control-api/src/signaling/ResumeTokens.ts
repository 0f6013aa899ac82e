import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { ResumeToken } from '@amphi/protocol';

/** What a resume token is bound to: one participant of one join link in one event. */
export interface ResumeBinding {
  eventId: string;
  /** The join token's id (jti): a token copied to another link does not verify. */
  tokenId: string;
  participantId: string;
}

/**
 * Resume tokens (protocol/resume.ts): `<participantId>.<HMAC-SHA256>` over the
 * event, the join link's id and the participant id. Stateless, so that any
 * instance sharing the key verifies what another issued; the key is derived
 * from the join token secret (HKDF, its own label: a resume MAC is never a
 * join token's signature). Without a secret (tests, one process) the key is
 * random: tokens verify in this process only. Whether the session is still
 * held is the media node's answer, not the token's.
 */
export class ResumeTokens {
  readonly #key: Buffer;

  constructor(secret?: string) {
    this.#key = secret
      ? Buffer.from(hkdfSync('sha256', secret, 'amphi', 'amphi media session resume v1', 32))
      : randomBytes(32);
  }

  issue(binding: ResumeBinding): string {
    return `${binding.participantId}.${this.#mac(binding)}`;
  }

  /**
   * The participant id the token resumes, when it verifies for this event and
   * join link; null for anything else (malformed, forged, another link's).
   */
  verify(token: string, binding: Omit<ResumeBinding, 'participantId'>): string | null {
    if (!ResumeToken.safeParse(token).success) return null;
    const dot = token.indexOf('.');
    const participantId = token.slice(0, dot);
    const given = Buffer.from(token.slice(dot + 1));
    const expected = Buffer.from(this.#mac({ ...binding, participantId }));
    return given.length === expected.length && timingSafeEqual(given, expected)
      ? participantId
      : null;
  }

  #mac(b: ResumeBinding): string {
    return createHmac('sha256', this.#key)
      .update(`${b.eventId}\0${b.tokenId}\0${b.participantId}`)
      .digest('base64url');
  }
}
