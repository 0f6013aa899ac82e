import { EventBoard } from '@amphi/protocol';
import { describe, expect, it } from 'vitest';
import { api, useControlPlane } from './support/harness.ts';

// Two control-api instances behind a balancer (one database, a Redis bus):
// each exports the sockets it holds, so Prometheus's sum is everyone; the
// live board, asked of either, counts the classrooms of both.

const METRICS_TOKEN = 'test-metrics-token-cluster-0123';

describe('metrics across instances', () => {
  const env = useControlPlane({
    instances: 2,
    metricsToken: METRICS_TOKEN,
    seed: { classrooms: 2 },
  });

  const participants = async (url: string) => {
    const text = await (
      await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })
    ).text();
    return text
      .split('\n')
      .filter((l) => l.startsWith('amphi_participants{role="classroom"'))
      .reduce((n, l) => n + Number(l.split(' ').at(-1)), 0);
  };

  it('each instance counts its own classrooms; the board on either counts both', async () => {
    const [first, second] = env.planes as [(typeof env.planes)[0], (typeof env.planes)[0]];
    const a = await env.connect(env.ev.tokens.classrooms[0] as string, first);
    await a.request('join', {});
    await a.request('presence.quality', { quality: 'good', path: 'udp' });
    const b = await env.connect(env.ev.tokens.classrooms[1] as string, second);
    await b.request('join', {});
    await b.request('presence.quality', { quality: 'degraded', path: 'tcp' });

    expect(await participants(first.url)).toBe(1);
    expect(await participants(second.url)).toBe(1);
    for (const plane of [first, second]) {
      await expect
        .poll(
          async () =>
            EventBoard.parse(
              (await api(plane.url, 'GET', `/api/v1/events/${env.ev.eventId}/board`)).body,
            ).classrooms,
          { timeout: 10_000 },
        )
        .toMatchObject({
          connected: 2,
          byRegion: { Occitanie: 1, Guadeloupe: 1 },
          byPath: { udp: 1, tcp: 1, relay: 0, hls: 0, unknown: 0 },
          byQuality: { good: 1, degraded: 1, bad: 0, unknown: 0 },
        });
    }
  });
});
