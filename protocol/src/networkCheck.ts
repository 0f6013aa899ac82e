import { z } from 'zod';
import { IsoDateTime, Uuid } from './common.ts';
import { ConsumerOptions, DtlsParameters, IceServer, MediaPath, RtpCapabilities } from './media.ts';

/** A mediasoup object id (transport, producer, consumer), as media.ts takes them. */
const MediaId = z.string().min(1).max(128);

// The network check a teacher runs from the class's link days before a talk
// (viewer /viewer/check/): each way in is tried on its own, the downlink is
// measured with real media, and one verdict is stored for the classroom so
// that operators know beforehand how many classes will need the relay or the
// fallback. The verdict itself is a rule: rules/networkCheck.ts.

/** The ways in the check tries, each alone. */
export const NetworkProbe = z.enum(['udp', 'tcp', 'turn-udp', 'turn-tls', 'hls']);
export type NetworkProbe = z.infer<typeof NetworkProbe>;

/** Why a way in did not work. */
export const ProbeFailure = z.enum([
  /** No answer in time: a firewall that drops. */
  'timeout',
  /** ICE or the request failed outright. */
  'failed',
  /** The server offers no such way (no TURN relay configured, no TLS URL). */
  'not-offered',
  /** This browser cannot try it (no WebRTC). */
  'unsupported',
]);
export type ProbeFailure = z.infer<typeof ProbeFailure>;

export const ProbeResult = z.strictObject({
  ok: z.boolean(),
  /** Milliseconds to connect (ICE + DTLS), or to fetch the HLS probe; null when it failed. */
  ms: z.number().int().nonnegative().max(120_000).nullable(),
  failure: ProbeFailure.nullable(),
});
export type ProbeResult = z.infer<typeof ProbeResult>;

export const ProbeResults = z.strictObject({
  udp: ProbeResult,
  tcp: ProbeResult,
  'turn-udp': ProbeResult,
  'turn-tls': ProbeResult,
  hls: ProbeResult,
});
export type ProbeResults = z.infer<typeof ProbeResults>;

/** The browser the check ran in, named from its user agent; `supported`: it can receive WebRTC. */
export const CheckedBrowser = z.strictObject({
  name: z.string().min(1).max(60),
  version: z.string().max(40),
  os: z.string().max(60),
  supported: z.boolean(),
});
export type CheckedBrowser = z.infer<typeof CheckedBrowser>;

/** What the browser measured: the body of `POST /api/v1/network-check/results`. */
export const NetworkCheckReport = z.strictObject({
  /** The check session the probes ran in (its media endpoints name what to open). */
  checkId: Uuid.nullable(),
  probes: ProbeResults,
  /** Received bitrate of the test broadcast over the best way in, kbit/s; null when none carried media. */
  downlinkKbps: z.number().nonnegative().max(1_000_000).nullable(),
  /** The way the downlink was measured over. */
  downlinkPath: MediaPath.nullable(),
  /** Video frames decoded during the measurement (0: bytes came, no picture). */
  framesDecoded: z.number().int().nonnegative().max(1_000_000).nullable(),
  browser: CheckedBrowser,
});
export type NetworkCheckReport = z.infer<typeof NetworkCheckReport>;

/** Where a school's firewall must let the class out to: one protocol, host and port. */
export const FirewallOpening = z.strictObject({
  protocol: z.enum(['udp', 'tcp']),
  host: z.string().min(1).max(253),
  port: z.number().int().min(1).max(65_535),
  /** What it opens: the media server directly (best), the relay, or the web server (the fallback). */
  purpose: z.enum(['direct', 'relay', 'web']),
});
export type FirewallOpening = z.infer<typeof FirewallOpening>;

/** The server's ways in, as a school's IT must name them. */
export const NetworkEndpoints = z.strictObject({
  /** The media workers' UDP and TCP ports (the worker's own, a direct connection). */
  direct: z.array(FirewallOpening).max(64),
  /** The TURN relay: UDP 3478 and TLS on 443, as configured; empty when no relay is offered. */
  relay: z.array(FirewallOpening).max(16),
  /** The web server (the page, the API and the LL-HLS fallback). */
  web: z.array(FirewallOpening).max(4),
});
export type NetworkEndpoints = z.infer<typeof NetworkEndpoints>;

/**
 * The one verdict:
 * - `ready`: media straight to the server (UDP, or TCP): « Tout est prêt : connexion directe »;
 * - `relay`: only through the TURN relay: « Connexion via relais »;
 * - `fallback`: only the web server: LL-HLS, seconds late, no stage;
 * - `impossible`: nothing gets through (or the browser cannot play).
 */
export const NetworkVerdictLevel = z.enum(['ready', 'relay', 'fallback', 'impossible']);
export type NetworkVerdictLevel = z.infer<typeof NetworkVerdictLevel>;

/** What else the teacher should know, beside the level. */
export const VerdictNote = z.enum([
  /** The downlink is below what the lowest video layer needs: sound first, small picture. */
  'slow-downlink',
  /** Bytes came but no frame decoded during the measurement. */
  'no-picture',
  /** This browser cannot receive WebRTC: another browser would do better. */
  'browser-unsupported',
  /** Direct over TCP only: UDP to the media server would be smoother. */
  'udp-blocked',
  /** The relay only over TLS 443: UDP 3478 to it would be smoother. */
  'relay-tls-only',
]);
export type VerdictNote = z.infer<typeof VerdictNote>;

export const NetworkVerdict = z.strictObject({
  level: NetworkVerdictLevel,
  /** The way the class will come in on the day; null when none. */
  path: MediaPath.nullable(),
  notes: z.array(VerdictNote),
  /** What to ask the school's IT to open, most useful first; empty when nothing is needed. */
  openings: z.array(FirewallOpening),
});
export type NetworkVerdict = z.infer<typeof NetworkVerdict>;

/** A stored check: the report, its verdict, whose and when. */
export const NetworkCheckResult = z.strictObject({
  classroomId: Uuid,
  /** The event whose link the check was run from. */
  eventId: Uuid,
  checkedAt: IsoDateTime,
  report: NetworkCheckReport,
  verdict: NetworkVerdict,
});
export type NetworkCheckResult = z.infer<typeof NetworkCheckResult>;

/** `GET /api/v1/network-check`: whose link this is, and its latest check, for the page's first screen. */
export const NetworkCheckOverview = z.strictObject({
  classroomId: Uuid,
  /** The class as the catalogue names it (« 4e B, Collège Jean Moulin (Albi) »): the teacher sees the link is theirs. */
  classroomName: z.string(),
  eventTitle: z.string(),
  eventStartsAt: IsoDateTime,
  /** Its latest check within the retention period, from any of its links. */
  latest: NetworkCheckResult.nullable(),
});
export type NetworkCheckOverview = z.infer<typeof NetworkCheckOverview>;

/** `POST /api/v1/network-check/sessions`: what the browser needs to try each way in. */
export const NetworkCheckSession = z.strictObject({
  checkId: Uuid,
  routerRtpCapabilities: RtpCapabilities,
  /** The relay with credentials that expire with this check (coturn's `use-auth-secret`). */
  iceServers: z.array(IceServer),
  /** The test broadcast's producers to consume (null: no test pattern on this server). */
  producers: z.strictObject({ audio: MediaId.nullable(), video: MediaId.nullable() }),
  /** GET it (with `?token=`) to try the LL-HLS fallback's web path. */
  hlsProbeUrl: z.string(),
  endpoints: NetworkEndpoints,
  expiresAt: IsoDateTime,
});
export type NetworkCheckSession = z.infer<typeof NetworkCheckSession>;

export const NetworkCheckIdParams = z.strictObject({ checkId: Uuid });
export const NetworkCheckTransportParams = z.strictObject({ checkId: Uuid, transportId: MediaId });
export const NetworkCheckConsumerParams = z.strictObject({ checkId: Uuid, consumerId: MediaId });
export const NetworkCheckConnectBody = z.strictObject({ dtlsParameters: DtlsParameters });
export const NetworkCheckConsumeBody = z.strictObject({
  transportId: MediaId,
  producerId: MediaId,
  rtpCapabilities: RtpCapabilities,
});
export const NetworkCheckConsumer = ConsumerOptions;

/** One enrolled classroom's latest check, as operators read it. */
export const ClassroomNetworkCheck = z.strictObject({
  classroomId: Uuid,
  name: z.string(),
  school: z.string(),
  /** Null: not checked (or the check is older than the retention period). */
  checkedAt: IsoDateTime.nullable(),
  level: NetworkVerdictLevel.nullable(),
  path: MediaPath.nullable(),
  /** The verdict's notes (slow line, UDP blocked…); empty when not checked. */
  notes: z.array(VerdictNote),
  downlinkKbps: z.number().nullable(),
  browser: z.string().nullable(),
});
export type ClassroomNetworkCheck = z.infer<typeof ClassroomNetworkCheck>;

/** `GET /api/v1/events/:eventId/network-checks` (operators): how many classes will need what. */
export const EventNetworkChecks = z.strictObject({
  eventId: Uuid,
  classrooms: z.array(ClassroomNetworkCheck),
  /** Enrolled classrooms by verdict; `unchecked` for those with no check. */
  byLevel: z.record(z.enum([...NetworkVerdictLevel.options, 'unchecked']), z.number().int()),
  /** Checked classrooms by the way each will come in (`none` for the impossible ones). */
  byPath: z.record(z.enum([...MediaPath.options, 'none']), z.number().int()),
  /** Checked classrooms for which each way in worked. */
  probesOk: z.record(NetworkProbe, z.number().int()),
  /** Checked classrooms whose line is too thin for the picture (the `slow-downlink` note). */
  slowDownlink: z.number().int(),
});
export type EventNetworkChecks = z.infer<typeof EventNetworkChecks>;
