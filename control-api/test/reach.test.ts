import { randomUUID } from 'node:crypto';
import type { EventReach } from '@amphi/protocol';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JoinTokens } from '../src/auth/JoinTokens.ts';
import { ConfigSchema, turnSettings } from '../src/config.ts';
import { turnCredentials } from '../src/rtc/turnCredentials.ts';
import type { ControlPlane } from '../src/server.ts';
import { allocates, type Coturn, startCoturn } from './support/coturn.ts';
import {
  api,
  createTestDatabase,
  JOIN_SECRET,
  type SeededEvent,
  seedEvent,
  startInstance,
  TestClient,
} from './support/harness.ts';

// Reach: the TURN relay's credentials a participant gets with its join (checked
// by a real coturn), and the media path each classroom reports, as moderators
// and operators see it.

let turn: Coturn;
let plane: ControlPlane;
/** Shares plane's database and Redis bus, as behind a load balancer. */
let second: ControlPlane;
/** No TURN configured. */
let bare: ControlPlane;
let ev: SeededEvent;
const clients: TestClient[] = [];

beforeAll(async () => {
  turn = await startCoturn();
  const databaseUrl = await createTestDatabase();
  const redis = { namespace: `t-${randomUUID()}` };
  plane = await startInstance({ databaseUrl, redis, turn: turn.settings });
  second = await startInstance({ databaseUrl, redis, turn: turn.settings });
  bare = await startInstance({ databaseUrl });
  ev = await seedEvent(plane.url, { classrooms: 3, status: 'live' });
});

afterAll(async () => {
  for (const c of clients) await c.close();
  await plane?.close();
  await second?.close();
  await bare?.close();
  await turn?.close();
});

async function connect(token: string, on: ControlPlane = plane): Promise<TestClient> {
  const c = await TestClient.connect(on.url, ev.eventId, token);
  clients.push(c);
  return c;
}

describe('TURN credentials with the join', () => {
  it('gives each participant its own credentials, which coturn accepts over UDP and over TLS', async () => {
    const token = ev.tokens.classrooms[0] as string;
    const c = await connect(token);
    const join = await c.request('join', {});
    expect(join.iceServers).toHaveLength(1);
    const server = join.iceServers[0];
    if (!server) throw new Error('no ice server');
    expect(server.urls).toEqual([
      `turn:127.0.0.1:${turn.port}?transport=udp`,
      `turns:127.0.0.1:${turn.tlsPort}?transport=tcp`,
    ]);
    // expiry:participantId, the expiry being the join token's.
    const exp = decodeJwt(token).exp;
    expect(server.username).toBe(`${exp}:${join.self.participantId}`);
    expect(JSON.stringify(join)).not.toContain(turn.settings.secret);

    expect(await allocates(turn, server, 'udp')).toBe(true);
    expect(await allocates(turn, server, 'tls')).toBe(true);

    // Another participant, other credentials; a username altered (a later expiry) fails.
    const other = (await (await connect(ev.tokens.classrooms[1] as string)).request('join', {}))
      .iceServers[0];
    expect(other?.username).not.toBe(server.username);
    expect(other?.credential).not.toBe(server.credential);
    const later = `${Number(exp) + 86_400}:${join.self.participantId}`;
    expect(await allocates(turn, { ...server, username: later }, 'udp')).toBe(false);
  });

  it('expires with the join link: a link valid 3 s gets credentials refused once it has expired', async () => {
    const { token } = await new JoinTokens(JOIN_SECRET).issue(
      {
        role: 'classroom',
        eventId: ev.eventId,
        classroomId: ev.classroomIds[2] as string,
        speakerId: null,
        name: '',
      },
      3,
    );
    const c = await connect(token);
    const server = (await c.request('join', {})).iceServers[0];
    if (!server) throw new Error('no ice server');
    expect(await allocates(turn, server, 'udp')).toBe(true);
    const exp = Number(server.username.split(':')[0]);
    await new Promise((r) => setTimeout(r, Math.max(0, exp * 1000 - Date.now()) + 1500));
    expect(await allocates(turn, server, 'udp')).toBe(false);
    // The same scheme with a secret coturn does not know: refused too.
    const forged = turnCredentials(
      { secret: 'not-the-secret-0123456789', urls: [] },
      'someone',
      Date.now() / 1000 + 600,
    );
    expect(await allocates(turn, forged, 'tls')).toBe(false);
  });

  it('offers no relay when TURN is not configured (the embedded default)', async () => {
    const c = await connect(ev.tokens.moderator, bare);
    expect((await c.request('join', {})).iceServers).toEqual([]);
  });

  it('reads its settings from the environment: off by default, URLs from TURN_HOST, an error without any', () => {
    expect(turnSettings(ConfigSchema.parse({}))).toBeNull();
    expect(
      turnSettings(
        ConfigSchema.parse({ TURN_SECRET: 'a-long-shared-secret', TURN_HOST: 'turn.example.org' }),
      ),
    ).toEqual({
      secret: 'a-long-shared-secret',
      urls: [
        'turn:turn.example.org:3478?transport=udp',
        'turns:turn.example.org:443?transport=tcp',
      ],
    });
    expect(
      turnSettings(
        ConfigSchema.parse({
          TURN_SECRET: 'a-long-shared-secret',
          TURN_URLS: 'turns:relay.example.org:5349?transport=tcp',
        }),
      )?.urls,
    ).toEqual(['turns:relay.example.org:5349?transport=tcp']);
    expect(() => turnSettings(ConfigSchema.parse({ TURN_SECRET: 'a-long-shared-secret' }))).toThrow(
      /TURN_URLS or TURN_HOST/,
    );
    expect(ConfigSchema.safeParse({ TURN_URLS: 'http://nope' }).success).toBe(false);
  });
});

describe('media paths, as moderators and operators see them', () => {
  it('shows each classroom’s reported path to the moderator and counts them per path for operators', async () => {
    const moderator = await connect(ev.tokens.moderator);
    await moderator.request('join', {});
    const a = await connect(ev.tokens.classrooms[0] as string);
    const b = await connect(ev.tokens.classrooms[1] as string);
    await a.request('presence.quality', { quality: 'good', path: 'turn-tls' });
    await b.request('presence.quality', { quality: 'good', path: 'tcp' });
    const pathOf = async (classroomId: string) =>
      (await moderator.request('presence.get', {})).participants
        .filter((p) => p.classroomId === classroomId)
        .map((p) => p.path);
    await expect.poll(() => pathOf(ev.classroomIds[0] as string)).toContain('turn-tls');
    await expect.poll(() => pathOf(ev.classroomIds[1] as string)).toContain('tcp');

    const reach = await api<EventReach>(plane.url, 'GET', `/api/v1/events/${ev.eventId}/reach`);
    expect(reach.status).toBe(200);
    expect(reach.body.byPath['turn-tls']).toBeGreaterThanOrEqual(1);
    expect(reach.body.byPath.tcp).toBeGreaterThanOrEqual(1);
    expect(reach.body.byPath.udp).toBe(0);
    const counted = Object.values(reach.body.byPath).reduce((x, y) => x + y, 0);
    expect(counted + reach.body.unknown).toBe(reach.body.classrooms);

    // A path that changes is told again; a quality-only report keeps the path.
    await b.request('presence.quality', { quality: 'degraded' });
    await b.request('presence.quality', { quality: 'good', path: 'udp' });
    await expect.poll(() => pathOf(ev.classroomIds[1] as string)).toContain('udp');

    // An operator asking the other instance, where none of these sockets is, gets the same
    // counts (from the presence snapshots the first one publishes on the bus).
    await expect
      .poll(
        async () =>
          (await api<EventReach>(second.url, 'GET', `/api/v1/events/${ev.eventId}/reach`)).body
            .byPath,
        { timeout: 10_000 },
      )
      .toMatchObject({ 'turn-tls': 1, udp: 1, tcp: 0 });
    // Operators only; an unknown event is 404; an unknown path is refused at the socket.
    expect(
      (await api(plane.url, 'GET', `/api/v1/events/${ev.eventId}/reach`, undefined, null)).status,
    ).toBe(401);
    expect((await api(plane.url, 'GET', `/api/v1/events/${randomUUID()}/reach`)).status).toBe(404);
    await expect(
      a.request('presence.quality', { quality: 'good', path: 'carrier-pigeon' as never }),
    ).rejects.toThrow(/VALIDATION|INVALID/);
  });
});
