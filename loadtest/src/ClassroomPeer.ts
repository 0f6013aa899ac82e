import {
  type AdoptedMedia,
  backoffDelay,
  MEDIA_SETUP_RETRY,
  type ProducerInfo,
  type TransportOptions,
} from '@amphi/protocol';
import type { LiveSession } from '@amphi/sdk';
import type { PeerConnection, Track } from 'node-datachannel';
import { monoMs } from './clock.ts';
import { isRtcp, readRtcp, readRtpHeader, readVp8 } from './media/rtp.ts';
import type { MediaSection } from './media/sdp.ts';
import { nodeLiveSession } from './nodeSession.ts';
import {
  acceptReceiveOffer,
  type ConsumedSection,
  consumeSections,
  newPeerConnection,
} from './peerConnection.ts';
import { type CaptureClock, type StreamFigures, StreamMeter } from './StreamMeter.ts';
import { withTimeout } from './SyntheticSpeaker.ts';

/** A move's new transport must bring a key frame within this long, or media is set up anew. */
const MOVE_MS = 5_000;
/** A receive transport must connect within this long (ICE, DTLS), or the set-up failed. */
const CONNECT_MS = 10_000;
/** Its own SDP answer (libdatachannel, local) within this long. */
const ANSWER_MS = 5_000;
/**
 * A failed set-up is tried again after this long, twice as long each time it
 * fails again: the sdk's rule. Past its `attempts` the sdk leaves the class to
 * the app's fallback (LL-HLS); a simulated class has none and keeps trying.
 */
const RETRY = MEDIA_SETUP_RETRY;

/** Where its media stands: a classroom never stays black without saying why. */
export type ClassroomMediaStatus =
  | 'setting up'
  | 'playing'
  /** A set-up failed: tried again after a wait (`attempt`, `error`). */
  | 'retrying'
  /** No speaker publishing yet: its producerAdded sets media up. */
  | 'waiting for a speaker'
  /** The socket is down: its next join sets media up (or keeps what the server resumed). */
  | 'waiting for signaling';

export interface ClassroomPeerOptions {
  index: number;
  baseUrl: string;
  eventId: string;
  token: string;
  capture: CaptureClock;
  /** Whether the server's sender reports are on this machine's clock (a local server). */
  serverSharesClock: boolean;
  /** Told each step of its media's set-up as it is noted (figures.steps), to watch without interfering. */
  onStep?: (step: string) => void;
}

export interface ClassroomFigures {
  index: number;
  /** When it started joining, on the simulator's clock (ms). */
  startedAt: number;
  /** Join → signaling joined, → media connected (ms after startedAt). */
  joinedMs: number | null;
  connectedMs: number | null;
  /** Join → first RTP packet, → first complete key frame (ms after startedAt). */
  firstRtpMs: number | null;
  firstFrameMs: number | null;
  audioPackets: number;
  video: StreamFigures;
  error: string | null;
  /** Media set up again (reconnection, speaker back) and what failed on the way. */
  mediaSetups: number;
  mediaErrors: string[];
  /** Its media now; `attempt`: set-ups failed in a row, `error`: the last one's. */
  media: { status: ClassroomMediaStatus; attempt: number; error: string | null };
  /**
   * Its media's last steps (simulator's clock, ms): what told it to set up
   * again, each request and answer on the way, the transport's states. A
   * classroom left without a picture shows here which step never came.
   */
  steps: { at: number; step: string }[];
  questions: number;
  upvotes: number;
  hands: number;
}

/**
 * One simulated classroom: the sdk's LiveSession for signaling and the live
 * state (questions, hands), and a real WebRTC receive transport over
 * libdatachannel (ICE, DTLS, SRTP) for the broadcast, set up from the server's
 * transport and consumer parameters as mediasoup-client would. Every video
 * packet goes through a StreamMeter.
 */
export class ClassroomPeer {
  readonly session: LiveSession;
  readonly options: ClassroomPeerOptions;
  readonly meter: StreamMeter;
  readonly figures: ClassroomFigures;
  #pc: PeerConnection | null = null;
  /** The server's receive transport of #pc. */
  #transportId: string | null = null;
  /** A move's receive transport, set up beside #pc until its first key frame (make-before-break). */
  #incoming: {
    pc: PeerConnection | null;
    transportId: string | null;
    /** Producer id -> consumer id on it. */
    consumers: Map<string, string>;
    keyFrame: () => void;
  } | null = null;
  #videoTrack: Track | null = null;
  /**
   * The receive transport in use once complete (connected, its consumers
   * resumed) and each producer's consumer on it: what a resumed socket may keep.
   */
  #complete: { transportId: string; consumers: Map<string, string> } | null = null;
  /** Set-ups and moves chained and not finished yet. */
  #busy = 0;
  #generation = 0;
  #setups: Promise<void> = Promise.resolve();
  #setupTimer: NodeJS.Timeout | null = null;
  readonly #unsubscribe: (() => void)[] = [];
  #connected: () => void = () => {};
  readonly #firstConnection = new Promise<void>((resolve) => {
    this.#connected = resolve;
  });
  readonly #tracks: Track[] = [];
  #lastKeyFrameRequest = 0;
  #closed = false;

  constructor(options: ClassroomPeerOptions) {
    this.options = options;
    this.meter = new StreamMeter(90_000, options.capture);
    this.figures = {
      index: options.index,
      startedAt: 0,
      joinedMs: null,
      connectedMs: null,
      firstRtpMs: null,
      firstFrameMs: null,
      audioPackets: 0,
      video: this.meter.figures,
      error: null,
      mediaSetups: 0,
      mediaErrors: [],
      media: { status: 'setting up', attempt: 0, error: null },
      steps: [],
      questions: 0,
      upvotes: 0,
      hands: 0,
    };
    this.session = nodeLiveSession(options);
  }

  /**
   * Joins and receives the speakers' media; resolves once media is connected
   * (or failed to within 20 s). Like the viewer, it sets its media up again
   * after a reconnection, a `media.reconnect`, or when the speaker publishes
   * again (a new producer).
   */
  async join(): Promise<void> {
    const f = this.figures;
    f.startedAt = monoMs();
    try {
      await this.session.connect();
      f.joinedMs = monoMs() - f.startedAt;
      const s = this.session.signaling;
      this.#unsubscribe.push(
        s.on('joined', (join, reconnected) => {
          if (!reconnected) return;
          const media = join.resume?.media;
          this.#step(`joined again (media ${media?.status ?? 'not resumed'})`);
          // A resumed socket kept our media flowing: nothing to set up again, if
          // what the server kept is what plays here. It also keeps a set-up cut
          // half-way (a transport never connected, consumers not all made).
          if (media?.status === 'resumed' && this.#keeps(media.media, join.state.producers)) return;
          // A set-up under way goes on over the new socket, or fails and is tried again.
          if (this.#busy > 0) return;
          if (media?.status === 'resumed') this.#step('resumed media incomplete: set up again');
          this.#setUpAgain();
        }),
        s.on('status', (info) => {
          if (info.status === 'open') return;
          this.#step(`signaling ${info.status} #${info.attempt}`);
          if (this.figures.media.status !== 'playing') this.#setStatus('waiting for signaling');
        }),
        s.onEvent('media.reconnect', () => {
          this.#step('media.reconnect');
          this.#setUpAgain();
        }),
        // Its media node is drained: move make-before-break, as the sdk does.
        s.onEvent('media.move', () => {
          this.#step('media.move');
          this.#move();
        }),
        s.onEvent('media.producerAdded', (p) => {
          if (p.role !== 'speaker') return;
          this.#step('producerAdded');
          this.#setUpAgain();
        }),
      );
      this.#setUpAgain(0);
      await withTimeout(this.#firstConnection, 20_000, 'media did not connect');
      f.connectedMs = monoMs() - f.startedAt;
    } catch (err) {
      f.error = err instanceof Error ? err.message : String(err);
    }
  }

  /** Notes one step of its media's set-up (the last 24 are kept). */
  #step(step: string): void {
    const steps = this.figures.steps;
    steps.push({ at: Math.round(monoMs()), step });
    if (steps.length > 24) steps.shift();
    this.options.onStep?.(step);
  }

  #setStatus(status: ClassroomMediaStatus, error: string | null = null): void {
    const attempt = status === 'playing' ? 0 : this.figures.media.attempt;
    this.figures.media = { status, attempt, error };
  }

  /**
   * Whether a resumed socket's media is what plays here: the transport in use,
   * complete, and a consumer on it for each speaker producer open now.
   */
  #keeps(adopted: AdoptedMedia, producers: ProducerInfo[]): boolean {
    const c = this.#complete;
    if (!c || this.#incoming) return false;
    if (!adopted.transports.some((t) => t.transportId === c.transportId)) return false;
    const consumers = new Set(adopted.consumerIds);
    return producers
      .filter((p) => p.role === 'speaker')
      .every((p) => consumers.has(c.consumers.get(p.producerId) ?? ''));
  }

  /** Sets media up (again) after `delayMs`, once: a speaker's audio and video come as two events. */
  #setUpAgain(delayMs = 300): void {
    if (this.#closed) return;
    if (this.#setupTimer) clearTimeout(this.#setupTimer);
    this.#setupTimer = setTimeout(() => {
      this.#setupTimer = null;
      this.#chain(() => this.#setUp());
    }, delayMs);
  }

  /** One set-up or move after the others; one that fails is tried again. */
  #chain(job: () => Promise<void>): void {
    this.#busy++;
    this.#setups = this.#setups
      .then(job)
      .catch((err: unknown) => this.#failed(err))
      .finally(() => {
        this.#busy--;
      });
  }

  /**
   * A set-up failed (a request refused or unanswered, the socket lost, the
   * transport not connecting): tried again after a wait that doubles, up to
   * RETRY.maxMs, until media plays. While the socket is down, the try waits
   * for its next join (which keeps only complete media).
   */
  #failed(err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    this.figures.mediaErrors.push(message);
    if (this.#closed) return;
    const attempt = this.figures.media.attempt + 1;
    const delay = backoffDelay(attempt - 1, RETRY);
    this.figures.media = { status: 'retrying', attempt, error: message };
    this.#step(`set-up failed: ${message}; try ${attempt + 1} in ${delay} ms`);
    this.#setUpAgain(delay);
  }

  /**
   * `media.move` (its media node is drained), as the sdk's MediaClient does:
   * a second receive transport, wherever the server places the classroom now,
   * is set up beside the one in use; the picture switches to it at its first
   * key frame, then the old one is closed (`media.closeTransport`). If the new
   * one does not bring a key frame within MOVE_MS, media is set up anew.
   */
  #move(): void {
    if (this.#closed) return;
    this.#chain(async () => {
      try {
        await this.#moveNow();
      } catch (err) {
        // Not make-before-break after all: set up anew at once.
        const message = err instanceof Error ? err.message : String(err);
        this.figures.mediaErrors.push(message);
        this.#step(`move failed: ${message}`);
        await this.#setUp();
      }
    });
  }

  async #moveNow(): Promise<void> {
    if (this.#closed || this.session.signaling.status !== 'open') return;
    const producers = (this.session.view?.producers ?? []).filter((p) => p.role === 'speaker');
    if (!this.#pc || producers.length === 0) return this.#setUp();
    const keyFrame = new Promise<void>((resolve) => {
      this.#incoming = { pc: null, transportId: null, consumers: new Map(), keyFrame: resolve };
    });
    try {
      await this.#receive(producers, 'incoming');
      await withTimeout(keyFrame, MOVE_MS, 'no key frame on the moved transport');
    } catch (err) {
      this.#dropIncoming();
      throw err;
    }
  }

  /** The moved transport brought its first key frame: it becomes the one in use. */
  #swap(): void {
    const incoming = this.#incoming;
    if (!incoming) return;
    this.#incoming = null;
    const oldPc = this.#pc;
    const oldTransport = this.#transportId;
    this.#pc = incoming.pc;
    this.#transportId = incoming.transportId;
    // Its first key frame came: connected, its consumers resumed.
    this.#complete = incoming.transportId
      ? { transportId: incoming.transportId, consumers: incoming.consumers }
      : null;
    this.#setStatus('playing');
    this.figures.mediaSetups++;
    this.meter.newStream();
    oldPc?.close();
    if (oldTransport) {
      void this.session.signaling
        .request('media.closeTransport', { transportId: oldTransport })
        .catch(() => {});
    }
    incoming.keyFrame();
  }

  #dropIncoming(): void {
    const incoming = this.#incoming;
    if (!incoming) return;
    this.#incoming = null;
    incoming.pc?.close();
    if (incoming.transportId) {
      void this.session.signaling
        .request('media.closeTransport', { transportId: incoming.transportId })
        .catch(() => {});
    }
  }

  async #setUp(): Promise<void> {
    if (this.#closed) return;
    if (this.session.signaling.status !== 'open') {
      // Its next join sets media up, or keeps what the server resumed.
      this.#step(`set-up skipped: signaling ${this.session.signaling.status}`);
      if (this.figures.media.status !== 'playing') this.#setStatus('waiting for signaling');
      return;
    }
    const producers = (this.session.view?.producers ?? []).filter((p) => p.role === 'speaker');
    // No speaker yet (or gone): its producerAdded sets media up.
    if (producers.length === 0) {
      this.#step('set-up skipped: no speaker');
      this.#setStatus('waiting for a speaker');
      return;
    }
    this.#step('set-up');
    this.#setStatus('setting up', this.figures.media.error);
    this.#dropIncoming();
    this.#complete = null;
    if (this.#pc) {
      this.#generation++;
      this.#pc.close();
      this.#pc = null;
      this.#transportId = null;
      this.#tracks.length = 0;
      this.figures.mediaSetups++;
      this.meter.newStream();
      await this.session.signaling.request('media.close', {}).catch(() => {});
    }
    await this.#receive(producers);
  }

  /** A receive transport for `producers`: the one in use, or a move's `incoming` one. */
  async #receive(producers: ProducerInfo[], as: 'active' | 'incoming' = 'active'): Promise<void> {
    const s = this.session.signaling;
    const wanted = producers;
    const t: TransportOptions = await s.request('media.createTransport', { direction: 'recv' });
    this.#step(`transport ${t.transportId.slice(0, 8)} (${as})`);
    let sections: ConsumedSection[];
    try {
      sections = await consumeSections(s, t.transportId, wanted);
    } catch (err) {
      // A consume refused (the speaker published again meanwhile) or cut with the
      // socket (the request is sent once it is back, after the next socket resumed
      // this half-made transport): it is nobody's, so it is closed on the server.
      // Left there, it kept the class counted on its node (the next set-up closes only
      // what it knows of): a drain of that node waited 10 s for the class to leave,
      // then set it up anew (media-drain-leftovers.test.ts).
      void s.request('media.closeTransport', { transportId: t.transportId }).catch(() => {});
      throw err;
    }
    const consumers = new Map(sections.map((c) => [c.producerId, c.consumerId]));
    this.#step(`${sections.length} consumers`);
    const pc = newPeerConnection(`classroom${this.options.index}`);
    if (as === 'active') {
      this.#pc = pc;
      this.#transportId = t.transportId;
    } else if (this.#incoming) {
      this.#incoming.pc = pc;
      this.#incoming.transportId = t.transportId;
      this.#incoming.consumers = consumers;
    } else {
      // Set up anew meanwhile: this move is over.
      pc.close();
      return;
    }
    const generation = this.#generation;
    let wasConnected = false;
    const connected = new Promise<void>((resolve, reject) => {
      pc.onStateChange((state) => {
        this.#step(`transport ${t.transportId.slice(0, 8)} ${state}`);
        if (state === 'connected') {
          wasConnected = true;
          resolve();
        } else if (state === 'failed') {
          reject(new Error('the peer connection failed'));
          // The transport in use failed after it played (its node silent and no
          // media.reconnect heard): set up anew, as the viewer does.
          if (wasConnected && pc === this.#pc && this.#complete) {
            this.#complete = null;
            this.#failed(new Error('the transport in use failed'));
          }
        }
      });
    });
    // It may fail while signaling is still under way, before it is awaited below:
    // that is this set-up's error (caught by its caller), not an unhandled rejection
    // that would end the whole run (a 300-classroom run on a starved machine did).
    connected.catch(() => {});
    pc.onTrack((track) => {
      if (generation === this.#generation) this.#onTrack(track, sections, pc);
    });
    await acceptReceiveOffer(pc, s, t, sections, ANSWER_MS);
    this.#step('consumers resumed');
    await withTimeout(connected, CONNECT_MS, 'the transport did not connect');
    if (as === 'active' && pc === this.#pc) {
      this.#complete = { transportId: t.transportId, consumers };
      this.#setStatus('playing');
    }
    this.#connected();
  }

  #onTrack(track: Track, sections: MediaSection[], pc: PeerConnection): void {
    // Held: a Track nothing refers to is collected, and its callback with it.
    this.#tracks.push(track);
    const kind = sections.find((s) => s.mid === track.mid())?.kind;
    const f = this.figures;
    if (kind === 'audio') {
      track.onMessage((msg) => {
        if (pc === this.#pc && !isRtcp(msg)) f.audioPackets++;
      });
      return;
    }
    if (pc === this.#pc) this.#videoTrack = track;
    let heard: 'nothing' | 'packets' | 'key frame' = 'nothing';
    track.onMessage((msg) => {
      const at = monoMs();
      // A move's transport: the picture switches to it at its first key frame.
      if (pc !== this.#pc) {
        if (pc !== this.#incoming?.pc || isRtcp(msg)) return;
        const h = readRtpHeader(msg);
        if (!h || !readVp8(msg, h).keyFrame) return;
        this.#swap();
        this.#videoTrack = track;
      }
      if (isRtcp(msg)) {
        if (!this.options.serverSharesClock) return;
        for (const item of readRtcp(msg)) {
          if (item.type === 'sr')
            this.meter.onSenderReport(item.ssrc, item.ntpMs, item.rtpTimestamp);
        }
        return;
      }
      const h = readRtpHeader(msg);
      if (!h) return;
      if (heard !== 'key frame') {
        const key = readVp8(msg, h).keyFrame;
        if (key || heard === 'nothing') this.#step(key ? 'first key frame' : 'first video packet');
        heard = key ? 'key frame' : 'packets';
      }
      const lostBefore = this.meter.figures.lost;
      this.meter.onPacket(msg, h, at);
      const v = this.meter.figures;
      if (f.firstRtpMs === null && v.firstRtpMs !== null) f.firstRtpMs = v.firstRtpMs - f.startedAt;
      if (f.firstFrameMs === null && v.firstKeyFrameMs !== null) {
        f.firstFrameMs = v.firstKeyFrameMs - f.startedAt;
      }
      // A browser without the lost packet asks for a key frame (at most once a second).
      if (
        (v.lost > lostBefore || v.firstKeyFrameMs === null) &&
        at - this.#lastKeyFrameRequest > 1000
      ) {
        if (v.lost > lostBefore || at - f.startedAt > 3000) {
          this.#lastKeyFrameRequest = at;
          this.#step('key frame asked');
          this.#videoTrack?.requestKeyframe();
        }
      }
    });
  }

  /** Asks a question (as a class does, through the sdk's outbox). */
  async ask(text: string): Promise<void> {
    const entry = await this.session.ask(text, 'job_reality');
    if (entry.status !== 'failed') this.figures.questions++;
  }

  /** Upvotes one question of the queue it sees, not its own. */
  async upvoteOne(): Promise<void> {
    const view = this.session.view;
    const self = view?.self.classroomId;
    const q = view?.questions.find(
      (q) => q.classroomId !== self && !this.session.snapshot.upvoted.has(q.id),
    );
    if (!q) return;
    await this.session.upvote(q.id);
    this.figures.upvotes++;
  }

  async raiseHand(): Promise<void> {
    await this.session.setHand(true);
    this.figures.hands++;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#setupTimer) clearTimeout(this.#setupTimer);
    for (const u of this.#unsubscribe.splice(0)) u();
    this.#generation++;
    this.#pc?.close();
    this.#incoming?.pc?.close();
    this.session.close();
  }
}
