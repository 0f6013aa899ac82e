import type { Event, JoinLink } from '@amphi/protocol';
import { describe, expect, it } from 'vitest';
import { api, TestClient, useControlPlane } from './support/harness.ts';

const env = useControlPlane();
type Err = { error: { code: string; message: string; details?: { path: string }[] } };

async function speaker(name: string): Promise<string> {
  const r = await api<{ id: string }>(env.plane.url, 'POST', '/api/v1/speakers', {
    name,
    job: 'Océanographe',
    organisation: 'Ifremer',
    bio: 'Plonge depuis vingt ans.',
  });
  expect(r.status).toBe(201);
  return r.body.id;
}

describe('catalogue', () => {
  it('creates a 55 min panel with its speakers in order and lists it', async () => {
    const s1 = await speaker('Léa');
    const s2 = await speaker('Marc');
    const r = await api<Event>(env.plane.url, 'POST', '/api/v1/events', {
      title: 'Les métiers de la mer',
      themeWeek: 'Semaine du développement durable',
      format: 'panel_55',
      startsAt: '2025-05-12T10:00:00+02:00',
      speakerIds: [s2, s1],
    });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ format: 'panel_55', durationMinutes: 55, status: 'scheduled' });
    expect(r.body.speakers.map((s) => s.name)).toEqual(['Marc', 'Léa']);
    expect(r.body.startsAt).toBe('2025-05-12T08:00:00.000Z');
    const list = await api<{ items: Event[]; total: number }>(
      env.plane.url,
      'GET',
      '/api/v1/events?limit=50',
    );
    expect(list.body.items.map((e) => e.id)).toContain(r.body.id);
    const one = await api<Event>(env.plane.url, 'GET', `/api/v1/events/${r.body.id}`);
    expect(one.body.title).toBe('Les métiers de la mer');
  });

  it('refuses a panel with one speaker and unknown speakers, naming the field', async () => {
    const s1 = await speaker('Solo');
    const r = await api<Err>(env.plane.url, 'POST', '/api/v1/events', {
      title: 'Panel incomplet',
      format: 'panel_55',
      startsAt: '2025-05-12T10:00:00+02:00',
      speakerIds: [s1],
    });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('VALIDATION_FAILED');
    expect(r.body.error.details?.[0]?.path).toBe('body.speakerIds');
    const unknown = await api<Err>(env.plane.url, 'POST', '/api/v1/events', {
      title: 'Fantôme',
      format: 'solo_45',
      startsAt: '2025-05-12T10:00:00+02:00',
      speakerIds: ['00000000-0000-4000-8000-000000000001'],
    });
    expect([unknown.status, unknown.body.error.code]).toEqual([404, 'NOT_FOUND']);
    const events = await env.plane
      .sql`select count(*)::int as n from events where title = 'Fantôme'`;
    expect(events[0]?.n).toBe(0);
  });

  it('answers malformed JSON and unknown fields with a precise error', async () => {
    const bad = await api<Err>(env.plane.url, 'POST', '/api/v1/speakers', '{"name": ');
    expect([bad.status, bad.body.error.code]).toEqual([400, 'INVALID_JSON']);
    const extra = await api<Err>(env.plane.url, 'POST', '/api/v1/speakers', {
      name: 'A',
      job: 'B',
      organisation: 'C',
      isAdmin: true,
    });
    expect([extra.status, extra.body.error.code]).toEqual([400, 'VALIDATION_FAILED']);
    const nowhere = await api<Err>(env.plane.url, 'GET', '/api/v1/nowhere');
    expect([nowhere.status, nowhere.body.error.code]).toEqual([404, 'NOT_FOUND']);
  });

  it('enrols classrooms and students, then issues join links only for enrolled classrooms', async () => {
    const s = await speaker('Awa');
    const ev = (
      await api<Event>(env.plane.url, 'POST', '/api/v1/events', {
        title: 'Météorologue',
        format: 'solo_45',
        startsAt: new Date(Date.now() + 86400_000).toISOString(),
        speakerIds: [s],
      })
    ).body;
    const school = await api<{ id: string; overseas: boolean }>(
      env.plane.url,
      'POST',
      '/api/v1/schools',
      {
        name: 'Lycée Leconte de Lisle',
        town: 'Saint-Denis',
        academie: 'La Réunion',
        region: 'La Réunion',
        overseas: true,
      },
    );
    expect(school.body.overseas).toBe(true);
    const c1 = await api<{ id: string }>(env.plane.url, 'POST', '/api/v1/classrooms', {
      schoolId: school.body.id,
      label: '2nde 3',
      level: '2nde',
    });
    const c2 = await api<{ id: string }>(env.plane.url, 'POST', '/api/v1/classrooms', {
      schoolId: school.body.id,
      label: '1re 1',
      level: '1re',
    });
    const badSchool = await api<Err>(env.plane.url, 'POST', '/api/v1/classrooms', {
      schoolId: '00000000-0000-4000-8000-000000000002',
      label: 'x',
      level: '1re',
    });
    expect(badSchool.body.error.code).toBe('NOT_FOUND');

    const enrol = await api<{ enrolled: number }>(
      env.plane.url,
      'POST',
      `/api/v1/events/${ev.id}/enrolments/classrooms`,
      {
        classroomIds: [c1.body.id, c1.body.id],
      },
    );
    expect(enrol.body.enrolled).toBe(1);
    const student = await api<{ id: string }>(
      env.plane.url,
      'POST',
      `/api/v1/events/${ev.id}/enrolments/students`,
      {
        displayName: 'Yanis',
        level: '2nde',
        schoolId: school.body.id,
      },
    );
    expect(student.status).toBe(201);
    const list = await api<{
      classrooms: { classroomId: string; region: string }[];
      students: { displayName: string }[];
    }>(env.plane.url, 'GET', `/api/v1/events/${ev.id}/enrolments`);
    expect(list.body.classrooms.map((c) => [c.classroomId, c.region])).toEqual([
      [c1.body.id, 'La Réunion'],
    ]);
    expect(list.body.students.map((x) => x.displayName)).toEqual(['Yanis']);

    const refused = await api<Err>(env.plane.url, 'POST', `/api/v1/events/${ev.id}/join-links`, {
      role: 'classroom',
      classroomId: c2.body.id,
    });
    expect([refused.status, refused.body.error.code]).toEqual([409, 'NOT_ENROLLED']);
    const link = await api<JoinLink>(env.plane.url, 'POST', `/api/v1/events/${ev.id}/join-links`, {
      role: 'classroom',
      classroomId: c1.body.id,
    });
    expect(link.status).toBe(201);
    expect(new Date(link.body.expiresAt).getTime()).toBeGreaterThan(Date.now() + 86400_000);
    // The link works for its event.
    const client = await TestClient.connectUrl(link.body.wsUrl);
    expect(client.eventsOf('welcome')[0]?.self.classroomId).toBe(c1.body.id);
    await client.close();
    const wrongSpeaker = await api<Err>(
      env.plane.url,
      'POST',
      `/api/v1/events/${ev.id}/join-links`,
      {
        role: 'speaker',
        speakerId: '00000000-0000-4000-8000-000000000003',
      },
    );
    expect(wrongSpeaker.body.error.code).toBe('NOT_FOUND');
  });
});

describe('OpenAPI', () => {
  it('documents the routes from the zod schemas', async () => {
    const r = await api<{
      openapi: string;
      paths: Record<string, Record<string, { requestBody?: unknown }>>;
    }>(env.plane.url, 'GET', '/api/openapi.json', undefined, null);
    expect(r.status).toBe(200);
    expect(r.body.openapi).toMatch(/^3\./);
    expect(Object.keys(r.body.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/events',
        '/api/v1/events/{eventId}/join-links',
        '/api/v1/registration/questions',
      ]),
    );
    const body = JSON.stringify(r.body.paths['/api/v1/events']?.post?.requestBody);
    expect(body).toContain('panel_55');
  });

  it('publishes the WebSocket protocol as JSON Schema', async () => {
    const r = await api<{
      protocolVersion: number;
      requests: Record<string, { data: { properties?: Record<string, unknown> } }>;
      events: Record<string, unknown>;
    }>(env.plane.url, 'GET', '/api/signaling.json', undefined, null);
    expect(r.body.protocolVersion).toBe(1);
    expect(Object.keys(r.body.requests['question.submit']?.data.properties ?? {}).sort()).toEqual([
      'category',
      'idempotencyKey',
      'text',
    ]);
    expect(Object.keys(r.body.events)).toContain('question.created');
  });
});
