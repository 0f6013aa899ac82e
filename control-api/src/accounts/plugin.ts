import cookie from '@fastify/cookie';
import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import type { Logger } from '../logger.ts';
import type { AuditLog } from './AuditLog.ts';
import { isWrite } from './OperatorAccess.ts';
import { actorLabel } from './principal.ts';

export interface AccountsPluginOptions {
  audit: AuditLog;
  log: Logger;
}

/**
 * What every operator route shares, registered once before them: cookies are
 * read, and every write an operator makes (console or automation) is written
 * to the audit log before its answer leaves, with who, what, on which event
 * and how it ended.
 */
const accountsPluginImpl: FastifyPluginAsync<AccountsPluginOptions> = async (app, opts) => {
  await app.register(cookie);
  app.decorateRequest('operator', null);
  app.decorateRequest('auditDetails', null);
  app.addHook('onSend', async (req, reply, payload) => {
    const who = req.operator;
    if (!who || !isWrite(req.method) || !req.routeOptions.url) return payload;
    const params = (req.params ?? {}) as Record<string, unknown>;
    const query = (req.query ?? {}) as Record<string, unknown>;
    // The event a write is about: in the path, or in the query (an import that also enrols).
    const eventId =
      typeof params.eventId === 'string'
        ? params.eventId
        : typeof query.eventId === 'string'
          ? query.eventId
          : null;
    try {
      await opts.audit.record({
        actorAccountId: who.kind === 'account' ? who.accountId : null,
        actorLabel: actorLabel(who),
        action: `${req.method} ${req.routeOptions.url}`,
        method: req.method,
        route: req.routeOptions.url,
        statusCode: reply.statusCode,
        eventId,
        details: { params, ...(req.auditDetails ?? {}) },
      });
    } catch (err) {
      // The write is done: say so in the log rather than hide its answer.
      opts.log.error({ err, route: req.routeOptions.url }, 'audit row not written');
    }
    return payload;
  });
};

export const accountsPlugin = fp(accountsPluginImpl, {
  name: 'amphi-accounts',
  fastify: '5.x',
});
