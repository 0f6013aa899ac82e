import { describe, expect, it } from 'vitest';
import {
  api,
  key,
  OPERATOR_TOKEN,
  seedEvent,
  TestClient,
  useControlPlane,
} from './support/harness.ts';
import { RecordingMediaNode } from './support/RecordingMediaNode.ts';

// The studio takes its event live and ends it (event.setStatus): the status
// and its times are kept in PostgreSQL and pushed to everyone.

const rtpParameters = { codecs: [{ mimeType: 'video/VP8', payloadType: 96, clockRate: 90000 }] };
const env = useControlPlane({ media: new RecordingMediaNode() });

async function scheduled(speakers = 1) {
  const ev = await seedEvent(env.plane.url, { classrooms: 1, speakers });
  const connect = (token: string) => TestClient.connect(env.plane.url, ev.eventId, token);
  const clients = {
    speaker: await connect(ev.tokens.speaker),
    moderator: await connect(ev.tokens.moderator),
    classroom: await connect(ev.tokens.classrooms[0] as string),
    coSpeakers: await Promise.all(ev.tokens.coSpeakers.map(connect)),
  };
  env.clients.push(clients.speaker, clients.moderator, clients.classroom, ...clients.coSpeakers);
  return { ev, ...clients };
}

async function row(eventId: string) {
  const [r] = await env.db<{ status: string; started_at: Date | null; ended_at: Date | null }[]>`
    select status, started_at, ended_at from events where id = ${eventId}`;
  return r;
}

async function onAir(c: TestClient) {
  const t = await c.request('media.createTransport', { direction: 'send' });
  await c.request('media.connectTransport', {
    transportId: t.transportId,
    dtlsParameters: t.dtlsParameters,
  });
  await c.request('media.produce', {
    transportId: t.transportId,
    kind: 'video',
    rtpParameters,
    source: 'camera',
  });
}

describe('event.setStatus', () => {
  it('the speaker going live makes the event live for everyone, stored with the time, kept by a second go-live', async () => {
    const { ev, speaker, moderator, classroom } = await scheduled();
    // Before: a question asked now is one asked before the session.
    const early = await classroom.request('question.submit', {
      idempotencyKey: key(),
      text: 'Comment êtes-vous devenue ingénieure du son ?',
      category: 'training_path',
    });
    expect(early.question.askedBeforeEvent).toBe(true);
    expect((await classroom.request('join', {})).state.event).toMatchObject({
      status: 'scheduled',
      startedAt: null,
      endedAt: null,
    });

    const before = Date.now();
    const live = await speaker.request('event.setStatus', { status: 'live' });
    expect(live.status).toBe('live');
    const startedAt = Date.parse(live.startedAt as string);
    expect(startedAt).toBeGreaterThanOrEqual(before - 1000);
    expect(startedAt).toBeLessThanOrEqual(Date.now() + 1000);
    expect(live.endedAt).toBeNull();
    for (const c of [classroom, moderator, speaker]) {
      const pushed = await c.waitForEvent('event.updated', (e) => e.status === 'live');
      expect(pushed).toEqual({
        eventId: ev.eventId,
        status: 'live',
        startedAt: live.startedAt,
        endedAt: null,
      });
    }
    // In PostgreSQL, in a fresh join (a reloaded page), through the operator API.
    expect((await row(ev.eventId))?.started_at?.toISOString()).toBe(live.startedAt);
    expect((await moderator.request('join', {})).state.event).toMatchObject({
      status: 'live',
      startedAt: live.startedAt,
    });
    const rest = await api<{ status: string; startedAt: string }>(
      env.plane.url,
      'GET',
      `/api/v1/events/${ev.eventId}`,
      undefined,
      OPERATOR_TOKEN,
    );
    expect(rest.body).toMatchObject({ status: 'live', startedAt: live.startedAt, endedAt: null });
    // Asked now: a live question.
    const asked = await classroom.request('question.submit', {
      idempotencyKey: key(),
      text: 'Quel est votre meilleur souvenir ?',
      category: 'human_side',
    });
    expect(asked.question.askedBeforeEvent).toBe(false);

    // A reloaded studio, or the moderator, going live again: the clock keeps its start.
    const pushes = classroom.eventsOf('event.updated').length;
    await new Promise((r) => setTimeout(r, 20));
    expect(await moderator.request('event.setStatus', { status: 'live' })).toEqual(live);
    expect(await speaker.request('event.setStatus', { status: 'live' })).toEqual(live);
    await new Promise((r) => setTimeout(r, 100));
    expect(classroom.eventsOf('event.updated').length).toBe(pushes);
  });

  it('the speaker ending it ends it for everyone, with the end time; an event over stays over', async () => {
    const { ev, speaker, moderator, classroom } = await scheduled();
    expect(await speaker.errorOf('event.setStatus', { status: 'ended' })).toBe('INVALID_STATE');
    const live = await speaker.request('event.setStatus', { status: 'live' });
    const ended = await speaker.request('event.setStatus', { status: 'ended' });
    expect(ended).toMatchObject({ status: 'ended', startedAt: live.startedAt });
    expect(Date.parse(ended.endedAt as string)).toBeGreaterThanOrEqual(
      Date.parse(live.startedAt as string),
    );
    for (const c of [classroom, moderator]) {
      expect(await c.waitForEvent('event.updated', (e) => e.status === 'ended')).toEqual({
        eventId: ev.eventId,
        ...ended,
      });
    }
    expect((await row(ev.eventId))?.ended_at?.toISOString()).toBe(ended.endedAt);
    expect(await speaker.errorOf('event.setStatus', { status: 'live' })).toBe('EVENT_CLOSED');
    expect(await moderator.errorOf('event.setStatus', { status: 'ended' })).toBe('EVENT_CLOSED');
    expect((await row(ev.eventId))?.ended_at?.toISOString()).toBe(ended.endedAt);
  });

  it('a classroom may do neither', async () => {
    const { ev, classroom } = await scheduled();
    expect(await classroom.errorOf('event.setStatus', { status: 'live' })).toBe('FORBIDDEN');
    expect((await row(ev.eventId))?.status).toBe('scheduled');
  });

  it('a panel: a speaker leaving the air while another is on it leaves the event live; a moderator ends it', async () => {
    const { ev, speaker, moderator, classroom, coSpeakers } = await scheduled(2);
    const co = coSpeakers[0] as TestClient;
    await onAir(speaker);
    await onAir(co);
    await speaker.request('event.setStatus', { status: 'live' });
    expect(await speaker.request('event.setStatus', { status: 'ended' })).toMatchObject({
      status: 'live',
    });
    expect((await row(ev.eventId))?.status).toBe('live');
    expect(await moderator.request('event.setStatus', { status: 'ended' })).toMatchObject({
      status: 'ended',
    });
    await classroom.waitForEvent('event.updated', (e) => e.status === 'ended');
  });

  it('two studios going live at once: one start time', async () => {
    const { ev, speaker, moderator } = await scheduled();
    const [a, b] = await Promise.all([
      speaker.request('event.setStatus', { status: 'live' }),
      moderator.request('event.setStatus', { status: 'live' }),
    ]);
    expect(a.startedAt).toBe(b.startedAt);
    expect((await row(ev.eventId))?.started_at?.toISOString()).toBe(a.startedAt);
  });

  it('an operator setting the status through the API pushes the times too', async () => {
    const { ev, classroom } = await scheduled();
    await api(
      env.plane.url,
      'POST',
      `/api/v1/events/${ev.eventId}/status`,
      { status: 'live' },
      OPERATOR_TOKEN,
    );
    const pushed = await classroom.waitForEvent('event.updated', (e) => e.status === 'live');
    expect(pushed.startedAt).toBe((await row(ev.eventId))?.started_at?.toISOString());
  });
});
