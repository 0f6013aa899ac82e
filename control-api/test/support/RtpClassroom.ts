import type { JoinResult, ProducerInfo, TransportOptions } from '@amphi/protocol';
import { SignalingClient } from '@amphi/sdk';
import type { PeerConnection, Track } from 'node-datachannel';
import WebSocket from 'ws';
import { isRtcp, readRtpHeader, readVp8 } from '../../../loadtest/src/media/rtp.ts';
import {
  acceptReceiveOffer,
  consumeSections,
  newPeerConnection,
} from '../../../loadtest/src/peerConnection.ts';

/** One receive transport of the classroom: a libdatachannel peer connection over it. */
interface Receiver {
  transportId: string;
  pc: PeerConnection;
  tracks: Track[];
  /** When its first complete key frame began to arrive (a picture can be decoded from then). */
  keyFrameAt: number | null;
  videoPackets: number;
}

/**
 * A classroom that receives the speakers' media over real WebRTC (ICE, DTLS,
 * SRTP through libdatachannel), with the server's signaling through the sdk,
 * and moves its media as the viewer does when its media node is drained
 * (`media.move`): a second receive transport on the node the server now
 * places it on, and only once a key frame arrived there does it play that
 * one and close the old one (`media.closeTransport`). What it "plays" is the
 * video of the receiver in use: every packet's arrival is timed, and the
 * longest silence is the freeze a viewer would see.
 */
export class RtpClassroom {
  readonly client: SignalingClient;
  #active: Receiver | null = null;
  #lastVideoAt: number | null = null;
  /** The longest silence of the video in use since `resetGap()` (ms). */
  maxGapMs = 0;
  moves = 0;
  movesAsked = 0;
  movesFailed: string[] = [];
  /** media.reconnect received (a move that came too late, a lost node). */
  reconnects = 0;
  #closed = false;
  #chain: Promise<void> = Promise.resolve();

  private constructor(client: SignalingClient) {
    this.client = client;
  }

  /**
   * `ignoreMove`: a client that does not know `media.move` (an older viewer).
   * `keepOnReconnect`: on `media.reconnect` it sets its media up anew without
   * asking the server to close what it had (`media.close`), as the viewer's
   * sdk did: what it had stays on the server unless the server closes it.
   */
  static async join(
    baseUrl: string,
    eventId: string,
    token: string,
    opts: { ignoreMove?: boolean; keepOnReconnect?: boolean } = {},
  ): Promise<RtpClassroom> {
    const client = new SignalingClient({
      baseUrl,
      eventId,
      token,
      WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
    });
    const c = new RtpClassroom(client);
    client.onEvent('media.move', () => {
      c.movesAsked++;
      if (opts.ignoreMove) return;
      c.#chain = c.#chain
        .then(() => c.#move())
        .catch((err: unknown) => {
          c.movesFailed.push(err instanceof Error ? err.message : String(err));
        });
    });
    client.onEvent('media.reconnect', () => {
      c.reconnects++;
      c.#chain = c.#chain.then(() => c.#anew(!opts.keepOnReconnect)).catch(() => {});
    });
    await client.connect();
    return c;
  }

  /** Joined (as `join`) and receiving (as `receive`); closed if either fails. */
  static async receiving(
    baseUrl: string,
    eventId: string,
    token: string,
    opts: { ignoreMove?: boolean; keepOnReconnect?: boolean } = {},
  ): Promise<RtpClassroom> {
    const c = await RtpClassroom.join(baseUrl, eventId, token, opts);
    try {
      await c.receive();
    } catch (err) {
      c.close();
      throw err;
    }
    return c;
  }

  get transportId(): string | null {
    return this.#active?.transportId ?? null;
  }

  /** Receives every speaker producer; resolves once a key frame has arrived. */
  async receive(): Promise<void> {
    const r = await this.#open();
    this.#use(r);
  }

  /** Starts counting the longest silence afresh (from the last packet on). */
  resetGap(): void {
    this.maxGapMs = 0;
  }

  /** The silence so far since the last packet, counted in the longest one. */
  gapNow(): number {
    if (this.#lastVideoAt === null) return 0;
    return Math.max(this.maxGapMs, performance.now() - this.#lastVideoAt);
  }

  async settled(): Promise<void> {
    await this.#chain;
  }

  close(): void {
    this.#closed = true;
    this.#active?.pc.close();
    this.client.close();
  }

  /**
   * The speakers' producers; with no speaker video yet (its origin was lost:
   * the speaker publishes again on a new one), once it is announced, up to 10 s.
   */
  async #producers(): Promise<ProducerInfo[]> {
    let announced: () => void = () => {};
    const video = new Promise<void>((resolve) => {
      announced = resolve;
    });
    const off = this.client.onEvent('media.producerAdded', (p) => {
      if (p.role === 'speaker' && p.kind === 'video') announced();
    });
    try {
      const speakers = async () =>
        ((await this.client.request('join', {})) as JoinResult).state.producers.filter(
          (p) => p.role === 'speaker',
        );
      const now = await speakers();
      if (now.some((p) => p.kind === 'video')) return now;
      const timer = setTimeout(announced, 10_000);
      await video;
      clearTimeout(timer);
      return speakers();
    } finally {
      off();
    }
  }

  async #open(): Promise<Receiver> {
    const s = this.client;
    const producers = await this.#producers();
    const t: TransportOptions = await s.request('media.createTransport', { direction: 'recv' });
    const sections = await consumeSections(s, t.transportId, producers);
    const pc = newPeerConnection('drain-classroom');
    const r: Receiver = {
      transportId: t.transportId,
      pc,
      tracks: [],
      keyFrameAt: null,
      videoPackets: 0,
    };
    let keyFrame: () => void = () => {};
    const gotKeyFrame = new Promise<void>((resolve) => {
      keyFrame = resolve;
    });
    pc.onTrack((track) => {
      r.tracks.push(track);
      const kind = sections.find((x) => x.mid === track.mid())?.kind;
      if (kind !== 'video') return;
      track.onMessage((msg) => {
        if (isRtcp(msg)) return;
        const h = readRtpHeader(msg);
        if (!h) return;
        const at = performance.now();
        r.videoPackets++;
        if (r.keyFrameAt === null && readVp8(msg, h).keyFrame) {
          r.keyFrameAt = at;
          keyFrame();
        }
        if (r === this.#active) this.#onVideo(at);
      });
    });
    await acceptReceiveOffer(pc, s, t, sections);
    const timeout = new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error('no key frame within 8 s')), 8_000).unref(),
    );
    try {
      await Promise.race([gotKeyFrame, timeout]);
    } catch (err) {
      pc.close();
      throw err;
    }
    return r;
  }

  #use(r: Receiver): void {
    this.#active = r;
  }

  #onVideo(at: number): void {
    if (this.#lastVideoAt !== null) this.maxGapMs = Math.max(this.maxGapMs, at - this.#lastVideoAt);
    this.#lastVideoAt = at;
  }

  /** Make before break: the new node's picture first, then the old transport closed. */
  async #move(): Promise<void> {
    if (this.#closed) return;
    const old = this.#active;
    const fresh = await this.#open();
    this.#use(fresh);
    this.moves++;
    if (!old) return;
    old.pc.close();
    await this.client.request('media.closeTransport', { transportId: old.transportId });
  }

  /** Break before make, as after a lost node. */
  async #anew(close: boolean): Promise<void> {
    if (this.#closed) return;
    this.#active?.pc.close();
    this.#active = null;
    if (close) await this.client.request('media.close', {}).catch(() => {});
    this.#use(await this.#open());
  }
}
