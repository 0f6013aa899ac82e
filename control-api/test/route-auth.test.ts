import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ControlPlane } from '../src/server.ts';
import {
  api,
  createTestDatabase,
  JOIN_SECRET,
  OPERATOR_TOKEN,
  refusal,
  type SeededEvent,
  seedEvent,
  startInstance,
  TestClient,
  useControlPlane,
} from './support/harness.ts';

type Err = { error?: { code?: string } };
type OpenApi = {
  paths: Record<string, Record<string, { security?: Record<string, string[]>[] }>>;
};

/**
 * Routes nobody needs a credential for: the console's sign-in
 * (console-accounts.test.ts), and the teachers' portal's public catalogue,
 * school search and class enrolment (portal.test.ts).
 */
const OPEN_ROUTES = new Set([
  'post /api/v1/console/session',
  'get /api/v1/catalogue',
  'get /api/v1/catalogue/{eventId}',
  'get /api/v1/schools/search',
  'post /api/v1/catalogue/{eventId}/enrolments',
]);

/**
 * Every REST route names its credential in the OpenAPI document (`security`),
 * and the one hook for that credential enforces it: this walks the document,
 * so that a route added later is checked too.
 */
describe('each protected route', () => {
  const env = useControlPlane({ seed: { classrooms: 1 } });

  it('answers 401 without credentials, and with the other kind of credential', async () => {
    const doc = (await api<OpenApi>(env.plane.url, 'GET', '/api/openapi.json', undefined, null))
      .body;
    const rows: string[] = [];
    let operator = 0;
    let joinToken = 0;
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(operations)) {
        // Open on purpose, and checked by their own tests.
        if (OPEN_ROUTES.has(`${method} ${path}`)) continue;
        const url = path.replace(/\{[^}]+\}/g, () => randomUUID());
        const schemes = (op.security ?? []).flatMap((s) => Object.keys(s));
        // Nothing under /api/v1 is open: a route that forgets its credential fails here.
        expect(schemes.length, `${method} ${path} declares no credential`).toBeGreaterThan(0);
        const call = (token: string | null) =>
          api<Err>(
            env.plane.url,
            method.toUpperCase(),
            url,
            method === 'get' ? undefined : {},
            token,
          );
        const none = await call(null);
        const other = await call(
          schemes.includes('operator') ? (env.ev.tokens.classrooms[0] as string) : OPERATOR_TOKEN,
        );
        rows.push(
          `${method.toUpperCase()} ${path} [${schemes}]: ${none.status} ${none.body?.error?.code}, other credential ${other.status} ${other.body?.error?.code}`,
        );
        expect([none.status, none.body?.error?.code], `${method} ${path}`).toEqual([
          401,
          'UNAUTHORIZED',
        ]);
        expect(other.status, `${method} ${path} with the wrong kind of credential`).toBe(401);
        if (schemes.includes('operator')) operator++;
        if (schemes.includes('joinToken')) joinToken++;
      }
    }
    // The document did list the routes (a test over nothing proves nothing).
    expect(operator).toBeGreaterThanOrEqual(15);
    // At least: registration's two, the portal's class page, the network check's.
    expect(joinToken).toBeGreaterThanOrEqual(4);
    if (process.env.SHOW_ROUTE_AUTH) console.log(rows.join('\n'));
  });

  it('the WebSocket upgrade too', async () => {
    const bare = `${env.plane.url.replace(/^http/, 'ws')}/v1/events/${env.ev.eventId}/ws?v=1`;
    const none = await refusal(TestClient.connectUrl(bare));
    expect([none.status, none.code]).toEqual([401, 'UNAUTHORIZED']);
    const operator = await refusal(
      TestClient.connectUrl(`${bare}&token=${encodeURIComponent(OPERATOR_TOKEN)}`),
    );
    expect([operator.status, operator.code]).toEqual([401, 'TOKEN_INVALID']);
  });
});

/**
 * Rotating the join-token secret and the operator credential: an instance
 * given the new ones and the previous ones keeps every link and script
 * working while new links are signed with the new key.
 */
describe('key rotation', () => {
  const NEW_SECRET = 'rotated-join-secret-rotated-join-secret-0001';
  const NEW_OPERATOR = 'rotated-operator-credential-0001';
  let before: ControlPlane;
  let rotated: ControlPlane;
  let ev: SeededEvent;

  beforeAll(async () => {
    const databaseUrl = await createTestDatabase();
    before = await startInstance({ databaseUrl });
    rotated = await startInstance({
      databaseUrl,
      more: {
        joinTokenSecret: NEW_SECRET,
        joinTokenPreviousSecrets: [JOIN_SECRET],
        operatorToken: NEW_OPERATOR,
        operatorPreviousTokens: [OPERATOR_TOKEN],
      },
    });
    ev = await seedEvent(before.url, { classrooms: 1 });
  });
  afterAll(async () => {
    await rotated?.close();
    await before?.close();
  });

  it('links signed with the previous key still join; new links use the new key', async () => {
    const old = await TestClient.connect(rotated.url, ev.eventId, ev.tokens.moderator);
    expect(old.eventsOf('welcome')[0]?.self.role).toBe('moderator');
    await old.close();

    const fresh = await api<{ token: string }>(
      rotated.url,
      'POST',
      `/api/v1/events/${ev.eventId}/join-links`,
      { role: 'moderator', name: 'Nadia' },
      NEW_OPERATOR,
    );
    expect(fresh.status).toBe(201);
    const c = await TestClient.connect(rotated.url, ev.eventId, fresh.body.token);
    await c.close();
    // An instance that was never given the new key refuses it: give every instance the
    // new secret as a previous one first, then make it the current one.
    const unknownKey = await refusal(TestClient.connect(before.url, ev.eventId, fresh.body.token));
    expect([unknownKey.status, unknownKey.code]).toEqual([401, 'TOKEN_INVALID']);
  });

  it('accepts the previous operator credential beside the new one', async () => {
    for (const credential of [NEW_OPERATOR, OPERATOR_TOKEN]) {
      expect((await api(rotated.url, 'GET', '/api/v1/events', undefined, credential)).status).toBe(
        200,
      );
    }
    const wrong = await api<Err>(rotated.url, 'GET', '/api/v1/events', undefined, 'x'.repeat(32));
    expect([wrong.status, wrong.body.error?.code]).toEqual([401, 'UNAUTHORIZED']);
  });
});
