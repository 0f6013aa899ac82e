import type { Event, Speaker } from '@amphi/protocol';
import { describe, expect, it } from 'vitest';
import { api, useControlPlane } from './support/harness.ts';

const env = useControlPlane();
type Err = { error: { code: string; message: string; details?: { path: string }[] } };

async function speaker(name: string, studyPath?: string): Promise<Speaker> {
  const r = await api<Speaker>(env.plane.url, 'POST', '/api/v1/speakers', {
    name,
    job: 'Journaliste reporter d’images',
    organisation: 'France Télévisions',
    ...(studyPath ? { studyPath } : {}),
  });
  expect(r.status).toBe(201);
  return r.body;
}

async function event(speakerIds: string[], extra: Record<string, unknown> = {}): Promise<Event> {
  const r = await api<Event>(env.plane.url, 'POST', '/api/v1/events', {
    title: 'Fabriquer l’information',
    themeWeek: 'Semaine de la presse et des médias',
    format: speakerIds.length > 1 ? 'panel_55' : 'solo_45',
    startsAt: new Date(Date.now() + 7 * 86400_000).toISOString(),
    speakerIds,
    ...extra,
  });
  expect(r.status).toBe(201);
  return r.body;
}

describe('the programme: what teachers choose a talk by', () => {
  it('creates an event with levels, summary, description and closed enrolment by default; speakers carry their study path', async () => {
    const s = await speaker('Aïcha', 'Bac ES, IUT de journalisme de Lannion');
    expect(s.studyPath).toBe('Bac ES, IUT de journalisme de Lannion');
    const ev = await event([s.id], {
      levels: ['3e', '2nde'],
      summary: 'Comment un reportage arrive au journal de 20 h.',
      description: 'Du tournage au montage, les choix d’une rédaction.',
    });
    expect(ev).toMatchObject({
      levels: ['3e', '2nde'],
      summary: 'Comment un reportage arrive au journal de 20 h.',
      description: 'Du tournage au montage, les choix d’une rédaction.',
      enrolmentOpen: false,
    });
    expect(ev.speakers[0]?.studyPath).toBe('Bac ES, IUT de journalisme de Lannion');
    const bare = await event([(await speaker('Sans parcours')).id]);
    expect(bare).toMatchObject({ levels: [], summary: null, description: null });
    expect(bare.speakers[0]?.studyPath).toBeNull();
  });

  it('refuses unknown and repeated levels, naming the field', async () => {
    const s = await speaker('Niveaux');
    for (const levels of [
      ['5e', 'CM2'],
      ['4e', '4e'],
    ]) {
      const r = await api<Err>(env.plane.url, 'POST', '/api/v1/events', {
        title: 'x',
        format: 'solo_45',
        startsAt: new Date().toISOString(),
        speakerIds: [s.id],
        levels,
      });
      expect([r.status, r.body.error.code]).toEqual([400, 'VALIDATION_FAILED']);
      expect(r.body.error.details?.[0]?.path).toMatch(/^body\.levels/);
    }
  });

  it('edits an event with PATCH: fields given change, null empties, the rest stays', async () => {
    const s = await speaker('Éditée');
    const ev = await event([s.id], { summary: 'Avant', levels: ['4e'] });
    const r = await api<Event>(env.plane.url, 'PATCH', `/api/v1/events/${ev.id}`, {
      title: 'Le métier de reporter',
      levels: ['3e', '4e'],
      summary: null,
      description: 'Ce que couvre la séance.',
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      title: 'Le métier de reporter',
      themeWeek: 'Semaine de la presse et des médias',
      levels: ['3e', '4e'],
      summary: null,
      description: 'Ce que couvre la séance.',
    });
    const again = await api<Event>(env.plane.url, 'GET', `/api/v1/events/${ev.id}`);
    expect(again.body).toEqual(r.body);
  });

  it('changes format and speakers together, refusing a format that no longer fits its speakers', async () => {
    const [a, b, c] = [await speaker('A'), await speaker('B'), await speaker('C')];
    const ev = await event([a.id]);
    const wrong = await api<Err>(env.plane.url, 'PATCH', `/api/v1/events/${ev.id}`, {
      format: 'panel_55',
    });
    expect([wrong.status, wrong.body.error.code]).toEqual([400, 'VALIDATION_FAILED']);
    expect(wrong.body.error.details?.[0]?.path).toBe('body.format');
    const panel = await api<Event>(env.plane.url, 'PATCH', `/api/v1/events/${ev.id}`, {
      format: 'panel_55',
      speakerIds: [c.id, b.id, a.id],
    });
    expect(panel.status).toBe(200);
    expect(panel.body.durationMinutes).toBe(55);
    expect(panel.body.speakers.map((s) => s.name)).toEqual(['C', 'B', 'A']);
    const ghost = await api<Err>(env.plane.url, 'PATCH', `/api/v1/events/${ev.id}`, {
      speakerIds: [a.id, '00000000-0000-4000-8000-00000000000f'],
    });
    expect([ghost.status, ghost.body.error.code]).toEqual([404, 'NOT_FOUND']);
    const empty = await api<Err>(env.plane.url, 'PATCH', `/api/v1/events/${ev.id}`, {});
    expect([empty.status, empty.body.error.code]).toEqual([400, 'VALIDATION_FAILED']);
    const nowhere = await api<Err>(
      env.plane.url,
      'PATCH',
      '/api/v1/events/00000000-0000-4000-8000-00000000000e',
      { title: 'x' },
    );
    expect([nowhere.status, nowhere.body.error.code]).toEqual([404, 'NOT_FOUND']);
  });

  it('opens and closes enrolment; an event that ends closes it, keeps its time and stays closed', async () => {
    const s = await speaker('Ouverture');
    const ev = await event([s.id]);
    const open = await api<Event>(env.plane.url, 'POST', `/api/v1/events/${ev.id}/enrolment`, {
      open: true,
    });
    expect([open.status, open.body.enrolmentOpen]).toEqual([200, true]);
    const closed = await api<Event>(env.plane.url, 'POST', `/api/v1/events/${ev.id}/enrolment`, {
      open: false,
    });
    expect(closed.body.enrolmentOpen).toBe(false);
    await api(env.plane.url, 'POST', `/api/v1/events/${ev.id}/enrolment`, { open: true });
    const ended = await api<Event>(env.plane.url, 'POST', `/api/v1/events/${ev.id}/status`, {
      status: 'ended',
    });
    expect([ended.body.status, ended.body.enrolmentOpen]).toEqual(['ended', false]);
    const late = await api<Err>(env.plane.url, 'POST', `/api/v1/events/${ev.id}/enrolment`, {
      open: true,
    });
    expect([late.status, late.body.error.code]).toEqual([409, 'INVALID_STATE']);
    const moved = await api<Err>(env.plane.url, 'PATCH', `/api/v1/events/${ev.id}`, {
      startsAt: new Date().toISOString(),
    });
    expect([moved.status, moved.body.error.code]).toEqual([409, 'INVALID_STATE']);
    const renamed = await api<Event>(env.plane.url, 'PATCH', `/api/v1/events/${ev.id}`, {
      title: 'Titre corrigé après coup',
    });
    expect(renamed.body.title).toBe('Titre corrigé après coup');
  });

  it('needs the operator credential to edit', async () => {
    const s = await speaker('Protégée');
    const ev = await event([s.id]);
    const r = await api<Err>(
      env.plane.url,
      'PATCH',
      `/api/v1/events/${ev.id}`,
      { title: 'pirate' },
      null,
    );
    expect([r.status, r.body.error.code]).toEqual([401, 'UNAUTHORIZED']);
    const o = await api<Err>(
      env.plane.url,
      'POST',
      `/api/v1/events/${ev.id}/enrolment`,
      { open: true },
      null,
    );
    expect(o.status).toBe(401);
  });

  it('edits a speaker: study path set, bio emptied', async () => {
    const s = await speaker('Parcours');
    const r = await api<Speaker>(env.plane.url, 'PATCH', `/api/v1/speakers/${s.id}`, {
      studyPath: 'CAP photographe, puis BTS audiovisuel',
      bio: null,
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ studyPath: 'CAP photographe, puis BTS audiovisuel', bio: null });
    const missing = await api<Err>(
      env.plane.url,
      'PATCH',
      '/api/v1/speakers/00000000-0000-4000-8000-00000000000d',
      { job: 'x' },
    );
    expect(missing.status).toBe(404);
  });
});
