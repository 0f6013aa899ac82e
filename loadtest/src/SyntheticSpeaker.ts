import {
  type AdoptedMedia,
  type BackoffOptions,
  backoffDelay,
  type TransportOptions,
} from '@amphi/protocol';
import type { LiveSession } from '@amphi/sdk';
import { Audio, type PeerConnection, type Track, Video } from 'node-datachannel';
import { monoMs } from './clock.ts';
import { OPUS_SILENCE } from './media/capabilities.ts';
import { packetizeVp8, readRtcp, writeRtp, writeSenderReport } from './media/rtp.ts';
import { localDtls, type MediaSection, sendAnswer } from './media/sdp.ts';
import type { Vp8Clip } from './media/vp8Clip.ts';
import { nodeLiveSession } from './nodeSession.ts';
import { newPeerConnection } from './peerConnection.ts';
import type { CaptureClock } from './StreamMeter.ts';

const VIDEO_PT = 96;
const AUDIO_PT = 111;
/**
 * A key-frame request within this long of the last one answered is dropped:
 * libwebrtc's sender does the same (EncoderRtcpFeedback, kMinKeyframeSendIntervalMs
 * = 300), so a browser speaker answers at most one request per 300 ms.
 */
export const KEY_FRAME_MIN_INTERVAL_MS = 300;
/** A failed publication is tried again after this long, twice as long each time it fails again. */
const RETRY: BackoffOptions = { initialMs: 500, maxMs: 5_000 };

/** What the speaker sent so far (cumulative over the run, republishing included). */
export interface SpeakerUplink {
  /** Key-frame requests (PLI, FIR) received, and those answered by a key frame. */
  keyFrameRequests: number;
  keyFramesOnRequest: number;
  /** Key frames sent, requested or the clip's own. */
  keyFrames: number;
  videoFrames: number;
  /** Video payload bytes sent, and those of key frames. */
  videoOctets: number;
  keyFrameOctets: number;
}

/** Nothing sent yet (and what a run without a speaker reports). */
export function noUplink(): SpeakerUplink {
  return {
    keyFrameRequests: 0,
    keyFramesOnRequest: 0,
    keyFrames: 0,
    videoFrames: 0,
    videoOctets: 0,
    keyFrameOctets: 0,
  };
}

export interface SyntheticSpeakerOptions {
  baseUrl: string;
  eventId: string;
  token: string;
  clip: Vp8Clip;
  /** Told each video sender report sent (the speaker process passes them on). */
  onSenderReport?: (sr: { ntpMs: number; rtpTimestamp: number }) => void;
}

interface Outgoing {
  track: Track;
  ssrc: number;
  clockRate: number;
  /** RTP timestamp = capture time × clock rate + this offset (random, as senders do). */
  offset: number;
  seq: number;
  packets: number;
  octets: number;
}

/**
 * A speaker that publishes over real WebRTC (node-datachannel) through the
 * sdk's signaling: the pre-encoded VP8 clip at its frame rate and Opus silence
 * every 20 ms, with RTP timestamps taken from the simulator's clock at
 * "capture" and sender reports that say so. It answers key-frame requests as
 * an encoder would, by sending a key frame next (the clip from its start).
 * `captureClock` maps a timestamp back to its capture time, from the last
 * sender report: what a receiver on the same clock could compute.
 */
export class SyntheticSpeaker {
  readonly session: LiveSession;
  readonly #clip: Vp8Clip;
  readonly #onSenderReport: SyntheticSpeakerOptions['onSenderReport'];
  #pc: PeerConnection | null = null;
  #video: Outgoing | null = null;
  #audio: Outgoing | null = null;
  #timers: NodeJS.Timeout[] = [];
  #frame = 0;
  #pictureId = 0;
  #answeredAt = Number.NEGATIVE_INFINITY;
  /** A request was answered: the next frame sent is the clip's first (a key frame). */
  #keyFramePending = false;
  readonly #uplink: SpeakerUplink = noUplink();
  #videoSr: { ntpMs: number; rtpTimestamp: number } | null = null;
  #closed = false;
  #publishing: Promise<void> = Promise.resolve();
  /** Publications chained and not finished yet. */
  #busy = 0;
  #retryTimer: NodeJS.Timeout | null = null;
  /** The last publication once complete (both producers made, connected): what a resume may keep. */
  #published: { transportId: string; producerIds: string[] } | null = null;
  /** The send transport of the last publication begun, complete or not. */
  #transportId: string | null = null;
  #republishes = 0;
  /** Publications failed in a row, and the last one's error (tried again until one succeeds). */
  #failures: { attempt: number; error: string | null } = { attempt: 0, error: null };
  /** Kept across republishing: one capture clock for the whole run. */
  readonly #offsets = { video: randomSsrc(), audio: randomSsrc() };

  constructor(options: SyntheticSpeakerOptions) {
    this.#clip = options.clip;
    this.#onSenderReport = options.onSenderReport;
    this.session = nodeLiveSession(options);
  }

  get uplink(): SpeakerUplink {
    return { ...this.#uplink };
  }

  /** The video's capture time of an RTP timestamp, from the last sender report sent. */
  readonly captureClock: CaptureClock = (ts) => {
    const sr = this.#videoSr;
    if (!sr) return null;
    return sr.ntpMs + (((ts - sr.rtpTimestamp) | 0) / 90_000) * 1000;
  };

  /**
   * Joins, publishes, and resolves once both tracks are open. After a
   * reconnection (its producers were closed with its old socket) or a
   * `media.reconnect` (its media node died: the server places it anew) it
   * publishes again, as the studio does.
   */
  async start(): Promise<void> {
    await this.session.connect();
    const s = this.session.signaling;
    s.on('joined', (join, reconnected) => {
      if (!reconnected) return;
      // A resumed socket kept our producers flowing: nothing to publish again, if
      // the server kept a complete publication (not one cut half-way by the drop).
      const media = join.resume?.media;
      if (media?.status === 'resumed' && this.#keeps(media.media)) return;
      // A publication under way goes on over the new socket, or fails and is tried again.
      if (this.#busy > 0) return;
      this.#publishAgain(async () => {});
    });
    // As the sdk's MediaClient: join again for the new node's router, then publish.
    s.onEvent('media.reconnect', () => this.#publishAgain(() => s.request('join', {})));
    this.#publishing = this.#publish();
    await this.#publishing;
    this.#sendVideoFrame();
    this.#timers.push(
      setInterval(() => this.#sendVideoFrame(), 1000 / this.#clip.fps),
      setInterval(() => this.#sendAudio(), 20),
      setInterval(() => this.#sendReports(), 500),
    );
    this.#sendReports();
  }

  /** Where its publication stands: set-ups failed in a row and the last one's error. */
  get failures(): { attempt: number; error: string | null } {
    return { ...this.#failures };
  }

  #keeps(adopted: AdoptedMedia): boolean {
    const p = this.#published;
    if (!p || !adopted.transports.some((t) => t.transportId === p.transportId)) return false;
    return p.producerIds.every((id) => adopted.producerIds.includes(id));
  }

  #publishAgain(before: () => Promise<unknown>): void {
    if (this.#closed) return;
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
    this.#republishes++;
    this.#busy++;
    this.#publishing = this.#publishing
      .then(before)
      .then(() => this.#publish())
      .then(
        () => {
          this.#failures = { attempt: 0, error: null };
        },
        (err: unknown) => this.#failed(err),
      )
      .finally(() => {
        this.#busy--;
      });
  }

  /**
   * A publication failed (a request refused or unanswered, the socket lost):
   * tried again after a wait that doubles, up to RETRY.maxMs; every classroom
   * of the talk is black until it succeeds. While the socket is down, the
   * requests wait for it (or the next join publishes again).
   */
  #failed(err: unknown): void {
    if (this.#closed) return;
    const attempt = this.#failures.attempt + 1;
    this.#failures = { attempt, error: err instanceof Error ? err.message : String(err) };
    this.#retryTimer = setTimeout(
      () => {
        this.#retryTimer = null;
        this.#publishAgain(async () => {});
      },
      backoffDelay(attempt - 1, RETRY),
    );
  }

  get republishes(): number {
    return this.#republishes;
  }

  async #publish(): Promise<void> {
    const s = this.session.signaling;
    this.#video = null;
    this.#audio = null;
    this.#published = null;
    this.#pc?.close();
    // One begun before (cut half-way, or on a node since lost) goes, its producers with it:
    // left open, a producer that never sends is in every classroom's view.
    const before = this.#transportId;
    if (before) void s.request('media.closeTransport', { transportId: before }).catch(() => {});
    const t: TransportOptions = await s.request('media.createTransport', { direction: 'send' });
    this.#transportId = t.transportId;
    const pc = newPeerConnection('speaker');
    this.#pc = pc;
    const videoSsrc = randomSsrc();
    const audioSsrc = randomSsrc();
    const video = new Video('0', 'SendOnly');
    video.addVideoCodec(VIDEO_PT, 'VP8');
    video.addSSRC(videoSsrc, 'amphi-speaker');
    const audio = new Audio('1', 'SendOnly');
    audio.addOpusCodec(AUDIO_PT);
    audio.addSSRC(audioSsrc, 'amphi-speaker');
    const videoTrack = pc.addTrack(video);
    const audioTrack = pc.addTrack(audio);
    const offer = await withTimeout(
      new Promise<string>((resolve) => {
        pc.onLocalDescription((sdp, type) => {
          if (type === 'offer') resolve(sdp);
        });
        pc.setLocalDescription();
      }),
      5_000,
      'no local offer',
    );
    await s.request('media.connectTransport', {
      transportId: t.transportId,
      dtlsParameters: localDtls(offer),
    });
    const sections: MediaSection[] = [
      {
        mid: '0',
        kind: 'video',
        rtpParameters: {
          mid: '0',
          codecs: [
            {
              mimeType: 'video/VP8',
              payloadType: VIDEO_PT,
              clockRate: 90000,
              rtcpFeedback: [
                { type: 'nack', parameter: 'pli' },
                { type: 'ccm', parameter: 'fir' },
              ],
            },
          ],
          encodings: [{ ssrc: videoSsrc }],
          rtcp: { cname: 'amphi-speaker', reducedSize: true },
        },
      },
      {
        mid: '1',
        kind: 'audio',
        rtpParameters: {
          mid: '1',
          codecs: [
            { mimeType: 'audio/opus', payloadType: AUDIO_PT, clockRate: 48000, channels: 2 },
          ],
          encodings: [{ ssrc: audioSsrc }],
          rtcp: { cname: 'amphi-speaker', reducedSize: true },
        },
      },
    ];
    const producerIds: string[] = [];
    for (const m of sections) {
      const { producerId } = await s.request('media.produce', {
        transportId: t.transportId,
        kind: m.kind,
        rtpParameters: m.rtpParameters,
        source: 'camera',
      });
      producerIds.push(producerId);
    }
    const opened = Promise.all(
      [videoTrack, audioTrack].map(
        (track) => new Promise<void>((resolve) => track.onOpen(() => resolve())),
      ),
    );
    pc.setRemoteDescription(
      sendAnswer(
        {
          iceParameters: t.iceParameters,
          iceCandidates: t.iceCandidates,
          dtlsParameters: t.dtlsParameters,
        },
        sections,
      ),
      'answer',
    );
    videoTrack.onMessage((msg) => {
      for (const item of readRtcp(msg)) {
        if (item.type === 'keyFrameRequest') this.#onKeyFrameRequest();
      }
    });
    await withTimeout(opened, 10_000, 'the speaker media did not connect');
    if (this.#pc === pc) this.#published = { transportId: t.transportId, producerIds };
    this.#video = outgoing(videoTrack, videoSsrc, 90_000, this.#offsets.video);
    this.#audio = outgoing(audioTrack, audioSsrc, 48_000, this.#offsets.audio);
    // A new stream starts on a key frame.
    this.#frame = 0;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    for (const t of this.#timers) clearInterval(t);
    this.#pc?.close();
    this.session.close();
  }

  /**
   * As a browser's encoder: the next frame (within one frame interval) is a
   * key frame, unless a request was answered less than 300 ms ago. The clip
   * starts again from its first frame, a key frame whose deltas follow.
   */
  #onKeyFrameRequest(): void {
    this.#uplink.keyFrameRequests++;
    const now = monoMs();
    if (now - this.#answeredAt < KEY_FRAME_MIN_INTERVAL_MS) return;
    this.#answeredAt = now;
    this.#keyFramePending = true;
    this.#frame = 0;
  }

  #sendVideoFrame(): void {
    const v = this.#video;
    if (!v?.track.isOpen()) return;
    const clip = this.#clip;
    const index = this.#frame % clip.frames.length;
    const frame = clip.frames[index] as { data: Buffer; keyFrame: boolean };
    this.#frame = index + 1;
    const u = this.#uplink;
    u.videoFrames++;
    u.videoOctets += frame.data.length;
    if (frame.keyFrame) {
      u.keyFrames++;
      u.keyFrameOctets += frame.data.length;
      if (this.#keyFramePending) u.keyFramesOnRequest++;
      this.#keyFramePending = false;
    }
    const timestamp = rtpNow(v);
    const parts = packetizeVp8(frame.data, this.#pictureId);
    this.#pictureId = (this.#pictureId + 1) & 0x7fff;
    parts.forEach((payload, i) => {
      send(v, VIDEO_PT, i === parts.length - 1, timestamp, payload);
    });
  }

  #sendAudio(): void {
    const a = this.#audio;
    if (!a?.track.isOpen()) return;
    send(a, AUDIO_PT, false, rtpNow(a), OPUS_SILENCE);
  }

  #sendReports(): void {
    for (const o of [this.#video, this.#audio]) {
      if (!o?.track.isOpen()) continue;
      const ntpMs = monoMs();
      const rtpTimestamp = (Math.round(ntpMs * (o.clockRate / 1000)) + o.offset) >>> 0;
      o.track.sendMessageBinary(
        writeSenderReport({
          ssrc: o.ssrc,
          ntpMs,
          rtpTimestamp,
          packets: o.packets,
          octets: o.octets,
        }),
      );
      if (o === this.#video) {
        this.#videoSr = { ntpMs, rtpTimestamp };
        this.#onSenderReport?.(this.#videoSr);
      }
    }
  }
}

function outgoing(track: Track, ssrc: number, clockRate: number, offset: number): Outgoing {
  return {
    track,
    ssrc,
    clockRate,
    offset,
    seq: randomSsrc() & 0xffff,
    packets: 0,
    octets: 0,
  };
}

function rtpNow(o: Outgoing): number {
  return (Math.round(monoMs() * (o.clockRate / 1000)) + o.offset) >>> 0;
}

function send(
  o: Outgoing,
  payloadType: number,
  marker: boolean,
  timestamp: number,
  payload: Buffer,
) {
  const packet = writeRtp({
    payloadType,
    marker,
    sequenceNumber: o.seq,
    timestamp,
    ssrc: o.ssrc,
    payload,
  });
  o.seq = (o.seq + 1) & 0xffff;
  o.packets++;
  o.octets += payload.length;
  o.track.sendMessageBinary(packet);
}

function randomSsrc(): number {
  return Math.floor(Math.random() * 0xffffffff) >>> 0;
}

export function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(message)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
