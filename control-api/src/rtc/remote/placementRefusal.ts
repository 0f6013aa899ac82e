import type { MediaNodeRegistration } from '@amphi/protocol';
import { AppError } from '../../errors.ts';
import type { NodeChoice } from './MediaNodeRegistry.ts';

/** Why a placement found no node, as this instance saw the nodes when it chose. */
export type PlacementShortfall =
  /** No media node heart-beats in the registry (all dead, or none started). */
  | 'no_live_node'
  /** Live nodes, but this instance may place on none of them (drained here, or the one left). */
  | 'none_open'
  /** Every node it may choose is draining. */
  | 'all_draining'
  /** Every node it may choose is at capacity (reservations count). */
  | 'all_full'
  /** Room in its view of a moment ago, none in Redis's now: filled meanwhile, or gone. */
  | 'gone_or_filled';

const MESSAGES: Record<PlacementShortfall, string> = {
  no_live_node: 'no live media node',
  none_open: 'no live media node may take it (drained or being left)',
  all_draining: 'every live media node is draining',
  all_full: 'every media node is full',
  gone_or_filled: 'the media nodes with room filled up or went away meanwhile',
};

/**
 * The refusal of a placement that found no node. The code stays
 * MEDIA_UNAVAILABLE (clients retry on it, the apps show its translated text);
 * the message says what is true, for the logs and the load test's figures:
 * 'no media node has room' was said too when none was alive at all, sending
 * an incident's reader after capacity instead of the dead nodes.
 */
export function placementRefusal(
  nodes: readonly MediaNodeRegistration[],
  choice: NodeChoice,
): { shortfall: PlacementShortfall; error: AppError } {
  const shortfall = shortfallOf(nodes, choice);
  return { shortfall, error: new AppError('MEDIA_UNAVAILABLE', MESSAGES[shortfall]) };
}

function shortfallOf(
  nodes: readonly MediaNodeRegistration[],
  choice: NodeChoice,
): PlacementShortfall {
  if (nodes.length === 0) return 'no_live_node';
  const open = nodes.filter((n) => choice.open.includes(n.nodeId));
  if (open.length === 0) return 'none_open';
  if (open.every((n) => n.draining)) return 'all_draining';
  const full = (n: MediaNodeRegistration) => n.draining || n.load + (n.pipes ?? 0) >= n.capacity;
  return open.every(full) ? 'all_full' : 'gone_or_filled';
}
