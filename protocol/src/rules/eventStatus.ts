import type { EventStatus, Role } from '../common.ts';

/** What a studio may ask of its event's status (operators set any status through the API). */
export type StudioEventStatus = 'live' | 'ended';

/** Who may take an event live or end it over signaling. */
export const EVENT_STATUS_ROLES = ['speaker', 'moderator'] as const satisfies readonly Role[];

export type EventStatusDecision =
  | { ok: true; status: EventStatus }
  | { ok: false; code: 'FORBIDDEN' | 'EVENT_CLOSED' | 'INVALID_STATE'; reason: string };

/**
 * The status an event takes when `role` asks for `requested` while it is
 * `current`, or why not:
 * - going live: a scheduled event goes live; a live one stays live (a second
 *   speaker of a panel, a studio reloaded), keeping the time it went live;
 * - ending: a live event ends, except when a speaker leaves the air while
 *   another speaker is still on it (a panel goes on); a moderator always ends it;
 * - an event that is over stays over; one that never went live is cancelled
 *   by an operator, not ended.
 */
export function decideEventStatus(
  role: Role,
  current: EventStatus,
  requested: StudioEventStatus,
  otherSpeakersOnAir: boolean,
): EventStatusDecision {
  if (!(EVENT_STATUS_ROLES as readonly Role[]).includes(role)) {
    return { ok: false, code: 'FORBIDDEN', reason: 'only a speaker or a moderator can do this' };
  }
  if (current === 'ended' || current === 'cancelled') {
    return { ok: false, code: 'EVENT_CLOSED', reason: `this event is ${current}` };
  }
  if (requested === 'live') return { ok: true, status: 'live' };
  if (current === 'scheduled') {
    return { ok: false, code: 'INVALID_STATE', reason: 'this event has not gone live' };
  }
  if (role === 'speaker' && otherSpeakersOnAir) return { ok: true, status: 'live' };
  return { ok: true, status: 'ended' };
}
