import {
  type AdoptedMedia,
  backoffDelay,
  type IceServer,
  type JoinResult,
  MEDIA_SETUP_RETRY,
  type MediaPath,
  type ProducerInfo,
  type ProducerSource,
  type TransportOptions,
} from '@amphi/protocol';
import { Device, type types } from 'mediasoup-client';
import { Emitter } from './Emitter.ts';
import { SignalingError } from './errors.ts';
import { inboundKind } from './inboundStreams.ts';
import {
  classifyQuality,
  lossBetween,
  mergeCounters,
  type NetworkQuality,
  type QualitySample,
  readCounters,
  type StatsCounters,
  type TransportState,
  worstTransportState,
} from './networkQuality.ts';
import {
  availableRungs,
  CLIMB_BACK_MS,
  DEFAULT_LADDER,
  DEFAULT_RUNG_TIMEOUT_MS,
  DEFAULT_SILENCE_MS,
  heardBack,
  LOST_PATH_POLL_MS,
  LOST_PATH_SILENCE_MS,
  pathOf,
  type ReachMemory,
  type ReachRung,
  type ReachState,
  rungFor,
  rungOrder,
  storedReachMemory,
  transportOn,
} from './reach.ts';
import type { SignalingClient } from './SignalingClient.ts';
import { SilenceWatch } from './SilenceWatch.ts';

/** A producer of someone else that this client receives. */
export interface RemoteMedia {
  producer: ProducerInfo;
  consumerId: string;
  track: MediaStreamTrack;
}

export interface QualityReport {
  quality: NetworkQuality;
  sample: QualitySample;
}

/** What a user would notice, read from the receive transport's `getStats()`. */
export interface InboundStats {
  video: { framesDecoded: number; frameWidth: number; frameHeight: number; fps: number | null };
  audio: { packetsReceived: number };
}

export type MediaClientEvents = {
  /** The set of received tracks changed. */
  remotes: [remotes: RemoteMedia[]];
  /** Every quality reading (every `qualityIntervalMs`, and at once on state changes). */
  quality: [report: QualityReport];
  /** Media set up again after a socket reconnection or a `media.reconnect`. */
  ready: [];
  /** The reach ladder moved: another rung tried, a transport connected, its path changed. */
  reach: [state: ReachState];
  error: [error: Error];
};

export interface MediaClientOptions {
  /** Which announced producers to receive (default: all the server lets us see). */
  consume?: (producer: ProducerInfo) => boolean;
  /** Period of the quality reading (default 2 000 ms). */
  qualityIntervalMs?: number;
  /** Tell the server when the quality level or the media path changes, for the moderators (default true). */
  reportQuality?: boolean;
  /** The rungs to climb down (default direct, then the TURN relay when the server offers one). */
  ladder?: readonly ReachRung[];
  /** Climb down when no media transport has connected this long after it had media to carry (default 5 s). */
  rungTimeoutMs?: number;
  /** Climb down a direct rung sooner when no connectivity check was answered this long (default 2 s). */
  rungSilenceMs?: number;
  /** Where the rung that worked is kept for the next join (default the browser's localStorage; null: nowhere). */
  reachMemory?: ReachMemory | null;
  /**
   * A class on the relay tries the worker's own ports again after this long,
   * then twice as long each time up to 5 min (default 15 s; 0: never).
   */
  climbBackMs?: number;
  /**
   * A receive transport with no packets this long (its path cut mid-talk) is
   * rerouted through the relay, make before break (default 1.5 s; 0: only
   * when ICE calls it lost, by the ladder).
   */
  lostPathSilenceMs?: number;
  /**
   * A set-up anew that failed (after `media.reconnect`, a move not made, a
   * reconnection not resumed) is tried again after this backoff, `attempts`
   * times, then the reach is `exhausted` (default MEDIA_SETUP_RETRY). A
   * consume of a producer announced since that failed is tried again the
   * same, then media is set up anew.
   */
  setupRetry?: { initialMs: number; maxMs: number; attempts: number; jitter?: number };
  /**
   * mediasoup-client's handler (default: the browser's own, detected). Node
   * has no WebRTC: its tests pass mediasoup-client's FakeHandler, which makes
   * transports and consumers that carry nothing and never connect by themselves.
   */
  handlerFactory?: types.HandlerFactory;
}

/** A receive transport made beside the one in use, with its consumers (climb back up, move). */
interface FreshRecv {
  transport: types.Transport;
  consumers: Map<string, { consumer: types.Consumer; producer: ProducerInfo }>;
}

/** After a first join that raced every way and landed on the relay: when to try the direct ports. */
const CLIMB_AFTER_RACE_MS = 2_000;

/** How long a climb back up may take to connect, then to decode, before it is given up. */
const PROBE_CONNECT_MS = 4_000;
const PROBE_DECODE_MS = 4_000;
/** Both paths play this long at a climb back up, while the app swaps the tracks. */
const SWITCH_OVERLAP_MS = 1_000;

export interface ProduceOptions {
  source: ProducerSource;
  /** Three simulcast layers (camera video of a speaker); default true for video. */
  simulcast?: boolean;
}

/**
 * A receive transport that got nothing for this long has frozen (voice and
 * picture alike: even a silent microphone sends a packet every 400 ms).
 */
const STALL_MS = 2_000;

/**
 * Simulcast for a speaker's camera: a thumbnail, a classroom default and full
 * quality. Two temporal layers each, not Chromium's default three: the media
 * server climbs a class's layers resolution first, so a line of 450-550
 * kbit/s got the top layer's base temporal layer alone, 1280x720 at a quarter
 * of the camera's rate (5 images/s); with two, the worst is half (10 from a
 * 20 images/s camera, 15 from a 30 one), and every other frame is still one
 * no other depends on, which a lossy line may lose alone.
 */
export const CAMERA_SIMULCAST_ENCODINGS: types.RtpEncodingParameters[] = [
  { scaleResolutionDownBy: 4, maxBitrate: 150_000, scalabilityMode: 'L1T2' },
  { scaleResolutionDownBy: 2, maxBitrate: 500_000, scalabilityMode: 'L1T2' },
  { scaleResolutionDownBy: 1, maxBitrate: 1_500_000, scalabilityMode: 'L1T2' },
];

/**
 * One of this client's producers. Its track can be replaced without
 * renegotiation (camera switch); it survives reconnections (produced again
 * with its current track, under a new producer id).
 */
export class LocalProducer {
  #producer: types.Producer | null = null;
  #track: MediaStreamTrack;
  #closed = false;
  readonly options: ProduceOptions;
  readonly #client: MediaClient;

  constructor(client: MediaClient, track: MediaStreamTrack, options: ProduceOptions) {
    this.#client = client;
    this.#track = track;
    this.options = options;
  }

  get producerId(): string | null {
    return this.#producer?.id ?? null;
  }
  get track(): MediaStreamTrack {
    return this.#track;
  }
  get kind(): 'audio' | 'video' {
    return this.#track.kind === 'audio' ? 'audio' : 'video';
  }
  get closed(): boolean {
    return this.#closed;
  }
  /** The mediasoup-client producer (for getStats()); null between reconnections. */
  get producer(): types.Producer | null {
    return this.#producer;
  }

  /** Sends another track in place of this one: no renegotiation, no gap for viewers. */
  async replaceTrack(track: MediaStreamTrack): Promise<void> {
    this.#track = track;
    if (this.#producer && !this.#producer.closed) await this.#producer.replaceTrack({ track });
  }

  /** Stops sending; tells the server. The track is not stopped (the app owns it). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#client._closeLocal(this);
  }

  /** @internal */
  _attach(producer: types.Producer | null): void {
    this.#producer = producer;
  }
}

/**
 * Media over mediasoup-client for one participant: loads the router's
 * capabilities from `join`, receives the announced producers (resumed once
 * ready), sends tracks (simulcast for camera video), and sets all of it up
 * again after a socket reconnection or a `media.reconnect`.
 */
export class MediaClient extends Emitter<MediaClientEvents> {
  readonly #signaling: SignalingClient;
  readonly #options: MediaClientOptions;
  #device: Device | null = null;
  #recv: types.Transport | null = null;
  #send: types.Transport | null = null;
  readonly #consumers = new Map<string, { consumer: types.Consumer; producer: ProducerInfo }>();
  readonly #locals = new Set<LocalProducer>();
  #audioOnly = false;
  #layers: { spatialLayer: number; temporalLayer?: number } | null = null;
  /** Every setup, consume and produce runs in turn on this chain. */
  #queue: Promise<unknown> = Promise.resolve();
  #generation = 0;
  #closed = false;
  #qualityTimer: ReturnType<typeof setInterval> | null = null;
  #lastCounters: StatsCounters | null = null;
  /** When the receive transport last got packets (or started to be watched). */
  #packetsAt = 0;
  #packetsSeen = -1;
  #quality: QualityReport | null = null;
  /** The level and path the server last accepted from us (null: tell it again). */
  #reported: string | null = null;
  /** The relay the last join offered, with this participant's credentials. */
  #iceServers: IceServer[] = [];
  /** The rungs in the order this session tries them, and the one in use. */
  #rungs: ReachRung[] = [];
  #rungIndex = 0;
  #reach: ReachState = { rung: 'direct', status: 'idle', path: null, failed: [] };
  #rungTimer: ReturnType<typeof setTimeout> | null = null;
  #silenceTimer: ReturnType<typeof setTimeout> | null = null;
  /** The next try of the worker's own ports while on the relay, and how many were tried. */
  #climbTimer: ReturnType<typeof setTimeout> | null = null;
  #climbAttempts = 0;
  /** Counts the receive transport's packets: a silence is a path lost (see #lostPath). */
  #pathWatch: SilenceWatch | null = null;
  /** The receive transport a reroute through the relay failed for (not tried again). */
  #reroutedFrom: types.Transport | null = null;
  /** The next try of a set-up anew that failed, and how many failed in a row. */
  #retryTimer: ReturnType<typeof setTimeout> | null = null;
  #setupFailures = 0;
  /** Producers announced by `media.producerAdded` and not closed since (a failed consume of one is tried again). */
  readonly #announced = new Set<string>();
  /** The next try of a consume that failed, by producer. */
  readonly #consumeRetries = new Map<string, ReturnType<typeof setTimeout>>();
  readonly #memory: ReachMemory | null;
  readonly #unsubscribe: (() => void)[] = [];

  constructor(signaling: SignalingClient, options: MediaClientOptions = {}) {
    super();
    this.#signaling = signaling;
    this.#options = options;
    this.#memory = options.reachMemory === undefined ? storedReachMemory() : options.reachMemory;
  }

  get remotes(): RemoteMedia[] {
    return [...this.#consumers.values()].map(({ consumer, producer }) => ({
      producer,
      consumerId: consumer.id,
      track: consumer.track,
    }));
  }
  get audioOnly(): boolean {
    return this.#audioOnly;
  }
  get quality(): QualityReport | null {
    return this.#quality;
  }
  get device(): Device | null {
    return this.#device;
  }
  get recvTransport(): types.Transport | null {
    return this.#recv;
  }
  get sendTransport(): types.Transport | null {
    return this.#send;
  }
  /** Where this client is on the reach ladder, and the path its media takes. */
  get reach(): ReachState {
    return this.#reach;
  }

  /**
   * Starts media from a `join` result (default: the signaling client's last)
   * and follows the event: producers added and closed, reconnections.
   * Rejects when the first set-up fails, whose next try is planned all the
   * same (see #setUpAnew).
   */
  async start(join: JoinResult | null = this.#signaling.lastJoin): Promise<void> {
    const s = this.#signaling;
    this.#unsubscribe.push(
      s.onEvent('media.producerAdded', (p) => {
        this.#announced.add(p.producerId);
        this.#consumeAnnounced(p, this.#generation, 0);
      }),
      s.onEvent('media.producerClosed', ({ producerId }) => {
        this.#announced.delete(producerId);
        this.#cancelConsumeRetry(producerId);
        this.#dropConsumer(producerId);
      }),
      // Our media node died: set up anew wherever the server places us now, and again until it works.
      s.onEvent('media.reconnect', () => this.#setUpAnew(() => this.#rejoin())),
      // Our media node is drained: move make-before-break, or else set up anew.
      s.onEvent('media.move', () => {
        this.#setUpAnew(async () => {
          if (await this.#move().catch(() => false)) return;
          // What we had stays on the draining node unless closed there: the drain would
          // wait 10 s for us to leave it, then have us set up anew a second time.
          await s.request('media.close', {}).catch(() => {});
          await this.#setup(await s.request('join', {}));
        });
      }),
      s.on('joined', (fresh, reconnected) => {
        this.#reported = null;
        if (!reconnected) return;
        // The server kept our media through the socket's drop: it flowed on, keep it.
        const resumed = fresh.resume?.media;
        if (resumed?.status === 'resumed') {
          this.#setUpAnew(() => this.#resume(fresh, resumed.media));
        } else this.#setUpAnew(() => this.#setup(fresh));
      }),
      s.on('status', () => void this.#measure()),
    );
    const interval = this.#options.qualityIntervalMs ?? 2000;
    this.#qualityTimer = setInterval(() => void this.#measure(), interval);
    const silenceMs = this.#options.lostPathSilenceMs ?? LOST_PATH_SILENCE_MS;
    if (silenceMs > 0) {
      this.#pathWatch = new SilenceWatch({
        read: () => this.#packetsInUse(),
        silenceMs,
        intervalMs: LOST_PATH_POLL_MS,
        onSilent: () => this.#lostPath(),
      });
    }
    if (join) await this.#setUp(() => this.#setup(join));
  }

  /** Weak network: receive only the speakers' voices (or video again). */
  async setAudioOnly(audioOnly: boolean): Promise<void> {
    this.#audioOnly = audioOnly;
    await this.#signaling.request('media.setAudioOnly', { audioOnly });
  }

  /** Pins the simulcast layer of every received video (0 lowest); null follows bandwidth again. */
  async setPreferredLayers(spatialLayer: number | null, temporalLayer?: number): Promise<void> {
    this.#layers =
      spatialLayer === null
        ? null
        : { spatialLayer, ...(temporalLayer === undefined ? {} : { temporalLayer }) };
    const spatial = spatialLayer ?? 2;
    for (const { consumer } of this.#consumers.values()) {
      if (consumer.kind !== 'video') continue;
      await this.#signaling.request('media.setPreferredLayers', {
        consumerId: consumer.id,
        spatialLayer: spatial,
        ...(temporalLayer === undefined ? {} : { temporalLayer }),
      });
    }
  }

  /** Sends a track (camera, screen, or a classroom's stage camera). */
  async produce(track: MediaStreamTrack, options: ProduceOptions): Promise<LocalProducer> {
    const local = new LocalProducer(this, track, options);
    this.#locals.add(local);
    try {
      await this.#enqueue(() => this.#produce(local));
    } catch (err) {
      this.#locals.delete(local);
      throw err;
    }
    return local;
  }

  /** @internal used by LocalProducer.close() */
  async _closeLocal(local: LocalProducer): Promise<void> {
    this.#locals.delete(local);
    const producer = local.producer;
    local._attach(null);
    if (!producer) return;
    producer.close();
    await this.#signaling
      .request('media.closeProducer', { producerId: producer.id })
      .catch(() => {});
  }

  /** Counters a user would notice (frames decoded, resolution, audio packets). */
  async inboundStats(): Promise<InboundStats> {
    const out: InboundStats = {
      video: { framesDecoded: 0, frameWidth: 0, frameHeight: 0, fps: null },
      audio: { packetsReceived: 0 },
    };
    if (!this.#recv || this.#recv.closed) return out;
    const report = await this.#recv.getStats();
    report.forEach((r: Record<string, unknown>) => {
      const kind = inboundKind(r);
      if (kind === 'video') {
        out.video.framesDecoded += Number(r.framesDecoded ?? 0);
        out.video.frameWidth = Math.max(out.video.frameWidth, Number(r.frameWidth ?? 0));
        out.video.frameHeight = Math.max(out.video.frameHeight, Number(r.frameHeight ?? 0));
        if (typeof r.framesPerSecond === 'number') out.video.fps = r.framesPerSecond;
      } else if (kind === 'audio') {
        out.audio.packetsReceived += Number(r.packetsReceived ?? 0);
      }
    });
    return out;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const u of this.#unsubscribe.splice(0)) u();
    if (this.#qualityTimer) clearInterval(this.#qualityTimer);
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#pathWatch?.close();
    this.#disarm();
    this.#teardown();
    this.removeAllListeners();
  }

  #enqueue<T>(job: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(() => (this.#closed ? (undefined as T) : job()));
    this.#queue = run.catch((err: unknown) => {
      if (!(err instanceof SignalingError && err.code === 'DISCONNECTED')) {
        this.emit('error', err instanceof Error ? err : new Error(String(err)));
      }
    });
    return run;
  }

  /**
   * Sets media up anew (`job`, in turn with the rest): every set-up goes
   * this way (the first, `media.reconnect`, a move not made, a reconnection,
   * the ladder's climb down, a try planned here), and replaces a try still
   * planned. If it fails for anything but the socket's loss (its
   * reconnection sets up itself), the next try is planned at once,
   * after MEDIA_SETUP_RETRY's backoff: a class whose node died must not stay
   * black because its first set-up anew was refused (no node free yet while
   * the cluster re-places, a request unanswered under load). Meanwhile the
   * reach says `trying` with the try to come (`retrying`), and the quality
   * says the picture is lost. After the last try the reach is `exhausted`
   * (the app's fallback); the next `media.reconnect` or reconnection starts
   * again.
   */
  #setUpAnew(job: () => Promise<void>): void {
    void this.#setUp(job).catch(() => {});
  }

  /** #setUpAnew's, for a caller that awaits the first try's outcome (start). */
  #setUp(job: () => Promise<void>): Promise<void> {
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
    return this.#enqueue(async () => {
      try {
        await job();
      } catch (err) {
        this.#planSetupRetry(err);
        throw err;
      }
    });
  }

  #planSetupRetry(err: unknown): void {
    if (this.#closed || (err instanceof SignalingError && err.code === 'DISCONNECTED')) return;
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
    const attempt = ++this.#setupFailures;
    const delay = this.#retryDelay(attempt);
    if (delay === null) {
      // Nothing planned now; the next cause (a media.reconnect, a reconnection) tries afresh.
      this.#setupFailures = 0;
      this.#setReach({ status: 'trying', retrying: undefined, exhausted: true });
      return;
    }
    this.#setReach({ status: 'trying', retrying: { attempt, nextRetryAt: Date.now() + delay } });
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = null;
      // The socket is down: its reconnection's join sets media up (and plans again if it fails).
      if (this.#closed || this.#signaling.status !== 'open') return;
      this.#setUpAnew(() => this.#rejoin());
    }, delay);
  }

  /**
   * The one retry rule (MEDIA_SETUP_RETRY, or the options' `setupRetry`):
   * the wait before try `attempt` (from 1) after as many failures, or null
   * when none is left.
   */
  #retryDelay(attempt: number): number | null {
    const retry = this.#options.setupRetry ?? MEDIA_SETUP_RETRY;
    return attempt > retry.attempts ? null : backoffDelay(attempt - 1, retry);
  }

  /** A set-up anew wherever the server places us now (its join). */
  async #rejoin(): Promise<void> {
    await this.#setup(await this.#signaling.request('join', {}));
  }

  /**
   * Receives a producer announced once media is up (the usual case: classes
   * join before the speaker publishes). Such a consume that fails (unanswered
   * under load, the producer not yet known to our node, its resume refused)
   * left the class black with nothing planned: its transport never carried
   * anything, so no rung timer watches it. It is tried again by the set-up's
   * rule (#retryDelay) while the producer is still announced; when the tries
   * run out, media is set up anew (#setUpAnew: its own tries, then
   * `exhausted`, the app's fallback). A set-up meanwhile consumes what its
   * join announces, so the tries of an older one stop.
   */
  #consumeAnnounced(p: ProducerInfo, generation: number, failures: number): void {
    this.#enqueue(() => this.#consume(p, generation)).catch((err: unknown) => {
      const stale = this.#closed || generation !== this.#generation;
      if (stale || !this.#announced.has(p.producerId)) return;
      // The socket is down: its reconnection sets media up, this producer with it.
      if (err instanceof SignalingError && err.code === 'DISCONNECTED') return;
      const delay = this.#retryDelay(failures + 1);
      if (delay === null) {
        this.#setUpAnew(() => this.#rejoin());
        return;
      }
      this.#cancelConsumeRetry(p.producerId);
      const timer = setTimeout(() => {
        this.#consumeRetries.delete(p.producerId);
        if (this.#closed || this.#signaling.status !== 'open') return;
        this.#consumeAnnounced(p, generation, failures + 1);
      }, delay);
      this.#consumeRetries.set(p.producerId, timer);
    });
  }

  #cancelConsumeRetry(producerId: string): void {
    const timer = this.#consumeRetries.get(producerId);
    if (timer) clearTimeout(timer);
    this.#consumeRetries.delete(producerId);
  }

  /** Media plays again: no try left to make, the count starts afresh. */
  #setUpDone(): void {
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
    this.#setupFailures = 0;
    if (this.#reach.retrying) this.#setReach({ retrying: undefined });
  }

  #teardown(): void {
    this.#generation++;
    this.#disarm();
    for (const timer of this.#consumeRetries.values()) clearTimeout(timer);
    this.#consumeRetries.clear();
    for (const { consumer } of this.#consumers.values()) consumer.close();
    this.#consumers.clear();
    for (const l of this.#locals) {
      l.producer?.close();
      l._attach(null);
    }
    this.#recv?.close();
    this.#send?.close();
    this.#recv = null;
    this.#send = null;
    this.#lastCounters = null;
    this.#packetsSeen = -1;
  }

  async #setup(join: JoinResult): Promise<void> {
    const hadMedia = this.#consumers.size > 0 || this.#recv !== null;
    this.#teardown();
    if (hadMedia) this.emit('remotes', this.remotes);
    const generation = this.#generation;
    this.#iceServers = join.iceServers;
    this.#chooseRungs();
    if (!join.routerRtpCapabilities) {
      throw new SignalingError('MEDIA_UNAVAILABLE', 'media is not available on this server');
    }
    const handlerFactory = this.#options.handlerFactory;
    const device = new Device(handlerFactory ? { handlerFactory } : {});
    await device.load({
      routerRtpCapabilities: join.routerRtpCapabilities as types.RtpCapabilities,
    });
    this.#device = device;
    this.#recv = await this.#createTransport('recv');
    if (this.#audioOnly) await this.#signaling.request('media.setAudioOnly', { audioOnly: true });
    for (const p of join.state.producers) await this.#consume(p, generation);
    for (const local of this.#locals) await this.#produce(local);
    this.#setUpDone();
    this.emit('ready');
    void this.#measure();
  }

  /**
   * A reconnection that resumed our media: the transports, consumers and
   * producers the server handed over are kept as they are (no gap); what
   * changed while the socket was down is caught up (producers added or
   * closed meanwhile; a producer of ours the server closed is sent again).
   * Anything missing on the server's side sets everything up anew.
   */
  async #resume(join: JoinResult, adopted: AdoptedMedia): Promise<void> {
    const transports = new Set(adopted.transports.map((t) => t.transportId));
    if (!this.#device || !this.#recv || this.#recv.closed || !transports.has(this.#recv.id)) {
      await this.#setup(join);
      return;
    }
    this.#iceServers = join.iceServers;
    const generation = this.#generation;
    const open = new Set(join.state.producers.map((p) => p.producerId));
    const consumers = new Set(adopted.consumerIds);
    for (const [producerId, { consumer }] of [...this.#consumers]) {
      if (!open.has(producerId) || !consumers.has(consumer.id)) this.#dropConsumer(producerId);
    }
    for (const p of join.state.producers) await this.#consume(p, generation);
    if (this.#send && !transports.has(this.#send.id)) {
      this.#send.close();
      this.#send = null;
    }
    const kept = new Set(adopted.producerIds);
    for (const local of this.#locals) {
      if (local.producer && kept.has(local.producer.id)) continue;
      local.producer?.close();
      local._attach(null);
      await this.#produce(local);
    }
    this.#setUpDone();
    this.emit('ready');
    void this.#measure();
  }

  async #createTransport(
    direction: 'send' | 'recv',
    rung: ReachRung = this.#reach.rung,
    watch = true,
  ): Promise<types.Transport> {
    const device = this.#device;
    if (!device) throw new SignalingError('NOT_JOINED', 'media is not set up yet');
    const opts: TransportOptions = await this.#signaling.request('media.createTransport', {
      direction,
    });
    const params = transportOn(rung, opts, this.#iceServers);
    const transport =
      direction === 'recv'
        ? device.createRecvTransport(params)
        : device.createSendTransport(params);
    transport.on('connect', ({ dtlsParameters }, callback, errback) => {
      this.#signaling
        .request('media.connectTransport', {
          transportId: transport.id,
          dtlsParameters: dtlsParameters as never,
        })
        .then(() => callback(), errback);
    });
    transport.on('produce', ({ kind, rtpParameters, appData }, callback, errback) => {
      this.#signaling
        .request('media.produce', {
          transportId: transport.id,
          kind,
          rtpParameters: rtpParameters as never,
          source: (appData as { source: ProducerSource }).source,
        })
        .then(({ producerId }) => callback({ id: producerId }), errback);
    });
    if (watch) this.#watch(transport);
    return transport;
  }

  /** Follows a transport in use: connected, lost, failed (the ladder moves). */
  #watch(transport: types.Transport): void {
    const generation = this.#generation;
    transport.on('connectionstatechange', (state) => {
      const inUse = transport === this.#recv || transport === this.#send;
      if (generation === this.#generation && inUse) {
        if (state === 'connected') this.#connected();
        else if (state === 'failed') this.#climbDown();
        else if (state === 'disconnected') this.#armLost(transport);
      }
      void this.#measure();
    });
  }

  async #consume(p: ProducerInfo, generation: number): Promise<void> {
    if (generation !== this.#generation || !this.#recv || !this.#device) return;
    if (this.#consumers.has(p.producerId)) return;
    if (p.participantId === this.#signaling.lastJoin?.self.participantId) return;
    if (this.#options.consume && !this.#options.consume(p)) return;
    const recv = this.#recv;
    const opts = await this.#signaling.request('media.consume', {
      transportId: recv.id,
      producerId: p.producerId,
      rtpCapabilities: this.#device.rtpCapabilities as never,
    });
    if (generation !== this.#generation || recv.closed) return;
    const consumer = await recv.consume({
      id: opts.consumerId,
      producerId: opts.producerId,
      kind: opts.kind,
      rtpParameters: opts.rtpParameters as types.RtpParameters,
    });
    this.#consumers.set(p.producerId, { consumer, producer: p });
    this.#arm(recv);
    try {
      await this.#startConsumer(consumer);
    } catch (err) {
      // Left paused, it would never play and a next try would skip it as received.
      if (this.#consumers.get(p.producerId)?.consumer === consumer) {
        consumer.close();
        this.#consumers.delete(p.producerId);
      }
      throw err;
    }
    this.emit('remotes', this.remotes);
  }

  /** Has the server send a consumer made paused: at the class's chosen layers (a picture), then resumed. */
  async #startConsumer(consumer: types.Consumer): Promise<void> {
    if (consumer.kind === 'video' && this.#layers) {
      await this.#signaling.request('media.setPreferredLayers', {
        consumerId: consumer.id,
        ...this.#layers,
      });
    }
    await this.#signaling.request('media.resumeConsumer', { consumerId: consumer.id });
  }

  #dropConsumer(producerId: string): void {
    const entry = this.#consumers.get(producerId);
    if (!entry) return;
    entry.consumer.close();
    this.#consumers.delete(producerId);
    this.emit('remotes', this.remotes);
  }

  async #produce(local: LocalProducer): Promise<void> {
    if (local.closed || !this.#device) return;
    if (!this.#send || this.#send.closed) this.#send = await this.#createTransport('send');
    const video = local.kind === 'video';
    const simulcast = video && (local.options.simulcast ?? local.options.source === 'camera');
    const producer = await this.#send.produce({
      track: local.track,
      ...(simulcast ? { encodings: CAMERA_SIMULCAST_ENCODINGS } : {}),
      codecOptions: video ? { videoGoogleStartBitrate: 1000 } : { opusDtx: true, opusFec: true },
      stopTracks: false,
      appData: { source: local.options.source },
    });
    local._attach(producer);
    this.#arm(this.#send);
  }

  async #measure(): Promise<void> {
    if (this.#closed) return;
    const transports = [this.#recv, this.#send].filter(
      (t): t is types.Transport => t !== null && !t.closed,
    );
    const readings: StatsCounters[] = [];
    let path: MediaPath | null = null;
    let received: number | null = null;
    for (const t of transports) {
      try {
        const reports: Record<string, unknown>[] = [];
        (await t.getStats()).forEach((r: Record<string, unknown>) => {
          reports.push(r);
        });
        const reading = readCounters(reports, { uplink: t.direction === 'send' });
        readings.push(reading);
        // A transport ICE calls disconnected still counts what arrives: its
        // stream stalls as surely as a connected one's (the line is cut).
        const carrying = t.connectionState === 'connected' || t.connectionState === 'disconnected';
        if (t === this.#recv && carrying) received = reading.packetsReceived;
        if (t.connectionState === 'connected') path ??= pathOf(reports);
      } catch {
        // A transport closing under us: the next reading will do.
      }
    }
    const counters = mergeCounters(readings);
    const sample: QualitySample = {
      signaling: this.#signaling.status,
      transport: worstTransportState(transports.map((t) => t.connectionState as TransportState)),
      rttMs: counters.rttMs,
      lossRate: lossBetween(this.#lastCounters, counters),
      availableKbps: counters.availableKbps,
      // A path being rerouted went silent 1.5 s ago already: the picture is frozen.
      // So is one whose set-up anew failed and waits for its next try.
      stalled:
        this.#stalled(received) ||
        this.#reach.rerouting === true ||
        this.#reach.retrying !== undefined,
    };
    this.#lastCounters = counters;
    this.#quality = { quality: classifyQuality(sample), sample };
    if (path && path !== this.#reach.path && this.#reach.status === 'connected') {
      // A first join's `any`: what worked is known now, and kept for the next one.
      if (this.#reach.rung === 'any') this.#memory?.save(rungFor(path));
      this.#setReach({ path });
      this.#planClimb();
    }
    this.emit('quality', this.#quality);
    this.#report(this.#quality.quality);
  }

  /**
   * Whether nothing has arrived for STALL_MS on a connected receive transport
   * that carries something: the picture froze though no state says so yet.
   * `received`: its packet count now, null while it is not connected.
   */
  #stalled(received: number | null): boolean {
    const now = Date.now();
    if (received === null || this.#consumers.size === 0 || received > this.#packetsSeen) {
      this.#packetsAt = now;
    }
    this.#packetsSeen = received ?? -1;
    return now - this.#packetsAt >= STALL_MS;
  }

  /**
   * Sends the level and the path when they change. Offline with the socket
   * open (the media alone is cut) is told as bad: the server cannot see it.
   */
  #report(level: NetworkQuality): void {
    if (this.#options.reportQuality === false) return;
    const quality = level === 'offline' ? 'bad' : level;
    const path = this.#reach.status === 'connected' ? this.#reach.path : null;
    const key = `${quality}:${path}`;
    if (key === this.#reported || this.#signaling.status !== 'open') return;
    this.#reported = key;
    this.#signaling
      .request('presence.quality', { quality, ...(path ? { path } : {}) })
      .catch(() => {
        this.#reported = null;
      });
  }

  /** The rungs for this server (the relay only if it offers one), keeping the current one. */
  #chooseRungs(): void {
    const ladder = this.#options.ladder ?? DEFAULT_LADDER;
    const usable = availableRungs(ladder, this.#iceServers);
    // A ladder of the relay alone on a server without one: tried as asked (a check fails, honestly).
    if (usable.length === 0) usable.push(ladder[0] ?? 'direct');
    const current = this.#rungs[this.#rungIndex];
    if (current && usable.includes(current)) {
      this.#rungs = rungOrder(usable, current);
    } else {
      this.#rungs = rungOrder(usable, this.#memory?.load() ?? null);
    }
    this.#rungIndex = 0;
    const rung = this.#rungs[0] as ReachRung;
    if (rung !== this.#reach.rung || this.#reach.status === 'connected') {
      this.#setReach({ rung, status: 'idle', path: null });
    }
  }

  /** A transport has media to carry: it must connect in time, or the next rung is tried. */
  #arm(transport: types.Transport | null): void {
    if (!transport || this.#rungTimer || transport.connectionState === 'connected') return;
    if (this.#reach.status !== 'connected') this.#setReach({ status: 'trying' });
    const generation = this.#generation;
    const stale = () =>
      generation !== this.#generation || this.#closed || transport.connectionState === 'connected';
    // One rung (no relay offered): nothing else to try; ICE keeps at it, a failure sets it up
    // again. Its silence says only that every way failed, for the app's fallback.
    if (this.#rungs.length < 2) {
      this.#silenceTimer = setTimeout(async () => {
        this.#silenceTimer = null;
        const reports = await statsOf(transport);
        if (reports && !stale() && !heardBack(reports)) this.#setReach({ exhausted: true });
      }, this.#options.rungSilenceMs ?? DEFAULT_SILENCE_MS);
      return;
    }
    this.#rungTimer = setTimeout(() => {
      this.#rungTimer = null;
      if (!stale()) this.#climbDown();
    }, this.#options.rungTimeoutMs ?? DEFAULT_RUNG_TIMEOUT_MS);
    // The relay's own set-up (TLS, allocation) takes round trips before any check: timeout only.
    if (this.#reach.rung === 'relay' || this.#reach.rung === 'any') return;
    this.#silenceTimer = setTimeout(async () => {
      this.#silenceTimer = null;
      const reports = await statsOf(transport);
      if (reports && !stale() && !heardBack(reports)) this.#climbDown();
    }, this.#options.rungSilenceMs ?? DEFAULT_SILENCE_MS);
  }

  /**
   * A connected transport lost its path (the school's firewall closed mid-talk):
   * unless it is back within the rung timeout, the next rung is tried, without
   * waiting the browser's own ICE failure (about 30 s).
   */
  #armLost(transport: types.Transport): void {
    if (this.#rungTimer || this.#rungs.length < 2) return;
    const generation = this.#generation;
    this.#rungTimer = setTimeout(() => {
      this.#rungTimer = null;
      if (generation !== this.#generation || this.#closed) return;
      // Replaced meanwhile (a reroute through the relay, a move): nothing lost any more.
      if (transport !== this.#recv && transport !== this.#send) return;
      // A reroute through the relay is under way: it climbs down itself if it fails.
      if (this.#reach.rerouting) return;
      if (transport.connectionState !== 'connected') this.#climbDown();
    }, this.#options.rungTimeoutMs ?? DEFAULT_RUNG_TIMEOUT_MS);
  }

  #disarm(): void {
    if (this.#rungTimer) clearTimeout(this.#rungTimer);
    if (this.#silenceTimer) clearTimeout(this.#silenceTimer);
    if (this.#climbTimer) clearTimeout(this.#climbTimer);
    this.#rungTimer = null;
    this.#silenceTimer = null;
    this.#climbTimer = null;
  }

  #connected(): void {
    this.#disarm();
    if (this.#reach.status === 'connected') return;
    if (this.#reach.rung !== 'any') this.#memory?.save(this.#reach.rung);
    this.#setReach({ status: 'connected', failed: [], exhausted: false });
    // The selected pair is in the stats a moment later: the path shown without waiting a period.
    setTimeout(() => void this.#measure(), 250);
  }

  /**
   * Connected through the relay: plan the next try of the worker's own ports
   * (climbing back up), later each time. A class on stage (sending) stays put.
   */
  #planClimb(): void {
    const first = this.#options.climbBackMs ?? CLIMB_BACK_MS.initialMs;
    const path = this.#reach.path;
    if (this.#climbTimer || first <= 0 || !path?.startsWith('turn-')) return;
    if (!this.#rungs.includes('direct')) return;
    // A first join races every way at once, and the relay may win the race while
    // the worker's own ports (ICE-TCP through a school's firewall) work too: try
    // them again at once, not a quarter of a minute later.
    const raced = this.#reach.rung === 'any' && this.#climbAttempts === 0;
    const delay = raced
      ? CLIMB_AFTER_RACE_MS
      : backoffDelay(this.#climbAttempts, { ...CLIMB_BACK_MS, initialMs: first });
    const generation = this.#generation;
    this.#climbTimer = setTimeout(() => {
      this.#climbTimer = null;
      if (generation !== this.#generation || this.#closed) return;
      this.#climbAttempts++;
      void this.#enqueue(async () => {
        const climbed = generation === this.#generation && (await this.#climbBack());
        if (!climbed && generation === this.#generation) this.#planClimb();
      });
    }, delay);
  }

  /**
   * Make before break: a second receive transport on the worker's own ports
   * while the relay's still plays. It proves the path first (an audio
   * consumer, paused: nothing flows), then receives everything, and only once
   * its picture decodes does it replace the relay's transport, whose tracks
   * the app drops for the new ones: no gap on screen. A try that fails leaves
   * the relay as it was, and its transport is closed on the server too.
   */
  async #climbBack(): Promise<boolean> {
    const old = this.#recv;
    if (!old || !this.#device || this.#send || this.#reach.status !== 'connected') return false;
    // Planned on the relay, but ICE moved to the worker's own ports since (a first
    // join's race: the relay's pair first, ICE-TCP's a moment later): nothing to climb.
    if (!this.#reach.path?.startsWith('turn-')) return false;
    const generation = this.#generation;
    const fresh = await this.#receiveAgain('direct', true);
    if (!fresh) return false;
    if (generation !== this.#generation || this.#recv !== old || this.#closed) {
      this.#giveUp(fresh);
      return false;
    }
    this.#swapRecv(fresh, () => this.#closeOnServer(old.id));
    this.#climbAttempts = 0;
    this.#rungs = rungOrder(
      availableRungs(this.#options.ladder ?? DEFAULT_LADDER, this.#iceServers),
      'direct',
    );
    this.#rungIndex = 0;
    this.#memory?.save('direct');
    this.#setReach({
      rung: 'direct',
      status: 'connected',
      path: null,
      failed: [],
      exhausted: false,
    });
    void this.#measure();
    return true;
  }

  /**
   * The server moves this class's media to another media node (a drain for
   * maintenance): make before break, as a climb back up but on the rung in
   * use. The new receive transport is placed on the new node; once its
   * picture decodes the app gets its tracks, and the old transport is closed
   * here and on the server. A class on stage sends from the new node too (its
   * camera blinks for the speakers: one stage producer of each kind at a
   * time). False when it could not: the caller sets media up anew.
   */
  async #move(): Promise<boolean> {
    const old = this.#recv;
    if (!old || !this.#device || this.#closed) return false;
    const generation = this.#generation;
    const fresh = await this.#receiveAgain(this.#reach.rung, false);
    if (!fresh) return false;
    if (generation !== this.#generation || this.#recv !== old || this.#closed) {
      this.#giveUp(fresh);
      return false;
    }
    this.#swapRecv(fresh, () => this.#closeOnServer(old.id));
    await this.#sendAgain();
    void this.#measure();
    return true;
  }

  /**
   * A class on stage sends from a new send transport (on the rung in use,
   * wherever the server places it now): its producers made again there, the
   * old transport closed here and on the server. Its camera blinks for the
   * speakers: one stage producer of each kind at a time.
   */
  async #sendAgain(): Promise<void> {
    const oldSend = this.#send;
    if (!oldSend) return;
    this.#send = null;
    for (const local of this.#locals) {
      const previous = local.producer;
      if (previous) {
        previous.close();
        await this.#signaling
          .request('media.closeProducer', { producerId: previous.id })
          .catch(() => {});
      }
      await this.#produce(local);
    }
    oldSend.close();
    this.#closeOnServer(oldSend.id);
  }

  /**
   * The receive transport that could be rerouted through the relay if its
   * path were lost: in use, carrying something, on a path that is not the
   * relay already, with a relay offered and the signaling socket open (to set
   * the relay's transport up); not one whose reroute failed. Null otherwise.
   */
  #reroutable(): types.Transport | null {
    const recv = this.#recv;
    if (!recv || recv.closed || this.#closed || this.#consumers.size === 0) return null;
    if (this.#reach.status !== 'connected' || this.#reach.rerouting) return null;
    const path = this.#reach.path;
    if (!path || path.startsWith('turn-') || !this.#rungs.includes('relay')) return null;
    if (this.#reroutedFrom === recv || this.#signaling.status !== 'open') return null;
    return recv;
  }

  /**
   * What the silence watch counts: the talk's packets so far (voice and
   * picture) on a receive transport that could be rerouted, else null
   * (nothing to watch: no `getStats()` every 250 ms for a class already on
   * the relay, or without one).
   */
  async #packetsInUse(): Promise<number | null> {
    const recv = this.#reroutable();
    if (!recv) return null;
    const packets = await packetsReceived(recv);
    return recv === this.#recv ? packets : null;
  }

  /**
   * The path in use is lost mid-talk (no packets for LOST_PATH_SILENCE_MS):
   * through the relay at once, make before break (see #reroutable for when).
   * Not on ICE's 'disconnected' alone: a thin line that drops the checks'
   * answers still carries the talk, and a try beside it doubles what it must
   * carry. Not again for a transport whose reroute failed: the ladder's own
   * timer (#armLost) climbs down then.
   */
  #lostPath(): void {
    const recv = this.#reroutable();
    if (!recv) return;
    this.#reroutedFrom = recv;
    this.#setReach({ rerouting: true });
    // Told at once (the banner's « Connexion perdue », the moderators' 'bad'), not at the next reading.
    void this.#measure();
    void this.#enqueue(async () => {
      try {
        await this.#reroute(recv);
      } finally {
        if (this.#reach.rerouting) {
          this.#setReach({ rerouting: false });
          void this.#measure();
        }
        // Still in use and ICE calls it lost: the ladder's timer, which let the try run, again.
        if (this.#recv === recv && recv.connectionState === 'disconnected') this.#armLost(recv);
      }
    });
  }

  /**
   * Make before break through the relay alone, as a move: a second receive
   * transport (`iceTransportPolicy: 'relay'`) consumes everything beside the
   * silent one; once its picture decodes the app gets its tracks and the old
   * transport is closed, here and on the server. Unless the old path came
   * back meanwhile (a burst of loss, not a closed firewall): the class stays
   * where it was, the relay's transport is closed. A class on stage sends
   * through the relay too. When the relay gives nothing either, the ladder
   * climbs down (a new join) as it would have.
   */
  async #reroute(old: types.Transport): Promise<void> {
    if (old !== this.#recv || this.#closed || !this.#device) return;
    const generation = this.#generation;
    const silent = await packetsReceived(old);
    const fresh = await this.#receiveAgain('relay', false).catch(() => null);
    const stale = generation !== this.#generation || this.#recv !== old || this.#closed;
    // Anything since on the old path: it came back.
    const back = silent !== null && (await packetsReceived(old)) !== silent;
    if (!fresh || stale || back) {
      if (fresh) this.#giveUp(fresh);
      // Back by itself: a later cut of the same path is rerouted again.
      if (back) this.#reroutedFrom = null;
      // The whole line cut (the socket too): its reconnection resumes the media, no climb.
      const lost = old.connectionState !== 'connected' && this.#signaling.status === 'open';
      if (!fresh && !stale && lost) this.#climbDown();
      return;
    }
    const reports = await statsOf(fresh.transport);
    this.#swapRecv(fresh, () => this.#closeOnServer(old.id));
    this.#rungs = rungOrder(
      availableRungs(this.#options.ladder ?? DEFAULT_LADDER, this.#iceServers),
      'relay',
    );
    this.#rungIndex = 0;
    this.#memory?.save('relay');
    this.#setReach({
      rung: 'relay',
      status: 'connected',
      path: (reports && pathOf(reports)) ?? null,
      failed: [],
      exhausted: false,
      rerouting: false,
    });
    await this.#sendAgain();
    void this.#measure();
    this.#planClimb();
  }

  #closeOnServer(transportId: string): void {
    void this.#signaling.request('media.closeTransport', { transportId }).catch(() => {});
  }

  /**
   * A second receive transport (on `rung`, wherever the server places it now)
   * with a consumer of everything received, resumed, decoding: it is not in
   * use yet. `probe`: prove the path first with one paused consumer. Null when
   * it did not connect or decode in time (what it made is closed, here and
   * on the server).
   */
  async #receiveAgain(rung: ReachRung, probe: boolean): Promise<FreshRecv | null> {
    const device = this.#device;
    if (!device) return null;
    const producers = [...this.#consumers.values()].map((c) => c.producer);
    const first = producers.find((p) => p.kind === 'audio') ?? producers[0];
    if (!first) return null;
    const transport = await this.#createTransport('recv', rung, false);
    const fresh: FreshRecv = { transport, consumers: new Map() };
    try {
      const consume = async (p: ProducerInfo) => {
        const opts = await this.#signaling.request('media.consume', {
          transportId: transport.id,
          producerId: p.producerId,
          rtpCapabilities: device.rtpCapabilities as never,
        });
        const consumer = await transport.consume({
          id: opts.consumerId,
          producerId: opts.producerId,
          kind: opts.kind,
          rtpParameters: opts.rtpParameters as types.RtpParameters,
        });
        fresh.consumers.set(p.producerId, { consumer, producer: p });
      };
      if (probe) {
        await consume(first);
        if (!(await until(() => transport.connectionState === 'connected', PROBE_CONNECT_MS))) {
          return this.#giveUp(fresh);
        }
      }
      for (const p of producers) if (!fresh.consumers.has(p.producerId)) await consume(p);
      for (const { consumer } of fresh.consumers.values()) await this.#startConsumer(consumer);
      const video = [...fresh.consumers.values()].some((c) => c.consumer.kind === 'video');
      const decoding = async () =>
        !video || this.#audioOnly || (await framesDecoded(transport)) > 0;
      const limit = probe ? PROBE_DECODE_MS : PROBE_CONNECT_MS + PROBE_DECODE_MS;
      if (!(await until(decoding, limit))) return this.#giveUp(fresh);
    } catch (err) {
      this.#giveUp(fresh);
      throw err;
    }
    return fresh;
  }

  #giveUp(fresh: FreshRecv): null {
    for (const { consumer } of fresh.consumers.values()) consumer.close();
    fresh.transport.close();
    // Else one idle transport per failed try stays on the server (a school
    // whose ports stay shut tries all morning).
    this.#closeOnServer(fresh.transport.id);
    return null;
  }

  /**
   * The switch: the new transport's tracks to the app, the old one closed a
   * moment later (both play while the app swaps the tracks in its stream).
   */
  #swapRecv(fresh: FreshRecv, closed: () => void = () => {}): void {
    const old = this.#recv;
    const previous = [...this.#consumers.values()];
    this.#recv = fresh.transport;
    this.#consumers.clear();
    for (const [id, c] of fresh.consumers) this.#consumers.set(id, c);
    this.#watch(fresh.transport);
    this.#lastCounters = null;
    this.#packetsSeen = -1;
    this.emit('remotes', this.remotes);
    setTimeout(() => {
      for (const { consumer } of previous) consumer.close();
      old?.close();
      closed();
    }, SWITCH_OVERLAP_MS);
  }

  /**
   * This rung did not connect: the next one (after the last, the first again).
   * The server's side is closed and set up anew, as after a `media.reconnect`.
   */
  #climbDown(): void {
    if (this.#closed) return;
    const given = this.#reach.rung;
    if (this.#rungs.length > 1) this.#rungIndex = (this.#rungIndex + 1) % this.#rungs.length;
    const rung = this.#rungs[this.#rungIndex] ?? given;
    // `any` was every way at once; otherwise the ladder has come round.
    const exhausted = this.#reach.exhausted || given === 'any' || this.#rungIndex === 0;
    this.#setReach({
      rung,
      status: 'trying',
      path: null,
      failed: [...this.#reach.failed, given],
      exhausted,
    });
    this.#teardown();
    this.emit('remotes', this.remotes);
    const s = this.#signaling;
    // Refused (a join unanswered, no media node free yet): tried again on this
    // rung, then `exhausted` (the app's fallback) — not left with nothing.
    this.#setUpAnew(async () => {
      await s.request('media.close', {}).catch(() => {});
      // #setup keeps the rung chosen here (first of the order from now on).
      await this.#setup(await s.request('join', {}));
    });
  }

  #setReach(patch: Partial<ReachState>): void {
    this.#reach = { ...this.#reach, ...patch };
    this.emit('reach', this.#reach);
  }
}

/** Whether `test` turned true within `ms` (checked every 100 ms). */
async function until(test: () => boolean | Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await test()) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A transport's `getStats()` reports; null when it closed under us. */
async function statsOf(transport: types.Transport): Promise<Record<string, unknown>[] | null> {
  const reports: Record<string, unknown>[] = [];
  try {
    (await transport.getStats()).forEach((r: Record<string, unknown>) => {
      reports.push(r);
    });
    return reports;
  } catch {
    return null;
  }
}

/** The talk's packets a transport has received (voice and picture); null when it closed under us. */
async function packetsReceived(transport: types.Transport): Promise<number | null> {
  const reports = await statsOf(transport);
  if (!reports) return null;
  let packets = 0;
  for (const r of reports) if (inboundKind(r)) packets += Number(r.packetsReceived ?? 0);
  return packets;
}

/** Video frames a transport has decoded (its `getStats()`). */
async function framesDecoded(transport: types.Transport): Promise<number> {
  let frames = 0;
  (await transport.getStats()).forEach((r: Record<string, unknown>) => {
    if (inboundKind(r) === 'video') {
      frames += Number(r.framesDecoded ?? 0);
    }
  });
  return frames;
}
