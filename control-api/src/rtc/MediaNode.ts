import type {
  AdoptedMedia,
  ConsumerOptions,
  DtlsParameters,
  MediaKind,
  ProducerInfo,
  ProducerSource,
  Role,
  RtpCapabilities,
  RtpParameters,
  TransportDirection,
  TransportOptions,
} from '@amphi/protocol';

/** Who is asking, as signaling has authenticated them. Media objects are owned per participant. */
export interface MediaParticipant {
  eventId: string;
  /** One per socket; a reconnecting client is a new participant. */
  participantId: string;
  role: Role;
  /** Set for classrooms: the media node places them on an edge router. */
  classroomId: string | null;
  /** Shown on the tiles of its producers. */
  name: string;
  /**
   * The generation of the socket speaking for it (ResumeGenerations: drawn as
   * a resumed socket opens; absent for a first socket, null when not drawn):
   * media it makes holds it (`madeGeneration`), so that an older socket's late
   * adoption does not take it.
   */
  generation?: number | null | undefined;
}

export interface ProduceParams {
  transportId: string;
  kind: MediaKind;
  rtpParameters: RtpParameters;
  appData: { source: ProducerSource };
}

export interface ConsumeParams {
  transportId: string;
  producerId: string;
  rtpCapabilities: RtpCapabilities;
}

/**
 * How a participant's media was lost: `gone` (the default) its worker died or
 * its node's channel closed: nothing of it plays any more. `silent`: its
 * node's channel was dropped for silence alone (ChannelLiveness): the node may
 * be alive, its process stalled while its workers forward on, so what the
 * client has may still play (see ParticipantSession.mediaLost).
 */
export type MediaLoss = 'gone' | 'silent';

/** What a media node reports without being asked. */
export type MediaNodeEvents = {
  /**
   * A producer opened on this node (a participant's, or an ingest standing in
   * for a speaker). Producers are announced to the event from these two events
   * only (`announceProducers`).
   */
  produceradded: [{ eventId: string; producer: ProducerInfo }];
  /** It closed, however it went: its owner, its transport, its worker, the event's end. */
  producerclosed: [{ eventId: string; producer: ProducerInfo }];
  /**
   * The participant's media went with a dead worker: its transports, producers
   * and consumers are gone, and its client must create them again.
   */
  participantlost: [MediaParticipant, MediaLoss?];
  /**
   * The loudest speaker changed (the origin's active-speaker observer): its
   * participant id, the one on its producers. Published by `announceActiveSpeaker`.
   */
  activespeaker: [{ eventId: string; participantId: string }];
  /** A participant joined the event's media (its first transport): a late class learns who talks. */
  participantjoined: [MediaParticipant];
};

/**
 * What signaling needs from the media plane, for one event's broadcast.
 * In-process over media-server on a single node; remote when clustered.
 *
 * Role checks are signaling's job: a MediaNode does what it is asked.
 * Methods reject with an `AppError` ('MEDIA_UNAVAILABLE', 'MEDIA_ERROR',
 * 'NOT_FOUND', 'WRONG_TRANSPORT_DIRECTION') or any Error (reported to the
 * client as MEDIA_ERROR).
 */
export interface MediaNode {
  readonly closed: boolean;

  on<E extends keyof MediaNodeEvents>(
    event: E,
    listener: (...args: MediaNodeEvents[E]) => void,
  ): unknown;
  off<E extends keyof MediaNodeEvents>(
    event: E,
    listener: (...args: MediaNodeEvents[E]) => void,
  ): unknown;

  /** RTP capabilities of the event's routers (creates the broadcast if needed). */
  getRouterRtpCapabilities(eventId: string): Promise<RtpCapabilities>;

  /** A WebRTC transport for this participant: `send` to produce, `recv` to consume. */
  createWebRtcTransport(
    who: MediaParticipant,
    direction: TransportDirection,
  ): Promise<TransportOptions>;

  connectTransport(
    who: MediaParticipant,
    transportId: string,
    dtlsParameters: DtlsParameters,
  ): Promise<void>;

  /**
   * Speakers produce on the origin router; a classroom on stage on its edge
   * router. Only on a transport created to send (consume: to receive).
   */
  produce(who: MediaParticipant, params: ProduceParams): Promise<{ producerId: string }>;

  /** A consumer created paused; the client resumes it when its track is ready. */
  consume(who: MediaParticipant, params: ConsumeParams): Promise<ConsumerOptions>;

  resumeConsumer(who: MediaParticipant, consumerId: string): Promise<void>;

  setPreferredLayers(
    who: MediaParticipant,
    consumerId: string,
    layers: { spatialLayer: number; temporalLayer?: number },
  ): Promise<void>;

  /** Pause (true) or resume (false) every video consumer of this participant. */
  setAudioOnly(who: MediaParticipant, audioOnly: boolean): Promise<void>;

  closeProducer(who: MediaParticipant, producerId: string): Promise<void>;

  /**
   * Close one of the participant's transports and its producers and consumers
   * (a path its client gave up or replaced). NOT_FOUND when it has none by
   * that id: unknown, or another participant's.
   */
  closeTransport(who: MediaParticipant, transportId: string): Promise<void>;

  /** Close every transport, producer and consumer of the participant (it left, was removed). */
  closeParticipant(who: MediaParticipant): Promise<void>;

  /**
   * Its socket dropped without leaving (a control-api instance died, a line
   * blinked): the media flows on for the node's grace period, for its next
   * socket to adopt; then the node closes it. A classroom's stage producers
   * (minors' media) are closed at once: nothing is sent without a socket
   * behind it. Nothing when the participant has no media here.
   */
  detachParticipant(who: MediaParticipant): Promise<void>;

  /**
   * A resumed socket takes the participant's media over: its transports,
   * producers and consumers as they are, whether detached or still held for
   * an older socket. RESUME_UNKNOWN when none is held (never made, closed on
   * leaving, lost with a node or worker), RESUME_EXPIRED when its grace ran out,
   * RESUME_SUPERSEDED when a newer socket of the participant holds it
   * (`generation`, the resumed socket's: `adoptionRefusal`; null when it was
   * not drawn, Redis away: not ordered).
   */
  adoptParticipant(who: MediaParticipant, generation: number | null): Promise<AdoptedMedia>;

  /** Producers of the event that are open now. */
  listProducers(eventId: string): Promise<ProducerInfo[]>;

  /** The event is over (ended, cancelled): release its broadcast and everyone's media in it. */
  closeEvent(eventId: string): Promise<void>;

  /** Releases every broadcast this node holds for signaling. */
  close(): Promise<void>;
}
