import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { types } from 'mediasoup';
import { HeldPictureProbe } from './HeldPictureProbe.ts';
import { MediaError } from './MediaError.ts';
import type { PoolWorker } from './WorkerPool.ts';

export type ParticipantRole = 'speaker' | 'moderator' | 'classroom';

export type WebRtcTransportInfo = {
  id: string;
  iceParameters: types.IceParameters;
  iceCandidates: types.IceCandidate[];
  dtlsParameters: types.DtlsParameters;
};

export type PlainTransportInfo = {
  id: string;
  /** Where the transport sends from (its local tuple). */
  localPort: number;
  /** Keys the receiver decrypts with, when SRTP is on. */
  srtpParameters?: types.SrtpParameters;
  /** Keys the receiver encrypts its RTCP (reports, feedback) with, when SRTP is on. */
  remoteSrtpParameters?: types.SrtpParameters;
};

export type ConsumerInfo = {
  id: string;
  producerId: string;
  kind: types.MediaKind;
  rtpParameters: types.RtpParameters;
  type: types.ConsumerType;
};

export type ParticipantSessionEvents = {
  close: [];
};

export type TransportOptions = {
  listenIp: string;
  announcedAddress?: string;
  socketBufferSize?: number;
};

/**
 * One participant's media on one router: its transports, the producers it
 * sends (a speaker; a classroom on stage) and the consumers it receives.
 * Speakers and moderators sit on the broadcast's origin router, classrooms on
 * an edge router. close() closes every transport, and with them every
 * producer and consumer they carry.
 */
export class ParticipantSession extends EventEmitter<ParticipantSessionEvents> {
  readonly participantId: string;
  readonly role: ParticipantRole;
  readonly router: types.Router;
  readonly poolWorker: PoolWorker;
  readonly #transports = new Map<string, types.Transport>();
  /** Plain transports whose receivers send no bandwidth feedback. */
  readonly #noFeedbackTransportIds = new Set<string>();
  readonly #consumers = new Map<string, types.Consumer>();
  readonly #producers = new Map<string, types.Producer>();
  readonly #transportOptions: TransportOptions;
  #audioOnly = false;
  #preferredSpatialLayer: number | undefined;
  #closed = false;

  constructor(args: {
    participantId: string;
    role: ParticipantRole;
    router: types.Router;
    poolWorker: PoolWorker;
    transportOptions: TransportOptions;
  }) {
    super();
    this.participantId = args.participantId;
    this.role = args.role;
    this.router = args.router;
    this.poolWorker = args.poolWorker;
    this.#transportOptions = args.transportOptions;
    // The router going away (broadcast closed, worker died) ends the session.
    this.router.observer.once('close', () => this.close());
  }

  get closed(): boolean {
    return this.#closed;
  }

  get consumerCount(): number {
    return this.#consumers.size;
  }

  /** What the participant receives now: per consumer, its kind and simulcast layer. */
  get consumers(): { id: string; kind: types.MediaKind; paused: boolean; spatialLayer?: number }[] {
    return [...this.#consumers.values()].map((c) => ({
      id: c.id,
      kind: c.kind,
      paused: c.paused,
      ...(c.currentLayers ? { spatialLayer: c.currentLayers.spatialLayer } : {}),
    }));
  }

  async createWebRtcTransport(): Promise<WebRtcTransportInfo> {
    this.#assertOpen();
    const transport = await this.router.createWebRtcTransport({
      webRtcServer: this.poolWorker.webRtcServer,
      enableUdp: true,
      enableTcp: true,
      preferUdp: true,
      initialAvailableOutgoingBitrate: 600_000,
      appData: { participantId: this.participantId },
    });
    this.#track(transport);
    // A picture held back by a thin line comes back as soon as the line allows.
    HeldPictureProbe.attach(transport);
    return {
      id: transport.id,
      iceParameters: transport.iceParameters,
      iceCandidates: transport.iceCandidates,
      dtlsParameters: transport.dtlsParameters,
    };
  }

  /**
   * A transport that sends RTP to a fixed address: load tests, benchmarks and
   * test sinks. With SRTP it costs the worker the same per packet as WebRTC.
   */
  async createPlainTransport(remote: {
    ip: string;
    port: number;
    /** SRTP suite, or none for clear RTP. */
    srtp?: types.SrtpCryptoSuite;
    /**
     * The receiver answers transport-cc with transport-wide feedback, as a
     * browser does: its consumers keep transport-cc (and REMB) and the worker
     * runs send-side bandwidth estimation for it. Off by default: a receiver
     * that never answers would be estimated from silence.
     */
    bandwidthFeedback?: boolean;
    /**
     * Floor of the bandwidth estimate, bits/s: what the receiver is known to
     * take whatever the estimate says (benchmarks keep every classroom on the
     * top layer while the estimation still runs on every feedback).
     */
    minOutgoingBitrate?: number;
  }): Promise<PlainTransportInfo> {
    this.#assertOpen();
    const o = this.#transportOptions;
    const transport = await this.router.createPlainTransport({
      listenInfo: {
        protocol: 'udp',
        ip: o.listenIp,
        ...(o.socketBufferSize
          ? { sendBufferSize: o.socketBufferSize, recvBufferSize: o.socketBufferSize }
          : {}),
      },
      rtcpMux: true,
      comedia: false,
      enableSrtp: remote.srtp !== undefined,
      ...(remote.srtp ? { srtpCryptoSuite: remote.srtp } : {}),
      appData: { participantId: this.participantId },
    });
    this.#track(transport);
    if (!remote.bandwidthFeedback) this.#noFeedbackTransportIds.add(transport.id);
    const remoteSrtpParameters: types.SrtpParameters | undefined = remote.srtp
      ? {
          cryptoSuite: remote.srtp,
          keyBase64: randomBytes(SRTP_KEY_LENGTH[remote.srtp]).toString('base64'),
        }
      : undefined;
    await transport.connect({
      ip: remote.ip,
      port: remote.port,
      ...(remoteSrtpParameters ? { srtpParameters: remoteSrtpParameters } : {}),
    });
    if (remote.minOutgoingBitrate) await transport.setMinOutgoingBitrate(remote.minOutgoingBitrate);
    return {
      id: transport.id,
      localPort: transport.tuple.localPort,
      ...(transport.srtpParameters ? { srtpParameters: transport.srtpParameters } : {}),
      ...(remoteSrtpParameters ? { remoteSrtpParameters } : {}),
    };
  }

  async connectWebRtcTransport(
    transportId: string,
    dtlsParameters: types.DtlsParameters,
  ): Promise<void> {
    const transport = this.#transport(transportId);
    if (!('iceParameters' in transport)) {
      throw new MediaError('TRANSPORT_NOT_FOUND', `transport ${transportId} is not a WebRTC one`);
    }
    await transport.connect({ dtlsParameters });
  }

  async produce(args: {
    transportId: string;
    kind: types.MediaKind;
    rtpParameters: types.RtpParameters;
    keyFrameRequestDelay?: number;
    appData?: types.AppData;
  }): Promise<types.Producer> {
    const transport = this.#transport(args.transportId);
    const producer = await transport.produce({
      kind: args.kind,
      rtpParameters: args.rtpParameters,
      ...(args.keyFrameRequestDelay ? { keyFrameRequestDelay: args.keyFrameRequestDelay } : {}),
      appData: { ...args.appData, participantId: this.participantId },
    });
    this.#producers.set(producer.id, producer);
    producer.observer.once('close', () => this.#producers.delete(producer.id));
    return producer;
  }

  /**
   * Consumes a producer of this session's router. The consumer starts paused:
   * the client resumes it once its side is ready, so a join storm doesn't turn
   * into key-frame requests for streams nobody decodes yet.
   */
  async consume(args: {
    transportId: string;
    producerId: string;
    rtpCapabilities: types.RtpCapabilities;
  }): Promise<ConsumerInfo> {
    const transport = this.#transport(args.transportId);
    if (!this.router.canConsume(args)) {
      throw new MediaError(
        'CANNOT_CONSUME',
        `producer ${args.producerId} cannot be consumed with these RTP capabilities`,
      );
    }
    const consumer = await transport.consume({
      producerId: args.producerId,
      rtpCapabilities: this.#noFeedbackTransportIds.has(transport.id)
        ? withoutBandwidthFeedback(args.rtpCapabilities)
        : args.rtpCapabilities,
      paused: true,
      ...(this.#preferredSpatialLayer === undefined
        ? {}
        : { preferredLayers: { spatialLayer: this.#preferredSpatialLayer } }),
      appData: { participantId: this.participantId },
    });
    this.#consumers.set(consumer.id, consumer);
    this.poolWorker.consumers++;
    consumer.observer.once('close', () => {
      this.#consumers.delete(consumer.id);
      this.poolWorker.consumers--;
    });
    return {
      id: consumer.id,
      producerId: consumer.producerId,
      kind: consumer.kind,
      rtpParameters: consumer.rtpParameters,
      type: consumer.type,
    };
  }

  async resumeConsumer(consumerId: string): Promise<void> {
    const consumer = this.#consumer(consumerId);
    // An audio-only classroom keeps its video paused whatever the client asks.
    if (consumer.kind === 'video' && this.#audioOnly) return;
    await consumer.resume();
  }

  /** Caps the simulcast layer of every video consumer (a classroom on a weak network). */
  async setPreferredLayers(spatialLayer: number | undefined): Promise<void> {
    this.#preferredSpatialLayer = spatialLayer;
    await Promise.all(
      [...this.#consumers.values()]
        .filter((c) => c.kind === 'video' && c.type === 'simulcast')
        .map((c) => c.setPreferredLayers({ spatialLayer: spatialLayer ?? 2 })),
    );
  }

  /**
   * The simulcast (or SVC) layers one consumer should follow: a client that
   * shows a speaker in a small tile asks for less. Simple consumers have a
   * single layer and keep it.
   */
  async setConsumerPreferredLayers(
    consumerId: string,
    layers: { spatialLayer: number; temporalLayer?: number },
  ): Promise<void> {
    const consumer = this.#consumer(consumerId);
    if (consumer.type !== 'simulcast' && consumer.type !== 'svc') return;
    await consumer.setPreferredLayers(layers);
  }

  /** Audio-only pauses every video consumer at the server: no video bytes reach the classroom. */
  async setAudioOnly(audioOnly: boolean): Promise<void> {
    this.#audioOnly = audioOnly;
    await Promise.all(
      [...this.#consumers.values()]
        .filter((c) => c.kind === 'video')
        .map((c) => (audioOnly ? c.pause() : c.resume())),
    );
  }

  closeProducer(producerId: string): void {
    this.#producers.get(producerId)?.close();
  }

  /**
   * Each of this participant's send-side bandwidth estimates, bits/s: one per
   * transport whose receiver answers transport-cc (the others have none).
   */
  async availableOutgoingBitrates(): Promise<number[]> {
    const stats = await Promise.all([...this.#transports.values()].map((t) => t.getStats()));
    return stats.flatMap((list) =>
      list.flatMap((s) => (s.availableOutgoingBitrate ? [s.availableOutgoingBitrate] : [])),
    );
  }

  /** Transports open now (a client's dropped ones must not linger: tests count them). */
  get transportCount(): number {
    return this.#transports.size;
  }

  /**
   * Closes one of this participant's transports and what it carries (a
   * client's failed or replaced path); TRANSPORT_NOT_FOUND if it has none by
   * that id (another participant's included).
   */
  closeTransport(transportId: string): void {
    this.#transport(transportId).close();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const transport of this.#transports.values()) transport.close();
    this.#transports.clear();
    this.emit('close');
  }

  #track(transport: types.Transport): void {
    this.#transports.set(transport.id, transport);
    transport.observer.once('close', () => {
      this.#transports.delete(transport.id);
      this.#noFeedbackTransportIds.delete(transport.id);
    });
  }

  #transport(id: string): types.Transport {
    this.#assertOpen();
    const transport = this.#transports.get(id);
    if (!transport) throw new MediaError('TRANSPORT_NOT_FOUND', `no transport ${id}`);
    return transport;
  }

  #consumer(id: string): types.Consumer {
    this.#assertOpen();
    const consumer = this.#consumers.get(id);
    if (!consumer) throw new MediaError('CONSUMER_NOT_FOUND', `no consumer ${id}`);
    return consumer;
  }

  #assertOpen(): void {
    if (this.#closed) {
      throw new MediaError('SESSION_CLOSED', `media session of ${this.participantId} is closed`);
    }
  }
}

/** Master key + salt lengths per suite (RFC 3711, RFC 7714). */
const SRTP_KEY_LENGTH: Record<types.SrtpCryptoSuite, number> = {
  AEAD_AES_256_GCM: 44,
  AEAD_AES_128_GCM: 28,
  AES_CM_128_HMAC_SHA1_80: 30,
  AES_CM_128_HMAC_SHA1_32: 30,
};

const BWE_EXTENSIONS = new Set([
  'http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01',
  'http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time',
]);

/**
 * A plain RTP receiver never answers transport-cc or REMB: without this the
 * consumer would estimate bandwidth from silence and pick simulcast layers at
 * random. Without them it follows the preferred layers, and each packet is
 * smaller (no transport-wide sequence number to write).
 */
function withoutBandwidthFeedback(caps: types.RtpCapabilities): types.RtpCapabilities {
  return {
    codecs: caps.codecs?.map((c) => ({
      ...c,
      rtcpFeedback: c.rtcpFeedback?.filter(
        (f) => f.type !== 'transport-cc' && f.type !== 'goog-remb',
      ),
    })),
    headerExtensions: caps.headerExtensions?.filter((h) => !BWE_EXTENSIONS.has(h.uri)),
  };
}
