import { timingSafeEqual } from 'node:crypto';
import { CSRF_HEADER, SESSION_COOKIE } from '@amphi/protocol';
import type { CookieSerializeOptions } from '@fastify/cookie';
import type { FastifyRequest } from 'fastify';
import { AppError } from '../errors.ts';
import type { OperatorPrincipal } from './principal.ts';
import type { SessionStore } from './SessionStore.ts';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function isWrite(method: string): boolean {
  return !SAFE_METHODS.has(method);
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * The console's session cookie: what it admits, and how it is set. A write
 * made with the cookie must carry the session's CSRF token in `x-amphi-csrf`:
 * another site can make a browser send the cookie (SameSite=Strict already
 * stops most of it), never read the token nor set that header.
 */
export class OperatorAccess {
  readonly #sessions: SessionStore;
  readonly #publicUrlIsHttps: boolean;

  constructor(opts: { sessions: SessionStore; publicUrl: string }) {
    this.#sessions = opts.sessions;
    this.#publicUrlIsHttps = opts.publicUrl.startsWith('https:');
  }

  /**
   * The principal of the request's session cookie; null when it has none.
   * UNAUTHORIZED for an unknown, expired or signed-out session; FORBIDDEN for
   * a write without the session's CSRF token.
   */
  async fromCookie(req: FastifyRequest): Promise<OperatorPrincipal | null> {
    const sessionId = req.cookies?.[SESSION_COOKIE];
    if (!sessionId) return null;
    const session = await this.#sessions.find(sessionId);
    if (!session) {
      throw new AppError('UNAUTHORIZED', 'the console session has ended: sign in again');
    }
    if (isWrite(req.method)) {
      const sent = req.headers[CSRF_HEADER];
      if (typeof sent !== 'string' || !sameSecret(sent, session.csrfToken)) {
        throw new AppError('FORBIDDEN', 'a write with the session cookie needs its CSRF token', [
          { path: `headers.${CSRF_HEADER}`, message: 'missing or wrong' },
        ]);
      }
    }
    return {
      kind: 'account',
      accountId: session.accountId,
      email: session.email,
      displayName: session.displayName,
      role: session.role,
      sessionId,
    };
  }

  /** HttpOnly, SameSite=Strict, for the API only; Secure when the page is served over https. */
  cookieOptions(req: FastifyRequest, expires: Date | null): CookieSerializeOptions {
    return {
      httpOnly: true,
      sameSite: 'strict',
      secure: this.#publicUrlIsHttps || req.protocol === 'https',
      path: '/api/',
      ...(expires ? { expires } : { maxAge: 0 }),
    };
  }
}
