import type { Bus } from '../bus/Bus.ts';
import type { Logger } from '../logger.ts';
import type { MediaNode, MediaNodeEvents, MediaParticipant } from './MediaNode.ts';

type Active = MediaNodeEvents['activespeaker'][0];

/**
 * How long a speaker must stay the loudest before classrooms are told: a
 * panel's tiles must not swap sizes at each "hmm" of the other speaker.
 */
export const ACTIVE_SPEAKER_HOLD_MS = 1500;

/** How often a joining class may cause the current speaker to be said again. */
export const ACTIVE_SPEAKER_REPEAT_MS = 1000;

/**
 * The one publisher of who is talking: what the media node's active-speaker
 * observer reports goes on the bus (`speaker.active`) once it has held for
 * `holdMs`, and every instance's rooms push it to everyone in the event. The
 * observer reports changes only: when a participant joins the event's media,
 * the current speaker is said again (at most once per
 * `ACTIVE_SPEAKER_REPEAT_MS`; those who knew keep the same view).
 * Returns the unsubscribe.
 */
export function announceActiveSpeaker(
  media: MediaNode,
  bus: Bus,
  log: Logger,
  holdMs = ACTIVE_SPEAKER_HOLD_MS,
): () => void {
  /** Per event: the participant published last, and the timer of the one holding. */
  const events = new Map<
    string,
    { published: string | null; timer?: NodeJS.Timeout; again?: NodeJS.Timeout }
  >();
  const publish = (eventId: string, participantId: string) => {
    try {
      bus
        .publish({ kind: 'speaker.active', eventId, participantId })
        .catch((err: unknown) => log.warn({ err, eventId }, 'bus publish failed'));
    } catch (err) {
      log.warn({ err, eventId }, 'bus publish failed');
    }
  };
  const active = ({ eventId, participantId }: Active) => {
    let state = events.get(eventId);
    if (!state) {
      state = { published: null };
      events.set(eventId, state);
    }
    const s = state;
    clearTimeout(s.timer);
    if (participantId === s.published) return;
    s.timer = setTimeout(() => {
      s.published = participantId;
      publish(eventId, participantId);
    }, holdMs);
    s.timer.unref();
  };
  const joined = ({ eventId }: MediaParticipant) => {
    const s = events.get(eventId);
    if (!s?.published || s.again) return;
    s.again = setTimeout(() => {
      s.again = undefined;
      if (s.published) publish(eventId, s.published);
    }, ACTIVE_SPEAKER_REPEAT_MS);
    s.again.unref();
  };
  media.on('activespeaker', active);
  media.on('participantjoined', joined);
  return () => {
    media.off('activespeaker', active);
    media.off('participantjoined', joined);
    for (const s of events.values()) {
      clearTimeout(s.timer);
      clearTimeout(s.again);
    }
    events.clear();
  };
}
