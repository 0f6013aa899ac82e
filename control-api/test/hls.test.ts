import { ffmpegAvailable } from '@amphi/media-server';
import type { EventReach } from '@amphi/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  egressFfmpegs,
  ffprobe,
  openFiles,
} from '../../media-server/test/support/egressProcesses.ts';
import { createLogger } from '../src/logger.ts';
import { DemoTestPattern } from '../src/rtc/DemoTestPattern.ts';
import { api, useControlPlane } from './support/harness.ts';

// The LL-HLS fallback as a class's player uses it: the playlist with the join
// token, blocking reloads, parts from memory; one FFmpeg per broadcast; no
// media left anywhere once the event ends.

const env = useControlPlane({ mediaNode: {}, seed: { classrooms: 3, status: 'live' } });
let pattern: DemoTestPattern;

beforeAll(async () => {
  pattern = await DemoTestPattern.start({
    broadcast: await env.media.broadcast(env.ev.eventId),
    log: createLogger('silent'),
  });
}, 60_000);

// Before the control plane and its media node close (after-hooks run last registered first).
afterAll(async () => {
  await pattern?.close();
});

const playlistUrl = (token: string, query = '') =>
  `${env.plane.url}/hls/${env.ev.eventId}/playlist.m3u8?token=${encodeURIComponent(token)}${query}`;

/** The last part a playlist lists: `{ msn, part }`. */
function lastPart(playlist: string): { msn: number; part: number } {
  const uris = [...playlist.matchAll(/p\/(\d+)\.(\d+)\.m4s/g)];
  const last = uris.at(-1);
  if (!last) throw new Error(`no part in\n${playlist}`);
  return { msn: Number(last[1]), part: Number(last[2]) };
}

describe.runIf(await ffmpegAvailable())('LL-HLS fallback', () => {
  it('a class without a token gets nothing; with its link, an LL-HLS playlist whose init and parts decode', async () => {
    const refused = await fetch(`${env.plane.url}/hls/${env.ev.eventId}/playlist.m3u8`);
    expect(refused.status).toBe(401);
    const wrong = await fetch(playlistUrl('not-a-token'));
    expect(wrong.status).toBe(401);

    const tokens = env.ev.tokens.classrooms;
    // Three classes ask at once: one egress, one FFmpeg.
    const responses = await Promise.all(tokens.map((t) => fetch(playlistUrl(t))));
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(egressFfmpegs()).toHaveLength(1);
    const res = responses[0] as Response;
    expect(res.headers.get('content-type')).toBe('application/vnd.apple.mpegurl');
    expect(res.headers.get('cache-control')).toBe('private, max-age=1');
    const playlist = await res.text();
    expect(playlist).toContain('#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=');
    expect(playlist).toMatch(/#EXT-X-PART:DURATION=[\d.]+,URI="[\w-]+\/p\/\d+\.\d+\.m4s"/);
    expect(playlist).toContain('#EXT-X-PROGRAM-DATE-TIME:');
    // Media URIs carry no token (a CDN can cache them for every class).
    expect(playlist).not.toContain('token');
    // The first load of a starting egress holds the hold-back a player starts from.
    const holdBack = Number(/PART-HOLD-BACK=([\d.]+)/.exec(playlist)?.[1]);
    const listed = [...playlist.matchAll(/#EXT-X-PART:DURATION=([\d.]+)/g)].reduce(
      (sum, m) => sum + Number(m[1]),
      0,
    );
    expect(listed).toBeGreaterThanOrEqual(holdBack - 0.05);

    const base = `${env.plane.url}/hls/${env.ev.eventId}/`;
    const initUri = /#EXT-X-MAP:URI="([^"]+)"/.exec(playlist)?.[1];
    const init = await fetch(base + initUri);
    expect(init.status).toBe(200);
    expect(init.headers.get('cache-control')).toMatch(/^public, max-age=\d+, immutable$/);
    // An independent part and the ones after it, as a player starting at the live edge reads them.
    const parts = [...playlist.matchAll(/#EXT-X-PART:[^\n]*URI="([^"]+)"(,INDEPENDENT=YES)?/g)];
    let from = parts.length - 1;
    while (from > 0 && !parts[from]?.[2]) from--;
    const bytes = await Promise.all(
      parts
        .slice(from)
        .map(async (p) => Buffer.from(await (await fetch(base + p[1])).arrayBuffer())),
    );
    const probe = await ffprobe(Buffer.concat([Buffer.from(await init.arrayBuffer()), ...bytes]));
    expect(
      Number(probe.streams.find((s) => s.codec_name === 'h264')?.nb_read_frames),
    ).toBeGreaterThan(0);
    // And the class hears the speaker: audio frames, not just an audio track.
    expect(
      Number(probe.streams.find((s) => s.codec_name === 'aac')?.nb_read_frames),
    ).toBeGreaterThan(0);

    // The same playlist asked again by many classes: still one FFmpeg, holding no file.
    await Promise.all(
      Array.from({ length: 10 }, (_, i) => fetch(playlistUrl(tokens[i % 3] as string))),
    );
    const ffmpegs = egressFfmpegs();
    expect(ffmpegs).toHaveLength(1);
    expect(openFiles(ffmpegs[0] as number)).toEqual([]);
  }, 60_000);

  it('a blocking reload is held until the part it names exists, then lists it', async () => {
    const token = env.ev.tokens.classrooms[0] as string;
    /** A blocking reload for the part after `after`: how long it was held, and what it lists. */
    const reload = async (after: { msn: number; part: number }) => {
      const next = { msn: after.msn, part: after.part + 1 };
      const started = Date.now();
      const res = await fetch(playlistUrl(token, `&_HLS_msn=${next.msn}&_HLS_part=${next.part}`));
      const held = Date.now() - started;
      expect(res.status).toBe(200);
      const playlist = await res.text();
      // The part may open the next segment instead (a key frame came first).
      const listed =
        playlist.includes(`p/${next.msn}.${next.part}.m4s`) ||
        playlist.includes(`p/${next.msn + 1}.0.m4s`);
      expect(listed).toBe(true);
      return { held, playlist };
    };
    const now = lastPart(await (await fetch(playlistUrl(token))).text());
    // The first reload is answered when the next part exists, wherever the egress was in
    // it (on a loaded machine, nearly at once); the one after it starts from a fresh part.
    const first = await reload(now);
    const { held } = await reload(lastPart(first.playlist));
    // Held for a part's worth of time rather than answered at once with the old playlist.
    expect(held).toBeGreaterThan(100);
    expect(held).toBeLessThan(3000);

    // Too far ahead of the live edge: refused at once.
    const far = await fetch(playlistUrl(token, `&_HLS_msn=${now.msn + 50}&_HLS_part=0`));
    expect(far.status).toBe(400);
  }, 30_000);

  it('a class on the fallback cannot raise its hand; operators count it on hls; the page may use blob: media', async () => {
    const c = await env.connect(env.ev.tokens.classrooms[2] as string);
    try {
      await c.request('presence.quality', { quality: 'good', path: 'hls' });
      expect(await c.errorOf('hand.raise', {})).toBe('INVALID_STATE');
      const reach = await api<EventReach>(
        env.plane.url,
        'GET',
        `/api/v1/events/${env.ev.eventId}/reach`,
      );
      expect(reach.body.byPath.hls).toBe(1);
      // Back on WebRTC (the ladder climbed back up): its hand goes up again.
      await c.request('presence.quality', { quality: 'good', path: 'udp' });
      expect(await c.request('hand.raise', {})).toMatchObject({
        hand: { classroomId: env.ev.classroomIds[2] },
      });
    } finally {
      await c.close();
    }
    const csp =
      (await fetch(`${env.plane.url}/viewer/`)).headers.get('content-security-policy') ?? '';
    expect(csp).toContain("media-src 'self' blob:");
    expect(csp).toContain("worker-src 'self' blob:");
  });

  it('when the event ends, FFmpeg is gone and no part is served any more', async () => {
    const token = env.ev.tokens.classrooms[0] as string;
    const playlist = await (await fetch(playlistUrl(token))).text();
    const partUri = /URI="([^"]+\/p\/[^"]+)"/.exec(playlist)?.[1];
    const partUrl = `${env.plane.url}/hls/${env.ev.eventId}/${partUri}`;
    expect((await fetch(partUrl)).status).toBe(200);
    const [pid] = egressFfmpegs();
    expect(pid).toBeGreaterThan(0);

    const speaker = await env.connect(env.ev.tokens.speaker);
    try {
      await speaker.request('event.setStatus', { status: 'ended' });
    } finally {
      await speaker.close();
    }
    await expect.poll(() => egressFfmpegs(), { timeout: 5000 }).toEqual([]);
    expect((await fetch(partUrl)).status).toBe(404);
    // And a class asking again starts nothing: the event is over.
    expect((await fetch(playlistUrl(env.ev.tokens.classrooms[1] as string))).status).toBe(409);
    expect(egressFfmpegs()).toEqual([]);
  }, 30_000);
});
