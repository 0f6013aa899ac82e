import type { ConsoleLink, IssuedLinks } from '@amphi/protocol';
import type { JoinTokens } from '../auth/JoinTokens.ts';
import type { Revocations } from '../auth/Revocations.ts';
import { classroomDisplayName } from '../catalog/CatalogStore.ts';
import type { Sql } from '../db/Database.ts';
import { AppError } from '../errors.ts';

/** A link as `issue` stores it (console_join_links). */
interface IssuedRow {
  tokenId: string;
  eventId: string;
  classroomId: string;
  name: string;
  issuedAt: Date;
  expiresAt: Date;
  issuedBy: string;
}

/** A stored link with its class and school, as `list` reads it. */
interface LinkRow extends IssuedRow {
  revokedAt: Date | null;
  classroomLabel: string;
  level: string;
  schoolId: string;
  schoolName: string;
  town: string;
  academie: string;
  region: string;
}

export interface ConsoleLinksDeps {
  sql: Sql;
  tokens: JoinTokens;
  revocations: Revocations;
  publicUrl: string;
}

/**
 * Classroom join links issued from the console, kept as their claims so that
 * they can be listed, exported (CSV, a printable sheet per school) and
 * revoked: the same link comes out each time (see `JoinTokens.sign`).
 */
export class ConsoleLinks {
  readonly #d: ConsoleLinksDeps;

  constructor(deps: ConsoleLinksDeps) {
    this.#d = deps;
  }

  /**
   * Gives a link to each named class (which must be enrolled), or, with none
   * named, to every enrolled class without a live link. Valid until two hours
   * after the event's end and at least an hour, as the REST route does.
   */
  async issue(
    eventId: string,
    issuedBy: string,
    classroomIds?: readonly string[],
  ): Promise<IssuedLinks> {
    const { sql, tokens } = this.#d;
    const [event] = await sql<{ startsAt: Date; durationMinutes: number }[]>`
      select starts_at, duration_minutes from events where id = ${eventId}`;
    if (!event) throw new AppError('NOT_FOUND', `no event ${eventId}`);
    const targets = await sql<{ id: string; label: string; schoolName: string; town: string }[]>`
      select c.id, c.label, s.name as school_name, s.town
      from classroom_enrolments e
      join classrooms c on c.id = e.classroom_id join schools s on s.id = c.school_id
      where e.event_id = ${eventId}
        and ${
          classroomIds
            ? sql`c.id = any(${classroomIds as string[]}::uuid[])`
            : sql`not exists (select 1 from console_join_links l
                    where l.event_id = e.event_id and l.classroom_id = c.id
                      and l.revoked_at is null and l.expires_at > now())`
        }
      order by s.name, c.label`;
    if (classroomIds) {
      const found = new Set(targets.map((t) => t.id));
      const missing = classroomIds.filter((id) => !found.has(id));
      if (missing.length > 0) {
        throw new AppError('NOT_ENROLLED', 'enrol the classroom in the event first', [
          { path: 'body.classroomIds', message: `not enrolled: ${missing.slice(0, 5).join(', ')}` },
        ]);
      }
    }
    const eventEnd = event.startsAt.getTime() + event.durationMinutes * 60_000;
    const ttlSeconds = Math.max(3600, Math.ceil((eventEnd + 2 * 3600_000 - Date.now()) / 1000));
    const rows: IssuedRow[] = [];
    for (const t of targets) {
      const { claims } = await tokens.issue(
        {
          role: 'classroom',
          eventId,
          classroomId: t.id,
          speakerId: null,
          name: classroomDisplayName(t),
        },
        ttlSeconds,
      );
      rows.push({
        tokenId: claims.jti,
        eventId,
        classroomId: t.id,
        name: claims.name,
        issuedAt: new Date(claims.iat * 1000),
        expiresAt: new Date(claims.exp * 1000),
        issuedBy,
      });
    }
    if (rows.length > 0) {
      await sql`insert into console_join_links ${sql(rows, 'tokenId', 'eventId', 'classroomId', 'name', 'issuedAt', 'expiresAt', 'issuedBy')}`;
    }
    const ids = new Set(rows.map((r) => r.tokenId));
    const items = (await this.list(eventId)).filter((l) => ids.has(l.tokenId));
    return { issued: rows.length, items };
  }

  /** The event's links, newest first per class; a revoked or expired one has no URL. */
  async list(eventId: string, schoolId?: string): Promise<ConsoleLink[]> {
    const { sql } = this.#d;
    const rows = await sql<LinkRow[]>`
      select l.*, c.label as classroom_label, c.level, s.id as school_id, s.name as school_name,
             s.town, s.academie, s.region
      from console_join_links l
      join classrooms c on c.id = l.classroom_id join schools s on s.id = c.school_id
      where l.event_id = ${eventId} and ${schoolId ? sql`s.id = ${schoolId}` : sql`true`}
      order by s.academie, s.name, c.label, l.issued_at desc`;
    return Promise.all(rows.map((r) => this.#out(r)));
  }

  /** Revokes a console link (its sockets are closed too): it admits nobody any more. */
  async revoke(eventId: string, tokenId: string): Promise<ConsoleLink> {
    const { sql, revocations } = this.#d;
    const [row] = await sql<{ tokenId: string }[]>`
      select token_id from console_join_links where event_id = ${eventId} and token_id = ${tokenId}`;
    if (!row) throw new AppError('NOT_FOUND', `no console link ${tokenId} for this event`);
    await revocations.revoke(eventId, tokenId);
    await sql`update console_join_links set revoked_at = coalesce(revoked_at, now())
              where token_id = ${tokenId}`;
    const link = (await this.list(eventId)).find((l) => l.tokenId === tokenId);
    if (!link) throw new AppError('NOT_FOUND', `no console link ${tokenId}`);
    return link;
  }

  async #out(r: LinkRow): Promise<ConsoleLink> {
    const live = r.revokedAt === null && r.expiresAt.getTime() > Date.now();
    let url: string | null = null;
    let checkUrl: string | null = null;
    let classPageUrl: string | null = null;
    if (live) {
      const token = await this.#d.tokens.sign({
        jti: r.tokenId,
        role: 'classroom',
        eventId: r.eventId,
        classroomId: r.classroomId,
        speakerId: null,
        name: r.name,
        iat: Math.floor(r.issuedAt.getTime() / 1000),
        exp: Math.floor(r.expiresAt.getTime() / 1000),
      });
      const base = this.#d.publicUrl.replace(/\/$/, '');
      const t = encodeURIComponent(token);
      url = `${base}/viewer/?event=${r.eventId}&token=${t}`;
      checkUrl = `${base}/viewer/check/?event=${r.eventId}&token=${t}`;
      // In the fragment: the token never reaches a server log from there.
      classPageUrl = `${base}/portal/#/classe/${token}`;
    }
    return {
      tokenId: r.tokenId,
      eventId: r.eventId,
      classroomId: r.classroomId,
      classroomLabel: r.classroomLabel,
      level: r.level,
      schoolId: r.schoolId,
      schoolName: r.schoolName,
      town: r.town,
      issuedAt: r.issuedAt.toISOString(),
      expiresAt: r.expiresAt.toISOString(),
      issuedBy: r.issuedBy,
      revokedAt: r.revokedAt?.toISOString() ?? null,
      url,
      checkUrl,
      classPageUrl,
    };
  }
}
