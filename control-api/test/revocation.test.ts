import { randomUUID } from 'node:crypto';
import type { JoinLink } from '@amphi/protocol';
import { describe, expect, it } from 'vitest';
import { Revocations } from '../src/auth/Revocations.ts';
import type { Bus, GapHandler } from '../src/bus/Bus.ts';
import { createLogger } from '../src/logger.ts';
import { api, refusal, TestClient, useControlPlane } from './support/harness.ts';

/**
 * An operator revokes one join link (a link forwarded beyond the class, a
 * pupil's parent who asked): the link no longer admits anyone, over REST or
 * WebSocket, on any instance, and a socket already open with it is closed.
 */
describe('revoking a join link', () => {
  // Two instances behind one Redis bus, as behind a load balancer.
  const env = useControlPlane({ instances: 2, seed: { classrooms: 2, status: 'live' } });
  const issue = async (classroomId: string) => {
    const r = await api<JoinLink>(
      env.plane.url,
      'POST',
      `/api/v1/events/${env.ev.eventId}/join-links`,
      { role: 'classroom', classroomId },
    );
    expect(r.status).toBe(201);
    return r.body;
  };
  const revoke = (tokenId: string, token: string | null | undefined = undefined) =>
    api<{ tokenId: string; eventId: string; revokedAt: string } | { error: { code: string } }>(
      env.plane.url,
      'POST',
      `/api/v1/events/${env.ev.eventId}/join-links/${tokenId}/revoke`,
      undefined,
      token,
    );
  const codeOf = (r: { body: unknown }) => (r.body as { error?: { code?: string } }).error?.code;
  const submit = (token: string) =>
    api(
      env.plane.url,
      'POST',
      '/api/v1/registration/questions',
      {
        idempotencyKey: `k-${Math.random().toString(36).slice(2, 12)}`,
        text: 'Comment êtes-vous devenue ingénieure du son ?',
        category: 'training_path',
      },
      token,
    );
  const read = (token: string) =>
    api(env.plane.url, 'GET', '/api/v1/registration/questions', undefined, token);

  it('refuses the link at REST and at the upgrade, on every instance, and closes its open socket', async () => {
    const classroomA = env.ev.classroomIds[0] as string;
    const link = await issue(classroomA);
    expect(link.tokenId).toMatch(/^[0-9a-f-]{36}$/);
    // Another link of the same classroom, and another classroom's: untouched.
    const sibling = await issue(classroomA);
    const other = env.ev.tokens.classrooms[1] as string;

    expect((await submit(link.token)).status).toBe(201);
    const onFirst = await env.connect(link.token, env.planes[0]);
    const onSecond = await env.connect(link.token, env.planes[1]);
    const siblingSocket = await env.connect(sibling.token, env.planes[1]);

    const started = performance.now();
    const revoked = await revoke(link.tokenId);
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ tokenId: link.tokenId, eventId: env.ev.eventId });

    // Both open sockets are closed with a code the apps treat as final.
    expect(await onFirst.closed).toEqual({ code: 4011, reason: 'this join link was revoked' });
    expect(await onSecond.closed).toEqual({ code: 4011, reason: 'this join link was revoked' });
    const closedAfterMs = performance.now() - started;
    expect(closedAfterMs).toBeLessThan(2000);

    for (const plane of env.planes) {
      const again = await refusal(TestClient.connect(plane.url, env.ev.eventId, link.token));
      expect([again.status, again.code]).toEqual([401, 'TOKEN_REVOKED']);
    }
    const posted = await submit(link.token);
    expect([posted.status, codeOf(posted)]).toEqual([401, 'TOKEN_REVOKED']);
    const listed = await read(link.token);
    expect([listed.status, codeOf(listed)]).toEqual([401, 'TOKEN_REVOKED']);

    // Only that link: the classroom's other link and the other classroom still work.
    // The sibling link's socket is still served: the server answers with its clock.
    const pong = (await siblingSocket.request('ping', {})) as { now: number };
    expect(Math.abs(pong.now - Date.now())).toBeLessThan(5_000);
    expect((await submit(sibling.token)).status).toBe(201);
    expect((await submit(other)).status).toBe(201);
    const otherSocket = await env.connect(other, env.planes[0]);
    await otherSocket.request('ping', {});

    // Revoking again changes nothing and says when it was first revoked.
    const twice = await revoke(link.tokenId);
    expect(twice.status).toBe(200);
    expect(twice.body).toEqual(revoked.body);
    const rows =
      await env.db`select token_id, event_id from join_link_revocations where token_id = ${link.tokenId}`;
    expect(rows).toHaveLength(1);
  });

  it('is for operators only', async () => {
    const link = await issue(env.ev.classroomIds[1] as string);
    const anonymous = await revoke(link.tokenId, null);
    expect([anonymous.status, codeOf(anonymous)]).toEqual([401, 'UNAUTHORIZED']);
    // Not even with the moderator's join link, nor by the link itself.
    const moderator = await revoke(link.tokenId, env.ev.tokens.moderator);
    expect([moderator.status, codeOf(moderator)]).toEqual([401, 'UNAUTHORIZED']);
    const self = await revoke(link.tokenId, link.token);
    expect([self.status, codeOf(self)]).toEqual([401, 'UNAUTHORIZED']);
    expect((await submit(link.token)).status).toBe(201);
  });

  it('an instance that missed the message still refuses the link within 5 s, and at once after a bus gap', async () => {
    let now = Date.now();
    const gaps: GapHandler[] = [];
    const deaf = {
      subscribe: () => () => {},
      onGap: (h: GapHandler) => {
        gaps.push(h);
        return () => {};
      },
    } as unknown as Bus;
    const revocations = new Revocations({
      sql: env.plane.sql,
      bus: deaf,
      log: createLogger('silent'),
      now: () => now,
    });
    const revokeBehindItsBack = (tokenId: string) =>
      env.db`insert into join_link_revocations (token_id, event_id) values (${tokenId}, ${env.ev.eventId})`;

    const missed = randomUUID();
    expect(await revocations.isRevoked(missed)).toBe(false);
    await revokeBehindItsBack(missed);
    now += 4_900;
    expect(await revocations.isRevoked(missed)).toBe(false); // its cached answer
    now += 100;
    expect(await revocations.isRevoked(missed)).toBe(true);

    const duringGap = randomUUID();
    expect(await revocations.isRevoked(duringGap)).toBe(false);
    await revokeBehindItsBack(duringGap);
    for (const gap of gaps) gap(null);
    expect(await revocations.isRevoked(duringGap)).toBe(true);
    revocations.close();
  });

  it('answers 404 for an event that does not exist', async () => {
    const r = await api(
      env.plane.url,
      'POST',
      `/api/v1/events/00000000-0000-4000-8000-000000000000/join-links/00000000-0000-4000-8000-000000000001/revoke`,
    );
    expect([r.status, codeOf(r)]).toEqual([404, 'NOT_FOUND']);
  });
});
