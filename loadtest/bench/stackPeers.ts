// One stack's side of the stack benchmark (see stacks.ts): K receive-only
// peers of one Node WebRTC implementation, each on its own mediasoup
// WebRtcTransport, receiving the same VP8 + Opus broadcast; prints one JSON line.
import { parseArgs } from 'node:util';
import type { RtpParameters } from '@amphi/protocol';
import * as mediasoup from 'mediasoup';
import { CLASSROOM_RTP_CAPABILITIES, OPUS_SILENCE } from '../src/media/capabilities.ts';
import { packetizeVp8, writeRtp } from '../src/media/rtp.ts';
import { localDtls, recvOffer } from '../src/media/sdp.ts';
import { loadVp8Clip } from '../src/media/vp8Clip.ts';

export type StackName = 'node-datachannel' | '@roamhq/wrtc' | 'werift';

interface Receiver {
  /** Answers the server's offer; resolves with the local answer. */
  answer(offer: string): Promise<string>;
  packets(): Promise<number>;
  close(): void;
}

async function receiverFactory(stack: StackName): Promise<() => Receiver> {
  if (stack === 'node-datachannel') {
    const { PeerConnection } = await import('node-datachannel');
    let n = 0;
    return () => {
      const pc = new PeerConnection(`peer${n++}`, { iceServers: [] });
      let count = 0;
      // Held: a Track nothing refers to is collected, and its callback with it.
      const tracks: unknown[] = [];
      pc.onTrack((track) => {
        tracks.push(track);
        track.onMessage(() => count++);
      });
      return {
        answer: (offer) =>
          new Promise((resolve) => {
            pc.onLocalDescription((sdp, type) => {
              if (type === 'answer') resolve(sdp);
            });
            pc.setRemoteDescription(offer, 'offer');
          }),
        packets: async () => count,
        close: () => {
          tracks.length = 0;
          pc.close();
        },
      };
    };
  }
  if (stack === '@roamhq/wrtc') {
    const wrtc = (await import('@roamhq/wrtc')).default as unknown as {
      RTCPeerConnection: typeof RTCPeerConnection;
    };
    return () => {
      const pc = new wrtc.RTCPeerConnection();
      return {
        async answer(offer) {
          await pc.setRemoteDescription({ type: 'offer', sdp: offer });
          const answer = await pc.createAnswer();
          await pc.setLocalDescription(answer);
          return answer.sdp as string;
        },
        async packets() {
          let count = 0;
          (await pc.getStats()).forEach((r: { type: string; packetsReceived?: number }) => {
            if (r.type === 'inbound-rtp') count += r.packetsReceived ?? 0;
          });
          return count;
        },
        close: () => pc.close(),
      };
    };
  }
  const werift = await import('werift');
  return () => {
    const pc = new werift.RTCPeerConnection({});
    let count = 0;
    pc.onTrack.subscribe((track) => {
      track.onReceiveRtp.subscribe(() => count++);
    });
    return {
      async answer(offer) {
        await pc.setRemoteDescription({ type: 'offer', sdp: offer });
        const answer = await pc.createAnswer();
        await pc.setLocalDescription(answer);
        return pc.localDescription?.sdp as string;
      },
      packets: async () => count,
      close: () => void pc.close(),
    };
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      stack: { type: 'string' },
      peers: { type: 'string', default: '30' },
      seconds: { type: 'string', default: '10' },
    },
  });
  const stack = values.stack as StackName;
  const peers = Number(values.peers);
  const seconds = Number(values.seconds);
  const make = await receiverFactory(stack);

  const worker = await mediasoup.createWorker({ logLevel: 'error' });
  const router = await worker.createRouter({
    mediaCodecs: [
      { kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2 },
      { kind: 'video', mimeType: 'video/VP8', clockRate: 90000 },
    ],
  });
  const direct = await router.createDirectTransport();
  const video = await direct.produce({
    kind: 'video',
    rtpParameters: {
      codecs: [{ mimeType: 'video/VP8', payloadType: 96, clockRate: 90000 }],
      encodings: [{ ssrc: 1111 }],
    },
  });
  const audio = await direct.produce({
    kind: 'audio',
    rtpParameters: {
      codecs: [{ mimeType: 'audio/opus', payloadType: 111, clockRate: 48000, channels: 2 }],
      encodings: [{ ssrc: 2222 }],
    },
  });

  // The broadcast: the clip at its frame rate, Opus silence every 20 ms.
  const clip = await loadVp8Clip();
  let frame = 0;
  let vseq = 0;
  let aseq = 0;
  const t0 = Date.now();
  const videoTimer = setInterval(() => {
    const f = clip.frames[frame % clip.frames.length] as { data: Buffer };
    const ts = Math.round(((Date.now() - t0) * 90) % 2 ** 32);
    const parts = packetizeVp8(f.data, frame & 0x7fff);
    parts.forEach((payload, i) => {
      video.send(
        writeRtp({
          payloadType: 96,
          marker: i === parts.length - 1,
          sequenceNumber: vseq++,
          timestamp: ts,
          ssrc: 1111,
          payload,
        }),
      );
    });
    frame++;
  }, 1000 / clip.fps);
  const audioTimer = setInterval(() => {
    const ts = Math.round(((Date.now() - t0) * 48) % 2 ** 32);
    audio.send(
      writeRtp({
        payloadType: 111,
        marker: false,
        sequenceNumber: aseq++,
        timestamp: ts,
        ssrc: 2222,
        payload: OPUS_SILENCE,
      }),
    );
  }, 20);

  // Baseline: the broadcast alone.
  await sleep(1000);
  let cpu = process.cpuUsage();
  let wall = performance.now();
  await sleep((seconds * 1000) / 2);
  const baseCpu = process.cpuUsage(cpu);
  const baseLoad = (baseCpu.user + baseCpu.system) / 1000 / (performance.now() - wall);
  const rss0 = process.memoryUsage().rss;

  const receivers: Receiver[] = [];
  const setupMs: number[] = [];
  let failed = 0;
  let error: string | undefined;
  for (let i = 0; i < peers; i++) {
    const started = performance.now();
    try {
      const transport = await router.createWebRtcTransport({
        listenInfos: [{ protocol: 'udp', ip: '127.0.0.1' }],
      });
      const consumers = [
        await transport.consume({
          producerId: video.id,
          rtpCapabilities: CLASSROOM_RTP_CAPABILITIES as never,
          paused: true,
        }),
        await transport.consume({
          producerId: audio.id,
          rtpCapabilities: CLASSROOM_RTP_CAPABILITIES as never,
          paused: true,
        }),
      ];
      const r = make();
      const answer = await r.answer(
        recvOffer(
          {
            iceParameters: transport.iceParameters,
            iceCandidates: transport.iceCandidates as never,
            dtlsParameters: transport.dtlsParameters as never,
          },
          consumers.map((c) => ({
            mid: c.rtpParameters.mid as string,
            kind: c.kind,
            rtpParameters: c.rtpParameters as RtpParameters,
          })),
        ),
      );
      await transport.connect({ dtlsParameters: localDtls(answer) as never });
      for (const c of consumers) await c.resume();
      receivers.push(r);
      setupMs.push(performance.now() - started);
    } catch (err) {
      failed++;
      error ??= (err as Error).message;
    }
  }
  // Let DTLS finish and the streams settle, then measure.
  await sleep(3000);
  const before = await Promise.all(receivers.map((r) => r.packets()));
  cpu = process.cpuUsage();
  wall = performance.now();
  await sleep(seconds * 1000);
  const used = process.cpuUsage(cpu);
  const windowMs = performance.now() - wall;
  const after = await Promise.all(receivers.map((r) => r.packets()));
  const load = (used.user + used.system) / 1000 / windowMs;
  const receiving = after.filter((a, i) => a - (before[i] ?? 0) > 0).length;
  const pps =
    after.reduce((s, a, i) => s + a - (before[i] ?? 0), 0) / receiving / (windowMs / 1000);
  const perPeer = (load - baseLoad) / Math.max(1, receiving);
  const rss = process.memoryUsage().rss;
  clearInterval(videoTimer);
  clearInterval(audioTimer);
  for (const r of receivers) r.close();
  worker.close();
  setupMs.sort((a, b) => a - b);
  process.stdout.write(
    `${JSON.stringify({
      stack,
      peers,
      connected: receivers.length,
      receiving,
      failed,
      error,
      cpuPerPeerPct: perPeer * 100,
      peersPerCore: perPeer > 0 ? 1 / perPeer : null,
      rssPerPeerMb: (rss - rss0) / 1024 / 1024 / Math.max(1, receivers.length),
      packetsPerPeerPerSec: pps,
      setupP50Ms: setupMs[Math.floor(setupMs.length / 2)] ?? null,
    })}\n`,
  );
  process.exit(0);
}

void main();
