import {
  AuditEntry,
  ConsoleSession,
  CreateAccountBody,
  IdParams,
  listOf,
  OperatorAccount,
  Pagination,
  RestError,
  SESSION_COOKIE,
  SignInBody,
  UpdateAccountBody,
} from '@amphi/protocol';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AccountStore } from '../accounts/AccountStore.ts';
import type { AuditLog } from '../accounts/AuditLog.ts';
import type { OperatorAccess } from '../accounts/OperatorAccess.ts';
import { decoyHash, verifyPassword } from '../accounts/passwords.ts';
import type { OperatorPrincipal } from '../accounts/principal.ts';
import type { SessionStore } from '../accounts/SessionStore.ts';
import type { SignInLimiter } from '../accounts/SignInLimiter.ts';
import { AppError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { errors, security, tags } from './consoleSchema.ts';

export interface ConsoleAccountRoutesOptions {
  accounts: AccountStore;
  sessions: SessionStore;
  access: OperatorAccess;
  audit: AuditLog;
  limiter: SignInLimiter;
  log: Logger;
}

/** The signed-in person (a console session), else UNAUTHORIZED; an admin where asked. */
function person(
  req: FastifyRequest,
  admin = false,
): Extract<OperatorPrincipal, { kind: 'account' }> {
  const who = req.operator;
  if (who?.kind !== 'account') {
    throw new AppError(
      'UNAUTHORIZED',
      'sign in to the console (the automation credential cannot do this)',
    );
  }
  if (admin && who.role !== 'admin')
    throw new AppError('FORBIDDEN', 'only an admin can manage accounts');
  return who;
}

/**
 * The console's people: sign-in (argon2id, rate limited), the session
 * (cookie, CSRF token), sign-out, accounts (admins) and the audit log.
 */
export const consoleAccountRoutes: FastifyPluginAsync<ConsoleAccountRoutesOptions> = async (
  fastify,
  opts,
) => {
  const { accounts, sessions, access, audit, limiter, log } = opts;
  const app = fastify.withTypeProvider<ZodTypeProvider>();

  app.post('/console/session', {
    schema: {
      tags,
      summary: 'Sign in: sets the session cookie, answers the CSRF token writes must send',
      body: SignInBody,
      response: { 200: ConsoleSession, ...errors, 429: RestError },
    },
    handler: async (req, reply) => {
      const { email, password } = req.body;
      await limiter.check(email, req.ip);
      const found = await accounts.forSignIn(email);
      // The same work whether or not the address is known.
      const ok = await verifyPassword(found?.hash ?? (await decoyHash()), password);
      if (!found || !ok) {
        await limiter.failed(email, req.ip);
        await audit.record({
          actorAccountId: found?.account.id ?? null,
          actorLabel: email,
          action: 'sign-in refused',
          details: { client: req.ip },
        });
        throw new AppError('UNAUTHORIZED', 'e-mail address or password is not right');
      }
      await limiter.succeeded(email);
      const session = await sessions.create(found.account);
      await audit.record({
        actorAccountId: found.account.id,
        actorLabel: found.account.email,
        action: 'sign-in',
        details: { client: req.ip },
      });
      log.info({ accountId: found.account.id }, 'operator signed in');
      reply.setCookie(
        SESSION_COOKIE,
        session.sessionId,
        access.cookieOptions(req, session.expiresAt),
      );
      return {
        account: found.account,
        csrfToken: session.csrfToken,
        expiresAt: session.expiresAt.toISOString(),
      };
    },
  });

  app.get('/console/session', {
    schema: {
      tags,
      security,
      summary: 'Who is signed in',
      response: { 200: ConsoleSession, ...errors },
    },
    onRequest: fastify.requireOperator,
    handler: async (req) => {
      const who = person(req);
      const session = await sessions.find(who.sessionId);
      const account = await accounts.get(who.accountId);
      if (!session || !account) throw new AppError('UNAUTHORIZED', 'the console session has ended');
      return { account, csrfToken: session.csrfToken, expiresAt: session.expiresAt.toISOString() };
    },
  });

  app.delete('/console/session', {
    schema: {
      tags,
      security,
      summary: 'Sign out: the session ends on every instance',
      response: { 204: z.null(), ...errors },
    },
    onRequest: fastify.requireOperator,
    handler: async (req, reply) => {
      const who = person(req);
      await sessions.delete(who.sessionId);
      req.auditDetails = { signOut: true };
      reply.setCookie(SESSION_COOKIE, '', access.cookieOptions(req, null));
      return reply.code(204).send(null);
    },
  });

  app.get('/console/accounts', {
    schema: {
      tags,
      security,
      response: { 200: z.object({ items: z.array(OperatorAccount) }), ...errors },
    },
    onRequest: fastify.requireOperator,
    handler: async (req) => {
      person(req, true);
      return { items: await accounts.list() };
    },
  });

  app.post('/console/accounts', {
    schema: {
      tags,
      security,
      body: CreateAccountBody,
      response: { 201: OperatorAccount, ...errors },
    },
    onRequest: fastify.requireOperator,
    handler: async (req, reply) => {
      person(req, true);
      const account = await accounts.create(req.body);
      req.auditDetails = { accountId: account.id, email: account.email, role: account.role };
      return reply.code(201).send(account);
    },
  });

  app.patch('/console/accounts/:id', {
    schema: {
      tags,
      security,
      params: IdParams,
      body: UpdateAccountBody,
      response: { 200: OperatorAccount, ...errors },
    },
    onRequest: fastify.requireOperator,
    handler: async (req) => {
      person(req, true);
      const account = await accounts.update(req.params.id, req.body);
      const { password, ...changed } = req.body;
      req.auditDetails = { ...changed, ...(password ? { passwordChanged: true } : {}) };
      return account;
    },
  });

  app.get('/console/audit', {
    schema: {
      tags,
      security,
      summary: 'Who did what, newest first',
      querystring: Pagination.extend({ eventId: z.uuid().optional() }),
      response: { 200: listOf(AuditEntry), ...errors },
    },
    onRequest: fastify.requireOperator,
    handler: async (req) => audit.list(req.query),
  });
};
