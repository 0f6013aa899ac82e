import type {
  ConsoleLinkList,
  EventSummary,
  ImportRejected,
  ImportResult,
  IssuedLinks,
} from '@amphi/protocol';
import { describe, expect, it } from 'vitest';
import { api, OPERATOR_TOKEN, useControlPlane } from './support/harness.ts';

const env = useControlPlane({ seed: { classrooms: 2, status: 'live' } });

const HEADER = 'Établissement;Ville;Académie;Région;Outre-mer;Classe;Niveau';
const PLACES = [
  ['Lyon', 'Lyon', 'Auvergne-Rhône-Alpes'],
  ['Pointe-à-Pitre', 'Guadeloupe', 'Guadeloupe'],
  ['Saint-Denis', 'La Réunion', 'La Réunion'],
  ['Brest', 'Rennes', 'Bretagne'],
  ['Nouméa', 'Nouvelle-Calédonie', 'Nouvelle-Calédonie'],
] as const;
const LEVELS = ['6e', '5ème', '4e', '3e', 'Seconde', '1re', 'Terminale'];

/** `n` classes in n/10 schools across mainland and overseas académies. */
function csv(n: number, tag: string, edit?: (lineNo: number, cells: string[]) => void): string {
  const lines = [HEADER];
  for (let i = 0; i < n; i++) {
    const school = Math.floor(i / 10);
    const [town, academie, region] = PLACES[school % PLACES.length] as readonly string[];
    const cells = [
      `Collège ${tag} ${school}`,
      town as string,
      academie as string,
      region as string,
      '',
      `Classe ${i % 10}`,
      LEVELS[i % LEVELS.length] as string,
    ];
    edit?.(i + 2, cells);
    lines.push(cells.join(';'));
  }
  return `${lines.join('\r\n')}\r\n`;
}

async function importCsv<T>(body: string, query = ''): Promise<{ status: number; body: T }> {
  const res = await fetch(`${env.plane.url}/api/v1/console/import/classrooms${query}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${OPERATOR_TOKEN}`, 'content-type': 'text/csv' },
    body,
  });
  return { status: res.status, body: (await res.json()) as T };
}

async function counts() {
  const [row] = await env.plane.sql<{ schools: number; classrooms: number; enrolments: number }[]>`
    select (select count(*)::int from schools) as schools,
           (select count(*)::int from classrooms) as classrooms,
           (select count(*)::int from classroom_enrolments) as enrolments`;
  return row;
}

describe('CSV import of schools and classes', () => {
  it('reports each bad line of 300 (line, column, reason) and imports nothing at all', async () => {
    const before = await counts();
    const file = csv(300, 'A', (line, cells) => {
      if (line === 58) cells[6] = '7e';
      if (line === 211) cells[5] = '';
    });
    const r = await importCsv<ImportRejected>(file);
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('VALIDATION_FAILED');
    expect(r.body.problems).toEqual([
      { line: 58, column: 'Niveau', reason: 'unknown_level', value: '7e' },
      { line: 211, column: 'Classe', reason: 'required', value: null },
    ]);
    expect(await counts()).toEqual(before);
  });

  it('imports the corrected file in one go, overseas académies included, and again changes nothing', async () => {
    const before = await counts();
    const r = await importCsv<ImportResult>(csv(300, 'B'));
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      lines: 300,
      schoolsCreated: 30,
      schoolsExisting: 0,
      classroomsCreated: 300,
      classroomsExisting: 0,
      enrolled: 0,
    });
    const after = await counts();
    expect([after?.schools, after?.classrooms]).toEqual([
      (before?.schools ?? 0) + 30,
      (before?.classrooms ?? 0) + 300,
    ]);
    const overseas = await env.plane.sql<{ academie: string; overseas: boolean }[]>`
      select distinct academie, overseas from schools where name like 'Collège B %' order by 1`;
    expect(overseas).toEqual([
      { academie: 'Guadeloupe', overseas: true },
      { academie: 'La Réunion', overseas: true },
      { academie: 'Lyon', overseas: false },
      { academie: 'Nouvelle-Calédonie', overseas: true },
      { academie: 'Rennes', overseas: false },
    ]);
    const levels = await env.plane.sql<{ level: string }[]>`
      select distinct c.level from classrooms c join schools s on s.id = c.school_id
      where s.name like 'Collège B %' order by 1`;
    expect(levels.map((l) => l.level).sort()).toEqual([
      '1re',
      '2nde',
      '3e',
      '4e',
      '5e',
      '6e',
      'Tle',
    ]);
    const again = await importCsv<ImportResult>(csv(300, 'B'));
    expect(again.body).toMatchObject({
      classroomsCreated: 0,
      classroomsExisting: 300,
      schoolsCreated: 0,
    });
    expect(await counts()).toEqual(after);
    const [audit] = await env.plane.sql<
      { actorLabel: string; details: { classroomsCreated: number } }[]
    >`
      select actor_label, details from operator_audit
      where action = 'POST /api/v1/console/import/classrooms' and status_code = 200 order by id limit 1`;
    expect(audit?.actorLabel).toBe('automation');
    expect(audit?.details.classroomsCreated).toBe(300);
  });

  it('says what is wrong with the file itself: a missing column, an unclosed quote', async () => {
    const noLevel = await importCsv<ImportRejected>(
      'Établissement;Ville;Académie;Région;Classe\nA;B;C;D;E\n',
    );
    expect(noLevel.body.problems).toEqual([
      { line: 1, column: 'niveau', reason: 'missing_column', value: null },
    ]);
    const quote = await importCsv<ImportRejected>(`${HEADER}\nA;B;C;D;;"E;4e\n`);
    expect(quote.body.problems[0]).toMatchObject({ reason: 'csv_syntax', line: 2 });
  });

  it('enrols the imported classes in an event, then issues, exports and revokes their links', async () => {
    const eventId = env.ev.eventId;
    const r = await importCsv<ImportResult>(csv(20, 'C'), `?eventId=${eventId}`);
    expect(r.body).toMatchObject({ classroomsCreated: 20, enrolled: 20 });

    const issue = await api<IssuedLinks>(
      env.plane.url,
      'POST',
      `/api/v1/console/events/${eventId}/links`,
      {},
    );
    expect(issue.status).toBe(201);
    // The 20 imported classes and the 2 the event had.
    expect(issue.body.issued).toBe(22);
    const none = await api<IssuedLinks>(
      env.plane.url,
      'POST',
      `/api/v1/console/events/${eventId}/links`,
      {},
    );
    expect(none.body.issued).toBe(0);

    const list = await api<ConsoleLinkList>(
      env.plane.url,
      'GET',
      `/api/v1/console/events/${eventId}/links`,
    );
    expect(list.body.items).toHaveLength(22);
    const first = list.body.items.find((l) => l.schoolName === 'Collège C 0');
    if (!first?.url) throw new Error('no link for Collège C 0');
    // The same link each time it is read (kept as claims, signed again).
    const again = await api<ConsoleLinkList>(
      env.plane.url,
      'GET',
      `/api/v1/console/events/${eventId}/links`,
    );
    expect(again.body.items.find((l) => l.tokenId === first.tokenId)?.url).toBe(first.url);
    const token = decodeURIComponent(new URL(first.url).searchParams.get('token') ?? '');
    const grant = await env.plane.tokens.verify(token);
    expect(grant).toMatchObject({
      jti: first.tokenId,
      role: 'classroom',
      classroomId: first.classroomId,
    });

    const csvRes = await fetch(`${env.plane.url}/api/v1/console/events/${eventId}/links.csv`, {
      headers: { authorization: `Bearer ${OPERATOR_TOKEN}` },
    });
    expect(csvRes.headers.get('content-type')).toMatch(/^text\/csv/);
    const text = await csvRes.text();
    const rows = text.trim().split('\n');
    expect(rows[0]).toContain(
      'etablissement;ville;classe;niveau;lien;verification_reseau;page_classe;expire;id_lien',
    );
    expect(first.checkUrl).toBe(first.url.replace('/viewer/?', '/viewer/check/?'));
    expect(first.classPageUrl).toBe(`${env.plane.url}/portal/#/classe/${token}`);
    expect(rows).toHaveLength(23);
    expect(text).toContain(first.url);

    const sheet = await fetch(
      `${env.plane.url}/api/v1/console/events/${eventId}/links/sheet?schoolId=${first.schoolId}`,
      { headers: { authorization: `Bearer ${OPERATOR_TOKEN}` } },
    );
    expect(sheet.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await sheet.text();
    expect(html).toContain('<html lang="fr">');
    expect(html).toContain('Liens de connexion des classes');
    expect(html.match(/class="card"/g)).toHaveLength(10);
    expect(html).toContain(first.url.replaceAll('&', '&#38;'));
    const css = await fetch(`${env.plane.url}/api/v1/console/sheet.css`);
    expect(await css.text()).toContain('@media print');

    const revoked = await api<{ revokedAt: string | null; url: string | null }>(
      env.plane.url,
      'POST',
      `/api/v1/console/events/${eventId}/links/${first.tokenId}/revoke`,
    );
    expect(revoked.status).toBe(200);
    expect(revoked.body.url).toBeNull();
    expect(revoked.body.revokedAt).not.toBeNull();
    const [rev] = await env.plane
      .sql`select token_id from join_link_revocations where token_id = ${first.tokenId}`;
    // The revocation is the one every instance reads: that link is refused everywhere.
    expect(rev).toEqual({ tokenId: first.tokenId });
    const exported = await env.plane.sql<{ action: string }[]>`
      select action from operator_audit
      where event_id = ${eventId} and (route like '/api/v1/console/%' or route is null)
      order by id`;
    expect(exported.map((e) => e.action)).toEqual([
      'POST /api/v1/console/import/classrooms',
      'POST /api/v1/console/events/:eventId/links',
      'POST /api/v1/console/events/:eventId/links',
      'links exported (CSV)',
      'links exported (sheet)',
      'POST /api/v1/console/events/:eventId/links/:tokenId/revoke',
    ]);
  });
});

describe('after the event', () => {
  it('counts attendance, questions and connection problems per school, with no names', async () => {
    const { eventId, tokens } = env.ev;
    const classroom = await env.connect(tokens.classrooms[0] as string);
    await classroom.request('question.submit', {
      idempotencyKey: 'question-1',
      text: 'Quelles études avez-vous faites ?',
      category: 'training_path',
    });
    await classroom.request('presence.quality', { quality: 'bad', path: 'turn-tls' });
    // Attendance is written every 2 s from presence.
    const deadline = Date.now() + 10_000;
    let rows: readonly unknown[] = [];
    while (Date.now() < deadline && rows.length === 0) {
      rows = await env.plane.sql`select 1 from classroom_attendance where event_id = ${eventId}`;
      if (rows.length === 0) await new Promise((r) => setTimeout(r, 250));
    }
    expect(rows).toHaveLength(1);
    // Let the quality report's snapshot be written too.
    await new Promise((r) => setTimeout(r, 2500));
    await api(env.plane.url, 'POST', `/api/v1/events/${eventId}/status`, { status: 'ended' });
    const r = await api<EventSummary>(
      env.plane.url,
      'GET',
      `/api/v1/console/events/${eventId}/summary`,
    );
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      status: 'ended',
      enrolledClassrooms: 22,
      attendedClassrooms: 1,
      questions: { asked: 1, pending: 1, answered: 0 },
    });
    const school = r.body.schools.find((s) => s.attendedClassrooms === 1);
    expect(school).toMatchObject({
      questionsAsked: 1,
      enrolledClassrooms: 1,
      classroomsWithPoorConnection: 1,
      classroomsOnRelayOrFallback: 1,
    });
    expect(r.body.paths).toEqual({ 'turn-tls': 1 });
    const total = r.body.schools.reduce((n, s) => n + s.enrolledClassrooms, 0);
    expect(total).toBe(22);
    // Numbers per school: no question text, no class label.
    expect(JSON.stringify(r.body)).not.toContain('Quelles études');
    expect(JSON.stringify(r.body)).not.toContain('4e A');
  });
});
