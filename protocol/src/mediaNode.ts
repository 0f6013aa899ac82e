import { z } from 'zod';
import { Role } from './common.ts';
import { ErrorCode } from './errors.ts';
import {
  ConsumerOptions,
  DtlsParameters,
  MediaId,
  MediaKind,
  ProducerInfo,
  ProducerSource,
  RtpCapabilities,
  RtpParameters,
  TransportDirection,
  TransportOptions,
} from './media.ts';
import { PipeAnswer, PipeOffer, PipeUpdate } from './pipe.ts';
import { AdoptedMedia } from './resume.ts';

/**
 * The media node's control channel: what a control-api instance asks a media
 * node (`npm run media-node`, one per host) over a WebSocket authenticated by
 * the cluster's shared secret, and what the node reports without being asked.
 * The calls are the control-api's `MediaNode` interface, one for one.
 */
export const MEDIA_NODE_PROTOCOL_VERSION = 1;

const EventKey = z.string().min(1).max(100);

/** A participant as signaling authenticated it: media objects are owned per participant. */
export const MediaNodeParticipant = z.object({
  eventId: EventKey,
  participantId: z.string().min(1).max(100),
  role: Role,
  classroomId: z.uuid().nullable(),
  name: z.string().max(200),
  /** Its socket's generation: media made through this call holds it (`madeGeneration`). */
  generation: z.number().int().nonnegative().nullish(),
});
export type MediaNodeParticipant = z.infer<typeof MediaNodeParticipant>;

const Who = { who: MediaNodeParticipant };

/** A media node as another one reaches it: its registry id and control channel. */
export const MediaNodeRef = z.object({
  nodeId: z.string().min(1).max(64),
  url: z
    .string()
    .regex(/^wss?:\/\//, 'ws:// or wss://')
    .max(300),
});
export type MediaNodeRef = z.infer<typeof MediaNodeRef>;
const Ok = z.object({});

/** Each call: its arguments and what it answers. */
export const MediaNodeCalls = {
  getRouterRtpCapabilities: { args: z.object({ eventId: EventKey }), result: RtpCapabilities },
  createWebRtcTransport: {
    args: z.object({ ...Who, direction: TransportDirection }),
    result: TransportOptions,
  },
  connectTransport: {
    args: z.object({ ...Who, transportId: MediaId, dtlsParameters: DtlsParameters }),
    result: Ok,
  },
  produce: {
    args: z.object({
      ...Who,
      transportId: MediaId,
      kind: MediaKind,
      rtpParameters: RtpParameters,
      appData: z.object({ source: ProducerSource }),
    }),
    result: z.object({ producerId: MediaId }),
  },
  consume: {
    args: z.object({
      ...Who,
      transportId: MediaId,
      producerId: MediaId,
      rtpCapabilities: RtpCapabilities,
    }),
    result: ConsumerOptions,
  },
  resumeConsumer: { args: z.object({ ...Who, consumerId: MediaId }), result: Ok },
  setPreferredLayers: {
    args: z.object({
      ...Who,
      consumerId: MediaId,
      layers: z.object({
        spatialLayer: z.number().int().min(0).max(3),
        temporalLayer: z.number().int().min(0).max(3).optional(),
      }),
    }),
    result: Ok,
  },
  setAudioOnly: { args: z.object({ ...Who, audioOnly: z.boolean() }), result: Ok },
  closeProducer: { args: z.object({ ...Who, producerId: MediaId }), result: Ok },
  closeTransport: { args: z.object({ ...Who, transportId: MediaId }), result: Ok },
  closeParticipant: { args: z.object(Who), result: Ok },
  /**
   * The participant's socket dropped without leaving: the node keeps its media
   * for its grace period (MEDIA_SESSION_GRACE_MS), then closes it unless a
   * channel adopted it. Ignored from a channel that no longer owns it.
   */
  detachParticipant: { args: z.object(Who), result: Ok },
  /**
   * A resumed socket takes the participant's media over (from a detached
   * session, or one another channel still holds): this channel owns it now.
   * RESUME_UNKNOWN / RESUME_EXPIRED when the node holds none; RESUME_SUPERSEDED
   * when a newer generation of the participant's sockets holds it
   * (`adoptionRefusal`). `generation`: the resumed socket's (null or absent:
   * not drawn, not ordered).
   */
  adoptParticipant: {
    args: z.object({ ...Who, generation: z.number().int().nonnegative().nullish() }),
    result: AdoptedMedia,
  },
  listProducers: {
    args: z.object({ eventId: EventKey }),
    result: z.object({ producers: z.array(ProducerInfo) }),
  },
  closeEvent: { args: z.object({ eventId: EventKey }), result: Ok },

  // A broadcast spanning nodes. control-api -> edge node: be fed by this
  // origin (a pipe made if there is none from it, replaced if it came from
  // another). Edge node -> origin node, over the same kind of channel: offer a
  // pipe, connect it to the edge's answer, apply the edge's updates; the
  // origin's updates come back as `pipeupdate` events on that channel.
  edgeEnsure: {
    args: z.object({ eventId: EventKey, origin: MediaNodeRef }),
    result: z.object({ pipeId: z.uuid(), created: z.boolean() }),
  },
  pipeOffer: { args: z.object({ eventId: EventKey }), result: PipeOffer },
  pipeConnect: { args: z.object({ answer: PipeAnswer }), result: Ok },
  pipeApply: { args: z.object({ update: PipeUpdate }), result: Ok },
} as const;
export type MediaNodeMethod = keyof typeof MediaNodeCalls;
export type MediaNodeArgs<M extends MediaNodeMethod> = z.infer<(typeof MediaNodeCalls)[M]['args']>;
export type MediaNodeResult<M extends MediaNodeMethod> = z.infer<
  (typeof MediaNodeCalls)[M]['result']
>;

const methods = Object.keys(MediaNodeCalls) as [MediaNodeMethod, ...MediaNodeMethod[]];

/** control-api → media node. */
export const MediaNodeRequest = z.object({
  id: z.number().int().nonnegative(),
  method: z.enum(methods),
  args: z.unknown(),
});
export type MediaNodeRequest = z.infer<typeof MediaNodeRequest>;

/** What the node reports without being asked (the `MediaNode` interface's events). */
export const MediaNodeEvent = z.discriminatedUnion('event', [
  z.object({
    event: z.literal('produceradded'),
    data: z.object({ eventId: EventKey, producer: ProducerInfo }),
  }),
  z.object({
    event: z.literal('producerclosed'),
    data: z.object({ eventId: EventKey, producer: ProducerInfo }),
  }),
  z.object({ event: z.literal('participantlost'), data: MediaNodeParticipant }),
  z.object({ event: z.literal('participantjoined'), data: MediaNodeParticipant }),
  z.object({
    event: z.literal('activespeaker'),
    data: z.object({ eventId: EventKey, participantId: z.string() }),
  }),
  /** Origin node -> edge node: an update of a pipe the edge asked for on this channel. */
  z.object({ event: z.literal('pipeupdate'), data: PipeUpdate }),
]);
export type MediaNodeEvent = z.infer<typeof MediaNodeEvent>;

/** media node → control-api: an answer to a request, or an event. */
export const MediaNodeMessage = z.union([
  z.object({ id: z.number().int().nonnegative(), ok: z.literal(true), result: z.unknown() }),
  z.object({
    id: z.number().int().nonnegative(),
    ok: z.literal(false),
    error: z.object({ code: ErrorCode, message: z.string() }),
  }),
  MediaNodeEvent,
]);
export type MediaNodeMessage = z.infer<typeof MediaNodeMessage>;

/** A media node as it registers itself in Redis, refreshed by its heartbeat. */
export const MediaNodeRegistration = z.object({
  nodeId: z.string().min(1).max(64),
  /** Where control-api instances reach its control channel (ws://host:port). */
  url: z.string().url(),
  /** Operators' region tag (an overseas académie): classrooms prefer their region's node. */
  region: z.string().max(64).nullable(),
  /** Classrooms it may carry (its workers × classrooms per worker). */
  capacity: z.number().int().nonnegative(),
  /** Participants with media on it now. */
  load: z.number().int().nonnegative(),
  /**
   * Pipes it feeds to other nodes now: each sends an event's media once more,
   * as much as a classroom (placement counts them as load). Unset: none.
   */
  pipes: z.number().int().nonnegative().optional(),
  /**
   * Edges it feeds at most, each by a pipe (its uplink's share for pipes):
   * further edges of an event are fed by its edges, a tree. Unset: 16.
   */
  maxPipes: z.number().int().min(1).max(1000).optional(),
  /** No new events or classrooms while draining. */
  draining: z.boolean(),
  /** When it last heart-beat (ms since the epoch). */
  at: z.number().int(),
});
export type MediaNodeRegistration = z.infer<typeof MediaNodeRegistration>;
