import { z } from 'zod';
import { EventStatus, IsoDateTime, QuestionStatus, Uuid } from './common.ts';
import { Stage } from './live.ts';
import { MediaPath } from './media.ts';

/**
 * How a classroom's media reaches the server, as operators group it: straight
 * to a worker over UDP or TCP, through the TURN relay (any of its transports),
 * or the LL-HLS fallback (seconds late, no stage).
 */
export const BoardPath = z.enum(['udp', 'tcp', 'relay', 'hls']);
export type BoardPath = z.infer<typeof BoardPath>;

/** The board's group of a reported media path. */
export function boardPathOf(path: MediaPath): BoardPath {
  switch (path) {
    case 'udp':
    case 'tcp':
    case 'hls':
      return path;
    default:
      return 'relay';
  }
}

const count = z.number().int().nonnegative();

/** One mediasoup worker's load, as the metrics export it (`amphi_media_worker_*`). */
export const WorkerLoad = z.object({
  /** The worker's slot in its pool (kept across restarts). */
  index: count,
  pid: count,
  classrooms: count,
  consumers: count,
  routers: count,
  /** Share of one core over the last sampling interval. */
  cpuPercent: z.number().nonnegative(),
  /** What the worker's transports receive and send, bits per second. */
  bitrateInBps: z.number().nonnegative(),
  bitrateOutBps: z.number().nonnegative(),
  /** Packet loss its transports measure (transport-wide feedback), 0–1; null with no media. */
  lossIn: z.number().min(0).max(1).nullable(),
  lossOut: z.number().min(0).max(1).nullable(),
  /** Times this slot's worker died and was started again. */
  restarts: count,
});
export type WorkerLoad = z.infer<typeof WorkerLoad>;

/** A media node (today: the workers in the control-api's own process) and its workers. */
export const MediaNodeLoad = z.object({
  nodeId: z.string(),
  kind: z.enum(['in-process', 'remote']),
  workers: z.array(WorkerLoad),
});
export type MediaNodeLoad = z.infer<typeof MediaNodeLoad>;

/**
 * An event's live board for operators (GET /api/v1/events/:eventId/board):
 * the figures Prometheus scrapes at /metrics, for one event, from the same
 * sources, so an operator without Grafana sees them too. Counts only: no
 * classroom is named but the one on stage.
 */
export const EventBoard = z.object({
  eventId: Uuid,
  title: z.string(),
  status: EventStatus,
  /** When the figures were read. */
  at: IsoDateTime,
  /** Connections by role, on every control-api instance. */
  participants: z.object({ speaker: count, moderator: count, classroom: count }),
  classrooms: z.object({
    /** Distinct classrooms with a socket to the event. */
    connected: count,
    /** Académie region (overseas included); `inconnue` when the school gave none. */
    byRegion: z.record(z.string(), count),
    /** By path group; `unknown`: connected, no path reported yet (media still setting up). */
    byPath: z.object({ ...recordOf(BoardPath.options), unknown: count }),
    /** The reported paths in detail (the relay by transport). */
    byMediaPath: z.object(recordOf(MediaPath.options)),
    /** How each classroom's own client rates its connection; `unknown` until it reports. */
    byQuality: z.object({ good: count, degraded: count, bad: count, unknown: count }),
  }),
  questions: z.object({
    /** The queue's state: every status, zeros included. */
    byStatus: z.object(recordOf(QuestionStatus.options)),
    /** Questions submitted over the last minute. */
    lastMinute: count,
    /** Submitted per minute over the last `perMinute.length` minutes, oldest first (the last one is running). */
    perMinute: z.array(z.object({ minute: IsoDateTime, count })),
  }),
  /** The classroom on stage or invited to it; null when nobody is. */
  stage: Stage.nullable(),
  /** The event's speakers and whether each has a studio connected. */
  speakers: z.array(z.object({ name: z.string(), connected: z.boolean() })),
  /** Hands raised now. */
  hands: count,
  /** The media nodes this instance drives and their workers' load. */
  media: z.array(MediaNodeLoad),
});
export type EventBoard = z.infer<typeof EventBoard>;

function recordOf<K extends string>(keys: readonly K[]): Record<K, typeof count> {
  return Object.fromEntries(keys.map((k) => [k, count])) as Record<K, typeof count>;
}
