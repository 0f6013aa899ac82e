import { z } from 'zod';

/**
 * Operators' view of the media nodes of a cluster, and their drain for
 * maintenance (GET /api/v1/media-nodes, POST …/:nodeId/drain and /undrain).
 *
 * - `active`: gets new classrooms and event origins.
 * - `draining`: gets nothing new; its classrooms are moved to other nodes in
 *   small batches, each one make-before-break (the client receives from the
 *   new node before it lets go of the old one). An event whose speakers
 *   publish on it (its origin) stays until the event ends: moving an origin
 *   would make every classroom of the event set its media up again.
 * - `drained`: draining and nobody has media on it any more: it may be stopped.
 */
export const MediaNodeState = z.enum(['active', 'draining', 'drained']);
export type MediaNodeState = z.infer<typeof MediaNodeState>;

export const MediaNodeSummary = z.object({
  nodeId: z.string(),
  region: z.string().nullable(),
  /** Classrooms it may carry, and participants with media on it now (its last heartbeat). */
  capacity: z.number().int().nonnegative(),
  load: z.number().int().nonnegative(),
  state: MediaNodeState,
  /** Classrooms placed on it now. */
  classrooms: z.number().int().nonnegative(),
  /** Events whose origin (where speakers publish) is on it. */
  origins: z.array(z.string()),
  /** When an operator asked for the drain (null: not draining). */
  drainingSince: z.iso.datetime().nullable(),
  /** Its last heartbeat. */
  seenAt: z.iso.datetime(),
});
export type MediaNodeSummary = z.infer<typeof MediaNodeSummary>;

export const MediaNodeList = z.object({
  /** `in-process`: a single host, no media nodes to list or drain. */
  plane: z.enum(['in-process', 'remote']),
  nodes: z.array(MediaNodeSummary),
});
export type MediaNodeList = z.infer<typeof MediaNodeList>;

export const MediaNodeIdParams = z.object({ nodeId: z.string().min(1).max(64) });
export type MediaNodeIdParams = z.infer<typeof MediaNodeIdParams>;
