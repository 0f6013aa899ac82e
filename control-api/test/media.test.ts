import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/logger.ts';
import { DemoTestPattern } from '../src/rtc/DemoTestPattern.ts';
import { seedEvent, type TestClient, useControlPlane } from './support/harness.ts';
import { dtlsParameters, vp8 } from './support/rtpParameters.ts';

// Signaling over real mediasoup workers (two, so classrooms land on edge
// routers too), real PostgreSQL, real WebSockets. The stand-in speaker is the
// demo's FFmpeg test pattern.

const log = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');

async function closeAll(...clients: TestClient[]) {
  for (const c of clients) await c.close();
}

describe.each(['in process', 'through a remote media node'] as const)(
  'media over signaling, %s',
  (mode) => {
    const env = useControlPlane({ mediaNode: { workers: 2, mode } });
    const patterns: DemoTestPattern[] = [];
    // Before the control plane and its media node close (after-hooks run last registered first).
    afterAll(async () => {
      for (const p of patterns.splice(0)) await p.close();
    });

    it("gives a classroom the router's capabilities and a transport on the WebRtcServer's ports", async () => {
      const ev = await seedEvent(env.plane.url, { classrooms: 1, status: 'live' });
      const { client, join } = await env.joined(ev.tokens.classrooms[0] as string, ev);
      const mimeTypes = join.routerRtpCapabilities?.codecs?.map((c) => c.mimeType);
      expect(mimeTypes).toEqual(expect.arrayContaining(['audio/opus', 'video/VP8']));

      const t = await client.request('media.createTransport', { direction: 'recv' });
      expect(t.direction).toBe('recv');
      // A browser checks the server's certificate against a SHA-256 fingerprint.
      expect(t.dtlsParameters.fingerprints).toContainEqual({
        algorithm: 'sha-256',
        value: expect.stringMatching(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/),
      });
      const session = (await env.media.broadcast(ev.eventId)).session(join.self.participantId);
      if (!session) throw new Error('no media session for the classroom');
      const server = await session.poolWorker.webRtcServer.dump();
      const udp = t.iceCandidates.find((c) => c.protocol === 'udp');
      const tcp = t.iceCandidates.find((c) => c.protocol === 'tcp');
      expect(udp).toMatchObject({ address: '127.0.0.1', port: server.udpSockets[0]?.port });
      expect(tcp).toMatchObject({
        address: '127.0.0.1',
        port: server.tcpServers[0]?.port,
        tcpType: 'passive',
      });
      // One UDP and one TCP port per worker, whatever the number of transports.
      const again = await client.request('media.createTransport', { direction: 'recv' });
      expect(again.transportId).not.toBe(t.transportId);
      expect(again.iceCandidates.map((c) => c.port).sort()).toEqual(
        t.iceCandidates.map((c) => c.port).sort(),
      );
      await client.request('media.connectTransport', {
        transportId: t.transportId,
        dtlsParameters,
      });
      expect(
        await client.errorOf('media.connectTransport', { transportId: 'nope', dtlsParameters }),
      ).toBe('NOT_FOUND');
      await closeAll(client);
    });

    it('the test pattern stands in for a speaker: listed, consumed paused as VP8 and Opus, resumed', async () => {
      const ev = await seedEvent(env.plane.url, { classrooms: 2, status: 'live' });
      const early = await env.joined(ev.tokens.classrooms[0] as string, ev);
      expect(early.join.state.producers).toEqual([]);

      const broadcast = await env.media.broadcast(ev.eventId);
      const pattern = await DemoTestPattern.start({ broadcast, log, runSeconds: 60 });
      patterns.push(pattern);
      // A classroom already there hears of it; one joining now finds it in the state.
      for (const p of pattern.producers) {
        await early.client.waitForEvent(
          'media.producerAdded',
          (a) => a.producerId === p.producerId,
        );
      }
      const { client, join, caps } = await env.joined(ev.tokens.classrooms[1] as string, ev);
      expect(join.state.producers.map((p) => [p.kind, p.role, p.source]).sort()).toEqual([
        ['audio', 'speaker', 'camera'],
        ['video', 'speaker', 'camera'],
      ]);
      // FFmpeg's RTP arrives: every simulcast layer of the stand-in speaker is live.
      await expect
        .poll(
          async () =>
            (await broadcast.stats()).producers.find((p) => p.kind === 'video')?.activeLayers,
          { timeout: 30_000, interval: 250 },
        )
        .toBe(3);

      const t = await client.request('media.createTransport', { direction: 'recv' });
      const consumers = [];
      for (const p of join.state.producers) {
        const c = await client.request('media.consume', {
          transportId: t.transportId,
          producerId: p.producerId,
          rtpCapabilities: caps,
        });
        expect(c).toMatchObject({ producerId: p.producerId, kind: p.kind, paused: true });
        expect(c.rtpParameters.codecs[0]?.mimeType.toLowerCase()).toBe(
          p.kind === 'video' ? 'video/vp8' : 'audio/opus',
        );
        consumers.push(c);
      }
      const session = broadcast.session(join.self.participantId);
      expect(session?.consumers.every((c) => c.paused)).toBe(true);
      for (const c of consumers) {
        await client.request('media.resumeConsumer', { consumerId: c.consumerId });
      }
      expect(session?.consumers.map((c) => c.paused)).toEqual([false, false]);

      // A weak network: a lower layer for the video, then audio only, then back.
      const video = consumers.find((c) => c.kind === 'video');
      await client.request('media.setPreferredLayers', {
        consumerId: video?.consumerId as string,
        spatialLayer: 0,
      });
      await client.request('media.setAudioOnly', { audioOnly: true });
      expect(session?.consumers.find((c) => c.kind === 'video')?.paused).toBe(true);
      expect(session?.consumers.find((c) => c.kind === 'audio')?.paused).toBe(false);
      await client.request('media.setAudioOnly', { audioOnly: false });
      expect(session?.consumers.map((c) => c.paused)).toEqual([false, false]);

      // Precise errors for what does not exist.
      expect(await client.errorOf('media.resumeConsumer', { consumerId: 'nope' })).toBe(
        'NOT_FOUND',
      );
      expect(
        await client.errorOf('media.consume', {
          transportId: 'nope',
          producerId: video?.producerId as string,
          rtpCapabilities: caps,
        }),
      ).toBe('NOT_FOUND');
      // Stopped: every client that saw its producers is told they are gone.
      await pattern.close();
      for (const p of join.state.producers) {
        await client.waitForEvent('media.producerClosed', (c) => c.producerId === p.producerId);
      }
      expect(await env.media.listProducers(ev.eventId)).toEqual([]);
      await closeAll(early.client, client);
    });

    it('the test pattern starts FFmpeg again when it ends, on the same producers', async () => {
      const ev = await seedEvent(env.plane.url, { classrooms: 1, status: 'live' });
      const broadcast = await env.media.broadcast(ev.eventId);
      const pattern = await DemoTestPattern.start({ broadcast, log, runSeconds: 2 });
      patterns.push(pattern);
      const first = pattern.ffmpegPid;
      const producers = pattern.producers.map((p) => p.producerId);
      expect(first).toBeGreaterThan(0);
      await expect
        .poll(() => pattern.ffmpegPid, { timeout: 15_000, interval: 100 })
        .not.toBeOneOf([first, undefined]);
      expect((await env.media.listProducers(ev.eventId)).map((p) => p.producerId).sort()).toEqual(
        producers.sort(),
      );
      // The second run's RTP reaches the same video producer (past the bitrate's 1 s window,
      // what the first run sent no longer counts).
      await new Promise((r) => setTimeout(r, 2000));
      const bytes = async () =>
        (await broadcast.stats()).producers.find((p) => p.kind === 'video')?.bitrate ?? 0;
      await expect.poll(bytes, { timeout: 15_000, interval: 250 }).toBeGreaterThan(0);
      await pattern.close();
      expect(pattern.ffmpegPid).toBeUndefined();
    });

    it('a classroom sends its camera only once live on stage, and only speakers and moderators get it', async () => {
      const ev = await seedEvent(env.plane.url, { classrooms: 2, status: 'live' });
      const speaker = await env.joined(ev.tokens.speaker, ev);
      const moderator = await env.joined(ev.tokens.moderator, ev);
      const onStage = await env.joined(ev.tokens.classrooms[0] as string, ev);
      const other = await env.joined(ev.tokens.classrooms[1] as string, ev);
      const c0 = onStage.client;

      expect(
        await c0.errorOf('media.produce', {
          transportId: 'x',
          kind: 'video',
          rtpParameters: vp8(1111),
          source: 'stage',
        }),
      ).toBe('NOT_ON_STAGE');
      expect(await c0.errorOf('media.createTransport', { direction: 'send' })).toBe('NOT_ON_STAGE');

      await moderator.client.request('stage.invite', { classroomId: ev.classroomIds[0] as string });
      await c0.waitForEvent('stage.updated', (s) => s.stage?.status === 'invited');
      await c0.request('stage.respond', { accept: true });
      const send = await c0.request('media.createTransport', { direction: 'send' });
      await c0.request('media.connectTransport', { transportId: send.transportId, dtlsParameters });
      const { producerId } = await c0.request('media.produce', {
        transportId: send.transportId,
        kind: 'video',
        rtpParameters: vp8(2222),
        source: 'stage',
      });
      const added = await speaker.client.waitForEvent(
        'media.producerAdded',
        (p) => p.producerId === producerId,
      );
      expect(added).toMatchObject({
        role: 'classroom',
        source: 'stage',
        kind: 'video',
        classroomId: ev.classroomIds[0],
      });
      // Captioned with the class's name, for the speaker's stage tile.
      expect(added.name).toContain('Collège 0');
      await moderator.client.waitForEvent(
        'media.producerAdded',
        (p) => p.producerId === producerId,
      );
      expect(other.client.eventsOf('media.producerAdded')).toEqual([]);

      // The other classroom cannot receive it, even knowing its id.
      const otherRecv = await other.client.request('media.createTransport', { direction: 'recv' });
      expect(
        await other.client.errorOf('media.consume', {
          transportId: otherRecv.transportId,
          producerId,
          rtpCapabilities: other.caps,
        }),
      ).toBe('FORBIDDEN');
      // The speaker and the moderator do, from the origin (piped from the classroom's edge).
      for (const who of [speaker, moderator]) {
        const recv = await who.client.request('media.createTransport', { direction: 'recv' });
        const c = await who.client.request('media.consume', {
          transportId: recv.transportId,
          producerId,
          rtpCapabilities: who.caps,
        });
        expect(c).toMatchObject({ kind: 'video', paused: true });
        expect(c.rtpParameters.codecs[0]?.mimeType.toLowerCase()).toBe('video/vp8');
        await who.client.request('media.resumeConsumer', { consumerId: c.consumerId });
      }
      // Moderators never send.
      expect(await moderator.client.errorOf('media.createTransport', { direction: 'send' })).toBe(
        'FORBIDDEN',
      );

      // Off stage: the producer is closed on the media node and everyone concerned is told.
      await moderator.client.request('stage.leave', {});
      await speaker.client.waitForEvent('media.producerClosed', (p) => p.producerId === producerId);
      await expect
        .poll(async () => (await env.media.listProducers(ev.eventId)).map((p) => p.producerId))
        .not.toContain(producerId);
      await closeAll(speaker.client, moderator.client, c0, other.client);
    });

    it('announces each producer once when it opens and once when it closes, whatever closes it', async () => {
      const ev = await seedEvent(env.plane.url, { classrooms: 1, status: 'live' });
      const moderator = await env.joined(ev.tokens.moderator, ev);
      const speaker = await env.joined(ev.tokens.speaker, ev);
      const cls = await env.joined(ev.tokens.classrooms[0] as string, ev);
      const send = await speaker.client.request('media.createTransport', { direction: 'send' });
      const produce = (n: number) =>
        speaker.client.request('media.produce', {
          transportId: send.transportId,
          kind: 'video',
          rtpParameters: vp8(n),
          source: 'camera',
        });
      // Closed by its owner.
      const closedByOwner = (await produce(5551)).producerId;
      await speaker.client.request('media.closeProducer', { producerId: closedByOwner });
      // Closed by the end of the stage turn.
      await moderator.client.request('stage.invite', { classroomId: ev.classroomIds[0] as string });
      await cls.client.request('stage.respond', { accept: true });
      const stageSend = await cls.client.request('media.createTransport', { direction: 'send' });
      const { producerId: closedByStage } = await cls.client.request('media.produce', {
        transportId: stageSend.transportId,
        kind: 'video',
        rtpParameters: vp8(5552),
        source: 'stage',
      });
      await moderator.client.request('stage.leave', {});
      // Closed with its owner's socket.
      const closedWithSocket = (await produce(5553)).producerId;
      await speaker.client.close();
      const ids = [closedByOwner, closedByStage, closedWithSocket];
      for (const producerId of ids) {
        await moderator.client.waitForEvent(
          'media.producerClosed',
          (p) => p.producerId === producerId,
        );
      }
      await new Promise((r) => setTimeout(r, 200));
      const count = (event: 'media.producerAdded' | 'media.producerClosed', id: string) =>
        moderator.client.eventsOf(event).filter((p) => p.producerId === id).length;
      expect(
        ids.map((id) => [count('media.producerAdded', id), count('media.producerClosed', id)]),
      ).toEqual([
        [1, 1],
        [1, 1],
        [1, 1],
      ]);
      await closeAll(moderator.client, cls.client);
    });

    it("closing a socket frees the participant's media", async () => {
      const ev = await seedEvent(env.plane.url, { classrooms: 2, status: 'live' });
      const speaker = await env.joined(ev.tokens.speaker, ev);
      const send = await speaker.client.request('media.createTransport', { direction: 'send' });
      const { producerId } = await speaker.client.request('media.produce', {
        transportId: send.transportId,
        kind: 'video',
        rtpParameters: vp8(3333),
        source: 'camera',
      });
      const watcher = await env.joined(ev.tokens.classrooms[1] as string, ev);
      const leaver = await env.joined(ev.tokens.classrooms[0] as string, ev);
      const recv = await leaver.client.request('media.createTransport', { direction: 'recv' });
      await leaver.client.request('media.consume', {
        transportId: recv.transportId,
        producerId,
        rtpCapabilities: leaver.caps,
      });
      const broadcast = await env.media.broadcast(ev.eventId);
      const session = broadcast.session(leaver.join.self.participantId);
      if (!session) throw new Error('no media session for the classroom');
      const { router } = session;
      expect((await router.dump()).transportIds).toContain(recv.transportId);

      await leaver.client.close();
      await expect.poll(() => broadcast.session(leaver.join.self.participantId)).toBeUndefined();
      expect(session.closed).toBe(true);
      expect((await router.dump()).transportIds).not.toContain(recv.transportId);

      // The speaker leaving takes its camera away from everyone, who is told.
      const origin = broadcast.session(speaker.join.self.participantId)?.router;
      await speaker.client.close();
      await watcher.client.waitForEvent('media.producerClosed', (p) => p.producerId === producerId);
      await expect.poll(() => broadcast.session(speaker.join.self.participantId)).toBeUndefined();
      expect((await origin?.dump())?.transportIds).not.toContain(send.transportId);
      expect(await env.media.listProducers(ev.eventId)).toEqual([]);
      await closeAll(watcher.client);
    });

    it('a classroom whose worker dies is asked to reconnect its media, and can', async () => {
      const ev = await seedEvent(env.plane.url, { classrooms: 4, status: 'live' });
      const speaker = await env.joined(ev.tokens.speaker, ev);
      const send = await speaker.client.request('media.createTransport', { direction: 'send' });
      const { producerId } = await speaker.client.request('media.produce', {
        transportId: send.transportId,
        kind: 'video',
        rtpParameters: vp8(4444),
        source: 'camera',
      });
      const broadcast = await env.media.broadcast(ev.eventId);
      // Classrooms are spread over the workers: take one on an edge (not the speaker's worker).
      const classes: Awaited<ReturnType<typeof env.joined>>[] = [];
      let victim: Awaited<ReturnType<typeof env.joined>> | undefined;
      for (const token of ev.tokens.classrooms) {
        const c = await env.joined(token, ev);
        classes.push(c);
        await c.client.request('media.createTransport', { direction: 'recv' });
        if (broadcast.session(c.join.self.participantId)?.router.id !== broadcast.originRouterId) {
          victim = c;
          break;
        }
      }
      if (!victim) throw new Error('no classroom was placed on an edge router');
      const poolWorker = broadcast.session(victim.join.self.participantId)?.poolWorker;
      const pid = poolWorker?.worker.pid as number;
      const workersBefore = env.media.pool.workers.length;

      process.kill(pid, 'SIGKILL');
      const notice = await victim.client.waitForEvent('media.reconnect', () => true, 10_000);
      expect(notice.reason).toBe('media_lost');
      expect(speaker.client.eventsOf('media.reconnect')).toEqual([]);

      // Once the worker is back, the classroom sets its media up again and receives the speaker.
      await expect
        .poll(() => env.media.pool.workers.length, { timeout: 10_000 })
        .toBe(workersBefore);
      const recv = await victim.client.request('media.createTransport', { direction: 'recv' });
      const c = await victim.client.request('media.consume', {
        transportId: recv.transportId,
        producerId,
        rtpCapabilities: victim.caps,
      });
      expect(c.paused).toBe(true);
      await victim.client.request('media.resumeConsumer', { consumerId: c.consumerId });
      // Its new session on the rebuilt router sends it the speaker again.
      const session = broadcast.session(victim.join.self.participantId);
      expect(session?.consumers.map((x) => [x.id, x.paused])).toEqual([[c.consumerId, false]]);
      await closeAll(speaker.client, ...classes.map((x) => x.client));
    });
  },
);
