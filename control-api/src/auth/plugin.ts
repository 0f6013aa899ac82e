import { createHash, timingSafeEqual } from 'node:crypto';
import type { Role } from '@amphi/protocol';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { OperatorAccess } from '../accounts/OperatorAccess.ts';
import type { CatalogStore, ClassroomInfo } from '../catalog/CatalogStore.ts';
import { AppError } from '../errors.ts';
import type { JoinGrant, JoinTokens } from './JoinTokens.ts';
import type { Revocations } from './Revocations.ts';

/** What a route asks of a join token. */
export interface JoinTokenNeed {
  /** Roles admitted (every role when absent); another role's link is FORBIDDEN. */
  roles?: readonly Role[];
  /** Also read `?token=`: the WebSocket upgrade, whose headers a browser cannot set. */
  fromQuery?: boolean;
  /**
   * Still admit a link that expired less than this long ago, but only once its
   * event is over: its expiry keeps latecomers out of the live event, it does
   * not take a class's own text away from it (`routes/registration.ts`).
   */
  readAfterExpirySeconds?: number;
}

/** An onRequest / preValidation hook: passes, or throws the AppError the client gets. */
export type AuthHook = (req: FastifyRequest) => Promise<void>;

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * Hook: the automation credential (`Authorization: Bearer …`) or a console
     * session cookie (a write with it also needs its CSRF token, else 403
     * FORBIDDEN); else 401 UNAUTHORIZED. Sets `req.operator`.
     */
    requireOperator: AuthHook;
    /**
     * Hook: a valid, unrevoked join token for the route's `:eventId` (if it has
     * one), of an admitted role; sets `req.joinGrant`. Refusals: UNAUTHORIZED
     * (none), TOKEN_INVALID, TOKEN_EXPIRED, TOKEN_REVOKED (401), WRONG_EVENT,
     * FORBIDDEN (403).
     */
    requireJoinToken(need?: JoinTokenNeed): AuthHook;
  }
  interface FastifyRequest {
    /** The verified join token's grant, once `requireJoinToken` passed. */
    joinGrant: JoinGrant | null;
  }
}

export interface AuthPluginOptions {
  tokens: JoinTokens;
  revocations: Revocations;
  /** The operator credential first, then previous ones still accepted while they are rotated out. */
  operatorTokens: readonly string[];
  catalog: CatalogStore;
  /** Console sessions (cookies); without it, only the Bearer credential is accepted. */
  access?: OperatorAccess | undefined;
}

const BEARER = /^Bearer (.+)$/;

/** The grant `requireJoinToken` set; a route without that hook has none. */
export function joinGrantOf(req: FastifyRequest): JoinGrant {
  if (!req.joinGrant) throw new AppError('UNAUTHORIZED', 'a join token is required');
  return req.joinGrant;
}

/**
 * Who may call what, decided once for every route: the operator credential
 * for the catalogue, and join tokens for classrooms, speakers and moderators.
 * Registered once in app.ts; routes name the hook they need.
 */
const authPluginImpl: FastifyPluginAsync<AuthPluginOptions> = async (app, opts) => {
  const { tokens, revocations, catalog } = opts;
  if (opts.operatorTokens.length === 0) throw new Error('an operator credential is required');
  const digest = (s: string) => createHash('sha256').update(s).digest();
  const operatorDigests = opts.operatorTokens.map(digest);

  app.decorateRequest('joinGrant', null);

  app.decorate('requireOperator', async (req: FastifyRequest) => {
    const given = BEARER.exec(req.headers.authorization ?? '')?.[1];
    if (!given) {
      // A person signed in to the console (the Bearer credential is for automation).
      const person = await opts.access?.fromCookie(req);
      if (person) {
        req.operator = person;
        return;
      }
      throw new AppError('UNAUTHORIZED', 'operator credential required (Bearer token)');
    }
    // Compared with every accepted credential, in constant time: no early exit.
    const d = digest(given);
    let ok = false;
    for (const expected of operatorDigests) ok = timingSafeEqual(expected, d) || ok;
    if (!ok) throw new AppError('UNAUTHORIZED', 'operator credential is not valid');
    req.operator = { kind: 'automation' };
  });

  app.decorate('requireJoinToken', (need: JoinTokenNeed = {}): AuthHook => {
    return async (req) => {
      req.joinGrant = await admit(req, need);
    };
  });

  async function admit(req: FastifyRequest, need: JoinTokenNeed): Promise<JoinGrant> {
    const token = tokenOf(req, need.fromQuery ?? false);
    const grant = await tokens.verify(
      token,
      need.readAfterExpirySeconds ? { expiredUpToSeconds: need.readAfterExpirySeconds } : {},
    );
    if (await revocations.isRevoked(grant.jti)) {
      throw new AppError(
        'TOKEN_REVOKED',
        'this join link was revoked: ask the organiser for a new one',
      );
    }
    const eventId = (req.params as { eventId?: unknown } | undefined)?.eventId;
    if (typeof eventId === 'string' && grant.eventId !== eventId) {
      throw new AppError('WRONG_EVENT', 'this join link is for another event');
    }
    if (need.roles && !need.roles.includes(grant.role)) {
      throw new AppError('FORBIDDEN', `only a ${need.roles.join(' or ')} link can do this`);
    }
    if (tokens.expired(grant)) {
      const event = await catalog.getEventRow(grant.eventId);
      if (event?.status !== 'ended' && event?.status !== 'cancelled') {
        throw new AppError(
          'TOKEN_EXPIRED',
          'join link has expired: ask the organiser for a new one',
        );
      }
    }
    return grant;
  }
};

/** The token of a request: `?token=` where allowed, else `Authorization: Bearer`. */
function tokenOf(req: FastifyRequest, fromQuery: boolean): string {
  if (fromQuery) {
    const query = req.query as { token?: unknown } | undefined;
    if (query?.token !== undefined) {
      if (typeof query.token !== 'string' || query.token === '') {
        throw new AppError('TOKEN_INVALID', 'the join token is malformed');
      }
      return query.token;
    }
  }
  const bearer = BEARER.exec(req.headers.authorization ?? '')?.[1];
  if (!bearer) throw new AppError('UNAUTHORIZED', 'a join token is required');
  return bearer;
}

export const authPlugin = fp(authPluginImpl, { name: 'amphi-auth', fastify: '5.x' });

/**
 * A classroom link's classroom, enrolled in the event; NOT_ENROLLED if it is
 * not (any more). `removed`: a moderator removed it from the event
 * (participant.remove); each caller decides what that still allows.
 */
export async function enrolledClassroom(
  catalog: CatalogStore,
  grant: JoinGrant,
): Promise<{ classroom: ClassroomInfo; removed: boolean }> {
  if (grant.role !== 'classroom' || !grant.classroomId) {
    throw new AppError('TOKEN_INVALID', 'classroom token without classroom');
  }
  const [info, enrolled, removed] = await Promise.all([
    catalog.getClassroomInfo(grant.classroomId),
    catalog.isClassroomEnrolled(grant.eventId, grant.classroomId),
    catalog.isClassroomRemoved(grant.eventId, grant.classroomId),
  ]);
  if (!info || !enrolled) {
    throw new AppError('NOT_ENROLLED', 'this classroom is not enrolled in the event');
  }
  return { classroom: info, removed };
}
