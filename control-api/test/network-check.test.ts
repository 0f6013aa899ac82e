import type {
  EventNetworkChecks,
  JoinLink,
  NetworkCheckOverview,
  NetworkCheckReport,
  NetworkCheckResult,
  NetworkCheckSession,
  RestError,
  TransportOptions,
} from '@amphi/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkReport, everything, ok } from '../../protocol/test/support/networkCheckReport.ts';
import { MAX_CHECKS_PER_CLASSROOM } from '../src/reach/NetworkCheckSessions.ts';
import { HLS_PROBE_BYTES } from '../src/routes/networkChecks.ts';
import type { ControlPlane } from '../src/server.ts';
import { allocates, type Coturn, startCoturn } from './support/coturn.ts';
import {
  api,
  createTestDatabase,
  OPERATOR_TOKEN,
  type SeededEvent,
  seedEvent,
  startInstance,
  startMediaNode,
  TestClient,
} from './support/harness.ts';

// The network check before the event: a classroom's link opens its own check
// (not the event: no presence, not counted), gets the relay's credentials and
// a test pattern to consume, and stores one verdict per classroom that
// operators read per event. Real PostgreSQL, mediasoup, FFmpeg and coturn.

let turn: Coturn;
let plane: ControlPlane;
let ev: SeededEvent;
const clients: TestClient[] = [];

beforeAll(async () => {
  turn = await startCoturn();
  plane = await startInstance({
    databaseUrl: await createTestDatabase(),
    media: await startMediaNode({ workers: 1 }),
    turn: turn.settings,
  });
  // Scheduled an hour ahead, not live: the check is run before the talk.
  ev = await seedEvent(plane.url, { classrooms: 5 });
});

afterAll(async () => {
  for (const c of clients) await c.close();
  await plane?.close();
  await turn?.close();
});

const classroom = (i: number) => ev.tokens.classrooms[i] as string;
const call = <T>(method: string, path: string, token: string | null, body?: unknown) =>
  api<T>(plane.url, method, path, body, token);

const report = (checkId: string | null, open: Partial<NetworkCheckReport['probes']>) =>
  checkReport(open, {
    checkId,
    downlinkKbps: 850,
    framesDecoded: 30,
    browser: { name: 'Chromium', version: '131.0.0.0', os: 'Linux', supported: true },
  });

describe('a classroom checks its network before the event', () => {
  let check: NetworkCheckSession;

  it('opens a check of its own: the test pattern, the relay with credentials coturn accepts, what to open', async () => {
    const res = await call<NetworkCheckSession>(
      'POST',
      '/api/v1/network-check/sessions',
      classroom(0),
    );
    expect(res.status).toBe(201);
    check = res.body;
    expect(check.producers.audio).toEqual(expect.any(String));
    expect(check.producers.video).toEqual(expect.any(String));
    expect(check.hlsProbeUrl).toBe('/hls/network-check/probe');
    const server = check.iceServers[0];
    if (!server) throw new Error('no relay offered');
    expect(server.urls).toEqual(turn.settings.urls);
    // Credentials that expire with the check, a couple of minutes, not with the link.
    const expiry = Number(server.username.split(':')[0]);
    expect(expiry * 1000).toBeLessThanOrEqual(Date.parse(check.expiresAt) + 1000);
    expect(expiry * 1000 - Date.now()).toBeLessThan(5 * 60_000);
    expect(await allocates(turn, server, 'udp')).toBe(true);
    expect(await allocates(turn, server, 'tls')).toBe(true);
    expect(check.endpoints.relay).toEqual([
      { protocol: 'udp', host: '127.0.0.1', port: turn.port, purpose: 'relay' },
      { protocol: 'tcp', host: '127.0.0.1', port: turn.tlsPort, purpose: 'relay' },
    ]);
    expect(check.endpoints.web).toEqual([
      { protocol: 'tcp', host: '127.0.0.1', port: Number(new URL(plane.url).port), purpose: 'web' },
    ]);
  });

  it('opens a transport and consumes the test pattern; nothing else, and not another class’s check', async () => {
    const base = `/api/v1/network-check/sessions/${check.checkId}`;
    const t = await call<TransportOptions>('POST', `${base}/transports`, classroom(0));
    expect(t.status).toBe(201);
    expect(t.body.direction).toBe('recv');
    expect(t.body.iceCandidates.map((c) => c.protocol).sort()).toEqual(['tcp', 'udp']);

    const consumed = await call<{ consumerId: string; kind: string }>(
      'POST',
      `${base}/consumers`,
      classroom(0),
      {
        transportId: t.body.transportId,
        producerId: check.producers.audio,
        rtpCapabilities: check.routerRtpCapabilities,
      },
    );
    expect(consumed.status).toBe(201);
    expect(consumed.body.kind).toBe('audio');
    const resumed = await call(
      'POST',
      `${base}/consumers/${consumed.body.consumerId}/resume`,
      classroom(0),
    );
    expect(resumed.status).toBe(204);

    const stranger = await call<RestError>('POST', `${base}/consumers`, classroom(0), {
      transportId: t.body.transportId,
      producerId: 'some-event-speaker',
      rtpCapabilities: check.routerRtpCapabilities,
    });
    expect(stranger.status).toBe(404);
    expect(stranger.body.error.code).toBe('NOT_FOUND');

    const other = await call<RestError>('POST', `${base}/transports`, classroom(1));
    expect(other.status).toBe(404);
    expect(other.body.error.code).toBe('NOT_FOUND');
  });

  it('is no participant of the event: the moderator sees no class, operators count none', async () => {
    const moderator = await TestClient.connect(plane.url, ev.eventId, ev.tokens.moderator);
    clients.push(moderator);
    const presence = await moderator.request('presence.get', {});
    expect(presence.participants.filter((p) => p.role === 'classroom')).toEqual([]);
    const reach = await call<{ classrooms: number }>(
      'GET',
      `/api/v1/events/${ev.eventId}/reach`,
      OPERATOR_TOKEN,
    );
    expect(reach.body.classrooms).toBe(0);
  });

  it('stores one verdict per classroom, the media ports named from its own transports', async () => {
    const res = await call<NetworkCheckResult>(
      'POST',
      '/api/v1/network-check/results',
      classroom(0),
      report(check.checkId, { 'turn-tls': ok(), hls: ok() }),
    );
    expect(res.status).toBe(201);
    expect(res.body.classroomId).toBe(ev.classroomIds[0]);
    expect(res.body.eventId).toBe(ev.eventId);
    expect(res.body.verdict.level).toBe('relay');
    expect(res.body.verdict.path).toBe('turn-tls');
    expect(
      res.body.verdict.openings.map((o) => `${o.purpose} ${o.protocol} ${o.host}:${o.port}`),
    ).toEqual([
      `relay udp 127.0.0.1:${turn.port}`,
      expect.stringMatching(/^direct udp 127\.0\.0\.1:\d+$/),
    ]);
    // The check is over: its media is gone.
    const after = await call<RestError>(
      'POST',
      `/api/v1/network-check/sessions/${check.checkId}/transports`,
      classroom(0),
    );
    expect(after.body.error.code).toBe('NOT_FOUND');

    // A second check replaces the first: the latest is kept.
    const again = await call<NetworkCheckResult>(
      'POST',
      '/api/v1/network-check/results',
      classroom(0),
      report(null, { hls: ok() }),
    );
    expect(again.body.verdict.level).toBe('fallback');
    const overview = await call<NetworkCheckOverview>('GET', '/api/v1/network-check', classroom(0));
    expect(overview.status).toBe(200);
    expect(overview.body).toMatchObject({
      classroomId: ev.classroomIds[0],
      classroomName: '4e A, Collège 0 (Ville 0)',
      eventTitle: expect.stringMatching(/^Métiers du son/),
    });
    expect(overview.body.latest?.verdict.level).toBe('fallback');
    const [count] = await plane.sql<{ n: number }[]>`
      select count(*)::int as n from network_checks where classroom_id = ${ev.classroomIds[0] as string}`;
    expect(count?.n).toBe(1);

    const none = await call<NetworkCheckOverview>('GET', '/api/v1/network-check', classroom(2));
    expect(none.body.latest).toBeNull();
  });

  it('operators read each class’s latest verdict and the counts, « not checked » included', async () => {
    await call('POST', '/api/v1/network-check/results', classroom(1), {
      ...report(null, everything()),
      downlinkKbps: 120,
    });
    const res = await call<EventNetworkChecks>(
      'GET',
      `/api/v1/events/${ev.eventId}/network-checks`,
      OPERATOR_TOKEN,
    );
    expect(res.status).toBe(200);
    expect(res.body.byLevel).toEqual({
      ready: 1,
      relay: 0,
      fallback: 1,
      impossible: 0,
      unchecked: 3,
    });
    expect(res.body.byPath).toMatchObject({ udp: 1, hls: 1, 'turn-tls': 0, none: 0 });
    expect(res.body.probesOk).toEqual({ udp: 1, tcp: 1, 'turn-udp': 1, 'turn-tls': 1, hls: 2 });
    // Classroom 1 connects directly but reads 120 kbit/s: ready, and counted as slow.
    expect(res.body.slowDownlink).toBe(1);
    expect(res.body.classrooms.find((c) => c.classroomId === ev.classroomIds[1])?.notes).toEqual([
      'slow-downlink',
    ]);
    const byId = new Map(res.body.classrooms.map((c) => [c.classroomId, c]));
    expect(byId.get(ev.classroomIds[0] as string)).toMatchObject({
      level: 'fallback',
      path: 'hls',
      downlinkKbps: 850,
      browser: 'Chromium 131.0.0.0',
    });
    expect(byId.get(ev.classroomIds[2] as string)).toMatchObject({ level: null, checkedAt: null });

    const noCredential = await call<RestError>(
      'GET',
      `/api/v1/events/${ev.eventId}/network-checks`,
      null,
    );
    expect(noCredential.status).toBe(401);
    const asClass = await call<RestError>(
      'GET',
      `/api/v1/events/${ev.eventId}/network-checks`,
      classroom(0),
    );
    expect(asClass.status).toBe(401);
    const unknown = await call<RestError>(
      'GET',
      `/api/v1/events/${crypto.randomUUID()}/network-checks`,
      OPERATOR_TOKEN,
    );
    expect(unknown.status).toBe(404);
  });

  it('a check older than the retention period is no longer shown, and goes at the next save', async () => {
    await plane.sql`update network_checks set checked_at = now() - interval '91 days'
                    where classroom_id = ${ev.classroomIds[1] as string}`;
    const res = await call<EventNetworkChecks>(
      'GET',
      `/api/v1/events/${ev.eventId}/network-checks`,
      OPERATOR_TOKEN,
    );
    expect(res.body.byLevel.unchecked).toBe(4);
    await call('POST', '/api/v1/network-check/results', classroom(0), report(null, { hls: ok() }));
    const [count] = await plane.sql<{ n: number }[]>`select count(*)::int as n from network_checks`;
    expect(count?.n).toBe(1);
  });
});

describe('where a teacher finds the check', () => {
  it('an operator’s classroom link comes with its check page, on the same token; other roles’ do not', async () => {
    const path = `/api/v1/events/${ev.eventId}/join-links`;
    const link = await call<JoinLink>('POST', path, OPERATOR_TOKEN, {
      role: 'classroom',
      classroomId: ev.classroomIds[2],
    });
    expect(link.status).toBe(201);
    expect(link.body.checkUrl).toBe(
      `${plane.url}/viewer/check/?event=${ev.eventId}&token=${encodeURIComponent(link.body.token)}`,
    );
    const moderator = await call<JoinLink>('POST', path, OPERATOR_TOKEN, {
      role: 'moderator',
      name: 'Nadia',
    });
    expect(moderator.body.checkUrl).toBeUndefined();
  });
});

describe('the check refuses what it must', () => {
  it('no token, a bad token, another role’s link: precise codes', async () => {
    const none = await call<RestError>('POST', '/api/v1/network-check/sessions', null);
    expect([none.status, none.body.error.code]).toEqual([401, 'UNAUTHORIZED']);
    const bad = await call<RestError>('POST', '/api/v1/network-check/sessions', 'not-a-token');
    expect([bad.status, bad.body.error.code]).toEqual([401, 'TOKEN_INVALID']);
    const speaker = await call<RestError>(
      'POST',
      '/api/v1/network-check/sessions',
      ev.tokens.speaker,
    );
    expect([speaker.status, speaker.body.error.code]).toEqual([403, 'FORBIDDEN']);
  });

  it('a class opens a few checks at once, not more (each holds media for two minutes)', async () => {
    const opened: NetworkCheckSession[] = [];
    for (let i = 0; i < MAX_CHECKS_PER_CLASSROOM; i++) {
      const res = await call<NetworkCheckSession>(
        'POST',
        '/api/v1/network-check/sessions',
        classroom(3),
      );
      expect(res.status).toBe(201);
      opened.push(res.body);
    }
    const more = await call<RestError>('POST', '/api/v1/network-check/sessions', classroom(3));
    expect([more.status, more.body.error.code]).toEqual([429, 'RATE_LIMITED']);
    for (const c of opened) {
      const gone = await call(
        'DELETE',
        `/api/v1/network-check/sessions/${c.checkId}`,
        classroom(3),
      );
      expect(gone.status).toBe(204);
    }
    const again = await call<NetworkCheckSession>(
      'POST',
      '/api/v1/network-check/sessions',
      classroom(3),
    );
    expect(again.status).toBe(201);
    await call('DELETE', `/api/v1/network-check/sessions/${again.body.checkId}`, classroom(3));
  });

  it('takes a link days before the talk', async () => {
    const later = await call<{ id: string }>('POST', '/api/v1/events', OPERATOR_TOKEN, {
      title: 'Métiers de la forêt',
      format: 'solo_45',
      startsAt: new Date(Date.now() + 5 * 86400_000).toISOString(),
      speakerIds: [ev.speakerId],
    });
    expect(later.status).toBe(201);
    await call('POST', `/api/v1/events/${later.body.id}/enrolments/classrooms`, OPERATOR_TOKEN, {
      classroomIds: [ev.classroomIds[4]],
    });
    const link = await call<JoinLink>(
      'POST',
      `/api/v1/events/${later.body.id}/join-links`,
      OPERATOR_TOKEN,
      {
        role: 'classroom',
        classroomId: ev.classroomIds[4],
      },
    );
    const check = await call<NetworkCheckSession>(
      'POST',
      '/api/v1/network-check/sessions',
      link.body.token,
    );
    expect(check.status).toBe(201);
    const overview = await call<NetworkCheckOverview>(
      'GET',
      '/api/v1/network-check',
      link.body.token,
    );
    expect(overview.body.eventTitle).toBe('Métiers de la forêt');
    await call('DELETE', `/api/v1/network-check/sessions/${check.body.checkId}`, link.body.token);
  });

  it('a malformed report: 400 naming the field, nothing stored', async () => {
    const extra = await call<RestError>('POST', '/api/v1/network-check/results', classroom(2), {
      ...report(null, {}),
      ip: '10.0.0.1',
    });
    expect([extra.status, extra.body.error.code]).toEqual([400, 'VALIDATION_FAILED']);
    const wrong = await call<RestError>('POST', '/api/v1/network-check/results', classroom(2), {
      ...report(null, {}),
      downlinkKbps: -5,
    });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.message).toContain('downlinkKbps');
    const notUuid = await call<RestError>(
      'POST',
      '/api/v1/network-check/sessions/nope/transports',
      classroom(2),
    );
    expect([notUuid.status, notUuid.body.error.code]).toEqual([400, 'VALIDATION_FAILED']);
    const none = await call<NetworkCheckOverview>('GET', '/api/v1/network-check', classroom(2));
    expect(none.body.latest).toBeNull();
  });

  it('the web path’s probe: the bytes with the link in the query, never cached; nothing without it', async () => {
    const res = await fetch(
      `${plane.url}/hls/network-check/probe?token=${encodeURIComponent(classroom(2))}`,
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect((await res.arrayBuffer()).byteLength).toBe(HLS_PROBE_BYTES);
    const without = await fetch(`${plane.url}/hls/network-check/probe`);
    expect(without.status).toBe(401);
  });
});
