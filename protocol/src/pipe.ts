import { z } from 'zod';
import { MediaId, MediaKind, ProducerSource, RtpParameters } from './media.ts';

/**
 * A broadcast spanning hosts: the media node holding a broadcast's origin (or
 * an edge feeding further edges) offers a pipe, the other node accepts it, and
 * from then on each side tells the other what changes. These are the messages
 * the control plane carries between the two nodes; the media itself goes over
 * a mediasoup PipeTransport pair, SRTP-protected, between the nodes' pipe
 * addresses.
 *
 * Handshake: offer (origin side) -> answer (edge side) -> updates both ways,
 * in order, until one side sends `close`.
 */

const PipeId = z.uuid();

/** SRTP master key + salt of one direction (mediasoup's SrtpParameters). */
export const PipeSrtpParameters = z.object({
  cryptoSuite: z.enum([
    'AEAD_AES_256_GCM',
    'AEAD_AES_128_GCM',
    'AES_CM_128_HMAC_SHA1_80',
    'AES_CM_128_HMAC_SHA1_32',
  ]),
  // 30 to 44 bytes of key + salt: 40 to 60 base64 characters.
  keyBase64: z
    .string()
    .min(40)
    .max(60)
    .regex(/^[A-Za-z0-9+/]+={0,2}$/, 'base64'),
});
export type PipeSrtpParameters = z.infer<typeof PipeSrtpParameters>;

/** Where one end of a pipe receives, and the key it encrypts what it sends with. */
export const PipeEndpoint = z.object({
  /** The address the other node sends to (the announced one when behind NAT). */
  ip: z.union([z.ipv4(), z.ipv6()]),
  port: z.number().int().min(1).max(65535),
  srtpParameters: PipeSrtpParameters,
});
export type PipeEndpoint = z.infer<typeof PipeEndpoint>;

/** A producer crossing the pipe: the receiving node produces it with the same id. */
export const PipeProducer = z.object({
  id: MediaId,
  kind: MediaKind,
  /** The pipe consumer's RTP parameters, as mediasoup's pipeToRouter passes them. */
  rtpParameters: RtpParameters,
  paused: z.boolean(),
  participantId: z.string().min(1).max(100),
  source: ProducerSource,
});
export type PipeProducer = z.infer<typeof PipeProducer>;

/**
 * Each end sends a tiny stream of its own over the pipe (two packets a second):
 * the other end reads the link's liveness off it, speakers silent or not.
 */
export const PipeHeartbeat = z.object({ id: MediaId, rtpParameters: RtpParameters });
export type PipeHeartbeat = z.infer<typeof PipeHeartbeat>;

export const PipeOffer = z.object({
  pipeId: PipeId,
  eventId: z.string().min(1).max(100),
  endpoint: PipeEndpoint,
  heartbeat: PipeHeartbeat,
  /** What the offering side sends now; later changes come as updates. */
  producers: z.array(PipeProducer).max(64),
});
export type PipeOffer = z.infer<typeof PipeOffer>;

export const PipeAnswer = z.object({
  pipeId: PipeId,
  endpoint: PipeEndpoint,
  heartbeat: PipeHeartbeat,
});
export type PipeAnswer = z.infer<typeof PipeAnswer>;

/** What changes once the pipe is up, in the order it happened on the sending side. */
export const PipeUpdate = z.discriminatedUnion('type', [
  z.object({ type: z.literal('producer'), pipeId: PipeId, producer: PipeProducer }),
  z.object({ type: z.literal('producerclose'), pipeId: PipeId, producerId: MediaId }),
  z.object({ type: z.literal('producerpause'), pipeId: PipeId, producerId: MediaId }),
  z.object({ type: z.literal('producerresume'), pipeId: PipeId, producerId: MediaId }),
  /** The sending side closed its end: the receiving side closes too. */
  z.object({ type: z.literal('close'), pipeId: PipeId, reason: z.string().max(200) }),
]);
export type PipeUpdate = z.infer<typeof PipeUpdate>;
