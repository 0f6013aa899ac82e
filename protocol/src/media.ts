import { z } from 'zod';

// mediasoup-shaped types. They are "permissive but validated": the fields that
// signaling and mediasoup rely on are checked (types, ranges, sizes), unknown
// extra fields pass through so that a newer mediasoup-client keeps working.

export const MediaKind = z.enum(['audio', 'video']);
export type MediaKind = z.infer<typeof MediaKind>;

/** camera/screen: a speaker's feeds; stage: the camera of the classroom on stage. */
export const ProducerSource = z.enum(['camera', 'screen', 'stage']);
export type ProducerSource = z.infer<typeof ProducerSource>;

export const TransportDirection = z.enum(['send', 'recv']);
export type TransportDirection = z.infer<typeof TransportDirection>;

const MimeType = z
  .string()
  .regex(/^(audio|video)\/[A-Za-z0-9._-]{1,40}$/, 'mime type like video/VP8');
const ParamValue = z.union([z.string().max(256), z.number(), z.boolean()]);
const CodecParameters = z
  .record(z.string().max(64), ParamValue)
  .refine((r) => Object.keys(r).length <= 32, 'too many codec parameters');
const RtcpFeedback = z.looseObject({
  type: z.string().min(1).max(32),
  parameter: z.string().max(32).optional(),
});
const PayloadType = z.number().int().min(0).max(127);
const MediaId = z.string().min(1).max(128);

export const RtpCodecCapability = z.looseObject({
  kind: MediaKind,
  mimeType: MimeType,
  preferredPayloadType: PayloadType.optional(),
  clockRate: z.number().int().positive(),
  channels: z.number().int().min(1).max(8).optional(),
  parameters: CodecParameters.optional(),
  rtcpFeedback: z.array(RtcpFeedback).max(16).optional(),
});

export const RtpHeaderExtension = z.looseObject({
  kind: MediaKind,
  uri: z.string().min(1).max(256),
  preferredId: z.number().int().min(1).max(255),
  preferredEncrypt: z.boolean().optional(),
  direction: z.enum(['sendrecv', 'sendonly', 'recvonly', 'inactive']).optional(),
});

export const RtpCapabilities = z.looseObject({
  codecs: z.array(RtpCodecCapability).max(64).optional(),
  headerExtensions: z.array(RtpHeaderExtension).max(64).optional(),
});
export type RtpCapabilities = z.infer<typeof RtpCapabilities>;

export const RtpCodecParameters = z.looseObject({
  mimeType: MimeType,
  payloadType: PayloadType,
  clockRate: z.number().int().positive(),
  channels: z.number().int().min(1).max(8).optional(),
  parameters: CodecParameters.optional(),
  rtcpFeedback: z.array(RtcpFeedback).max(16).optional(),
});

export const RtpEncodingParameters = z.looseObject({
  ssrc: z.number().int().min(0).max(0xffffffff).optional(),
  rid: z.string().max(32).optional(),
  codecPayloadType: PayloadType.optional(),
  rtx: z.looseObject({ ssrc: z.number().int().min(0).max(0xffffffff) }).optional(),
  dtx: z.boolean().optional(),
  scalabilityMode: z.string().max(16).optional(),
  scaleResolutionDownBy: z.number().min(1).max(64).optional(),
  maxBitrate: z.number().int().positive().optional(),
  maxFramerate: z.number().positive().optional(),
  active: z.boolean().optional(),
});

export const RtpParameters = z.looseObject({
  mid: z.string().max(32).optional(),
  codecs: z.array(RtpCodecParameters).min(1).max(16),
  headerExtensions: z
    .array(
      z.looseObject({
        uri: z.string().min(1).max(256),
        id: z.number().int().min(1).max(255),
        encrypt: z.boolean().optional(),
        parameters: CodecParameters.optional(),
      }),
    )
    .max(32)
    .optional(),
  encodings: z.array(RtpEncodingParameters).max(8).optional(),
  rtcp: z
    .looseObject({
      cname: z.string().max(256).optional(),
      reducedSize: z.boolean().optional(),
      mux: z.boolean().optional(),
    })
    .optional(),
});
export type RtpParameters = z.infer<typeof RtpParameters>;

export const DtlsParameters = z.looseObject({
  role: z.enum(['auto', 'client', 'server']).optional(),
  fingerprints: z
    .array(
      z.looseObject({
        algorithm: z.enum(['sha-1', 'sha-224', 'sha-256', 'sha-384', 'sha-512']),
        value: z.string().regex(/^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){15,63}$/, 'colon-separated hex'),
      }),
    )
    .min(1)
    .max(8),
});
export type DtlsParameters = z.infer<typeof DtlsParameters>;

export const IceParameters = z.looseObject({
  usernameFragment: z.string().min(1).max(256),
  password: z.string().min(1).max(256),
  iceLite: z.boolean().optional(),
});
export type IceParameters = z.infer<typeof IceParameters>;

export const IceCandidate = z.looseObject({
  foundation: z.string().max(64),
  priority: z.number().int().nonnegative(),
  address: z.string().max(256),
  ip: z.string().max(256).optional(),
  protocol: z.enum(['udp', 'tcp']),
  port: z.number().int().min(0).max(65535),
  type: z.enum(['host', 'srflx', 'prflx', 'relay']),
  tcpType: z.enum(['active', 'passive', 'so']).optional(),
});
export type IceCandidate = z.infer<typeof IceCandidate>;

export const SctpParameters = z.looseObject({
  port: z.number().int(),
  OS: z.number().int(),
  MIS: z.number().int(),
  maxMessageSize: z.number().int(),
});

/**
 * A TURN server a client may relay its media through (RTCIceServer's shape).
 * Credentials are short-lived, per participant (coturn's shared-secret REST
 * scheme): `username` is `expiry:participantId`, `credential` its HMAC.
 */
export const IceServer = z.object({
  urls: z
    .array(z.string().regex(/^turns?:[^\s]{1,250}$/, 'turn: or turns: URL'))
    .min(1)
    .max(8),
  username: z.string().max(256),
  credential: z.string().max(256),
});
export type IceServer = z.infer<typeof IceServer>;

/**
 * How a participant's media reaches the media server: straight to the worker
 * over UDP or TCP (ICE-TCP), or through the TURN relay (over UDP, TCP or TLS);
 * or, when no WebRTC gets through, the LL-HLS fallback (`hls`: seconds late, no stage).
 */
export const MediaPath = z.enum(['udp', 'tcp', 'turn-udp', 'turn-tcp', 'turn-tls', 'hls']);
export type MediaPath = z.infer<typeof MediaPath>;

/** What a client needs to build its side of a WebRTC transport. */
export const TransportOptions = z.object({
  transportId: MediaId,
  direction: TransportDirection,
  iceParameters: IceParameters,
  iceCandidates: z.array(IceCandidate),
  dtlsParameters: DtlsParameters,
  sctpParameters: SctpParameters.optional(),
});
export type TransportOptions = z.infer<typeof TransportOptions>;

/** A consumer, created paused: the client resumes it once its track is ready. */
export const ConsumerOptions = z.object({
  consumerId: MediaId,
  producerId: MediaId,
  kind: MediaKind,
  rtpParameters: RtpParameters,
  paused: z.boolean(),
});
export type ConsumerOptions = z.infer<typeof ConsumerOptions>;

/** A producer that participants of the event may consume (if their role allows). */
export const ProducerInfo = z.object({
  producerId: MediaId,
  participantId: z.string(),
  role: z.enum(['speaker', 'classroom', 'moderator']),
  kind: MediaKind,
  source: ProducerSource,
  classroomId: z.uuid().nullable(),
  /** Whose it is, as a tile caption: the speaker's name, or the classroom's on stage. */
  name: z.string(),
});
export type ProducerInfo = z.infer<typeof ProducerInfo>;

export { MediaId };
