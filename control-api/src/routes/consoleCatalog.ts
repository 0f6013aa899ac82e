import {
  ClassroomSearchQuery,
  ClassroomSearchResult,
  ConsoleLink,
  ConsoleLinkList,
  EventIdParams,
  EventSummary,
  ImportQuery,
  ImportRejected,
  ImportResult,
  IssueClassroomLinksBody,
  IssuedLinks,
  JoinLinkParams,
  RestError,
} from '@amphi/protocol';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AuditLog } from '../accounts/AuditLog.ts';
import { actorLabel } from '../accounts/principal.ts';
import { importClassrooms } from '../console/ClassroomImport.ts';
import type { ConsoleLinks } from '../console/ConsoleLinks.ts';
import { readClassroomCsv } from '../console/classroomCsv.ts';
import type { EventSummaryStore } from '../console/EventSummaryStore.ts';
import { linkSheetHtml, linksCsv, SHEET_CSS } from '../console/linkSheets.ts';
import type { Sql } from '../db/Database.ts';
import { AppError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { errors, security, tags } from './consoleSchema.ts';

export interface ConsoleCatalogRoutesOptions {
  sql: Sql;
  links: ConsoleLinks;
  summaries: EventSummaryStore;
  audit: AuditLog;
  log: Logger;
}

/** A CSV of a few thousand classes. */
const IMPORT_BODY_LIMIT = 4 * 1024 * 1024;

/**
 * The console's catalogue work: importing schools and classes from a CSV,
 * finding classes to enrol, classroom links (issue, list, revoke, export as
 * CSV and as a printable sheet per school) and the after-event summary.
 */
export const consoleCatalogRoutes: FastifyPluginAsync<ConsoleCatalogRoutesOptions> = async (
  fastify,
  opts,
) => {
  const { sql, links, summaries, audit, log } = opts;
  const app = fastify.withTypeProvider<ZodTypeProvider>();

  // The stylesheet of the printable sheets: no credential needed, nothing secret in it.
  app.get('/console/sheet.css', { schema: { hide: true } }, async (_req, reply) =>
    reply.type('text/css; charset=utf-8').header('cache-control', 'no-cache').send(SHEET_CSS),
  );

  await app.register(async (scoped) => {
    scoped.addHook('onRequest', scoped.requireOperator);
    // The import's body is the CSV file itself.
    scoped.addContentTypeParser(
      ['text/csv', 'text/plain'],
      { parseAs: 'string', bodyLimit: IMPORT_BODY_LIMIT },
      (_req, body, done) => done(null, body),
    );
    const r = scoped.withTypeProvider<ZodTypeProvider>();

    r.post('/console/import/classrooms', {
      schema: {
        tags,
        security,
        summary:
          'Import schools and classes from a CSV: every line is checked first; any bad line, and nothing is written',
        querystring: ImportQuery,
        body: z.string().max(IMPORT_BODY_LIMIT),
        response: { ...errors, 200: ImportResult, 400: z.union([ImportRejected, RestError]) },
      },
      bodyLimit: IMPORT_BODY_LIMIT,
      handler: async (req, reply) => {
        const read = readClassroomCsv(req.body);
        if (!read.ok) {
          req.auditDetails = { rejectedLines: read.problems.length };
          return reply.code(400).send({
            error: {
              code: 'VALIDATION_FAILED' as const,
              message: `${read.problems.length} problem(s) in the file: nothing was imported`,
            },
            problems: read.problems,
          });
        }
        const result = await importClassrooms(sql, read.classrooms, req.query.eventId);
        req.auditDetails = { ...result };
        log.info({ ...result, eventId: req.query.eventId }, 'classrooms imported');
        return result;
      },
    });

    r.get('/console/classrooms', {
      schema: {
        tags,
        security,
        querystring: ClassroomSearchQuery,
        response: { 200: ClassroomSearchResult },
      },
      handler: async (req) => {
        const { q, limit, offset } = req.query;
        const like = `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
        const where = q
          ? sql`(s.name ilike ${like} or s.town ilike ${like} or s.academie ilike ${like}
                 or s.region ilike ${like} or c.label ilike ${like})`
          : sql`true`;
        const items = await sql<z.infer<typeof ClassroomSearchResult>['items']>`
          select c.id as classroom_id, c.label, c.level, s.id as school_id, s.name as school_name,
                 s.town, s.academie, s.region, s.overseas
          from classrooms c join schools s on s.id = c.school_id where ${where}
          order by s.academie, s.name, c.label limit ${limit} offset ${offset}`;
        const [count] = await sql<{ n: number }[]>`
          select count(*)::int as n from classrooms c join schools s on s.id = c.school_id
          where ${where}`;
        return { items: [...items], total: count?.n ?? 0 };
      },
    });

    r.get('/console/events/:eventId/links', {
      schema: {
        tags,
        security,
        params: EventIdParams,
        response: { 200: ConsoleLinkList, ...errors },
      },
      handler: async (req) => ({ items: await links.list(req.params.eventId) }),
    });

    r.post('/console/events/:eventId/links', {
      schema: {
        tags,
        security,
        summary:
          'Issue classroom links: to the classes named, or to every enrolled class without one',
        params: EventIdParams,
        body: IssueClassroomLinksBody,
        response: { 201: IssuedLinks, ...errors },
      },
      handler: async (req, reply) => {
        const who = req.operator;
        if (!who) throw new AppError('UNAUTHORIZED', 'operator credential required');
        const issued = await links.issue(
          req.params.eventId,
          actorLabel(who),
          req.body.classroomIds,
        );
        req.auditDetails = { issued: issued.issued };
        return reply.code(201).send(issued);
      },
    });

    r.post('/console/events/:eventId/links/:tokenId/revoke', {
      schema: { tags, security, params: JoinLinkParams, response: { 200: ConsoleLink, ...errors } },
      handler: async (req) => links.revoke(req.params.eventId, req.params.tokenId),
    });

    r.get('/console/events/:eventId/links.csv', {
      schema: {
        tags,
        security,
        summary: 'The live links as CSV (a credential per class: handle with care)',
        params: EventIdParams,
      },
      handler: async (req, reply) => {
        const list = await links.list(req.params.eventId);
        await auditExport(req.operator, 'links exported (CSV)', req.params.eventId, list.length);
        return reply
          .type('text/csv; charset=utf-8')
          .header('cache-control', 'no-store')
          .header('content-disposition', `attachment; filename="liens-${req.params.eventId}.csv"`)
          .send(linksCsv(list));
      },
    });

    r.get('/console/events/:eventId/links/sheet', {
      schema: {
        tags,
        security,
        summary: 'A printable sheet of one school’s live links (HTML, one page per class)',
        params: EventIdParams,
        querystring: z.strictObject({
          schoolId: z.uuid(),
          lang: z.enum(['fr', 'en']).default('fr'),
        }),
      },
      handler: async (req, reply) => {
        const { eventId } = req.params;
        const [event] = await sql<{ title: string; startsAt: Date }[]>`
          select title, starts_at from events where id = ${eventId}`;
        if (!event) throw new AppError('NOT_FOUND', `no event ${eventId}`);
        const [school] = await sql<{ name: string; town: string; academie: string }[]>`
          select name, town, academie from schools where id = ${req.query.schoolId}`;
        if (!school) throw new AppError('NOT_FOUND', `no school ${req.query.schoolId}`);
        const list = await links.list(eventId, req.query.schoolId);
        await auditExport(req.operator, 'links exported (sheet)', eventId, list.length);
        return reply
          .type('text/html; charset=utf-8')
          .header('cache-control', 'no-store')
          .send(
            linkSheetHtml({
              lang: req.query.lang,
              eventTitle: event.title,
              startsAt: event.startsAt.toISOString(),
              schoolName: school.name,
              town: school.town,
              academie: school.academie,
              links: list,
              cssHref: '/api/v1/console/sheet.css',
            }),
          );
      },
    });

    r.get('/console/events/:eventId/summary', {
      schema: {
        tags,
        security,
        summary:
          'After the event: attendance, questions, network problems per school (numbers only)',
        params: EventIdParams,
        response: { 200: EventSummary, ...errors },
      },
      handler: async (req) => summaries.summary(req.params.eventId),
    });
  });

  /** Reading links out is written down too: each is a credential. */
  async function auditExport(
    who: Parameters<typeof actorLabel>[0] | null,
    action: string,
    eventId: string,
    count: number,
  ): Promise<void> {
    if (!who) return;
    await audit.record({
      actorAccountId: who.kind === 'account' ? who.accountId : null,
      actorLabel: actorLabel(who),
      action,
      method: 'GET',
      eventId,
      details: { links: count },
    });
  }
};
