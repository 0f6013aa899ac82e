import {
  BoardPath,
  boardPathOf,
  type ConnectedParticipant,
  type EventBoard,
  MediaPath,
} from '@amphi/protocol';
import type { EventRoom } from '../live/EventRoom.ts';

/** What counting needs of a connected participant (presence's entry has it all). */
export type Counted = Pick<
  ConnectedParticipant,
  'role' | 'classroomId' | 'region' | 'quality' | 'path'
>;

/** A classroom whose school gave no region (the name presence uses too). */
export const UNKNOWN_REGION = 'inconnue';

/**
 * This instance's connections, as the metrics label them: one entry per
 * participant, from the room's live members (what they last reported of their
 * path and quality). Each instance exports its own; Prometheus sums them.
 */
export function* localParticipants(rooms: Iterable<EventRoom>): Generator<Counted> {
  for (const room of rooms) {
    for (const m of room.members()) {
      yield {
        role: m.role,
        classroomId: m.classroomId,
        region: m.region,
        quality: room.qualityOf(m.participantId) ?? null,
        path: room.pathOf(m.participantId) ?? null,
      };
    }
  }
}

/** The key of a participant in `amphi_participants`: role, region, path, quality. */
export type ParticipantLabels = {
  role: string;
  region: string;
  path: string;
  quality: string;
};

/**
 * Connections grouped by the labels of `amphi_participants`. Speakers and
 * moderators have no region (an empty label, which Prometheus reads as none).
 */
export function participantSeries(
  participants: Iterable<Counted>,
): { labels: ParticipantLabels; value: number }[] {
  const series = new Map<string, { labels: ParticipantLabels; value: number }>();
  for (const p of participants) {
    const labels: ParticipantLabels = {
      role: p.role,
      region: p.role === 'classroom' ? (p.region ?? UNKNOWN_REGION) : '',
      path: p.path ?? 'unknown',
      quality: p.quality ?? 'unknown',
    };
    const key = `${labels.role}\u0000${labels.region}\u0000${labels.path}\u0000${labels.quality}`;
    const s = series.get(key);
    if (s) s.value += 1;
    else series.set(key, { labels, value: 1 });
  }
  return [...series.values()];
}

/**
 * An event's connections for the live board: by role, and its classrooms
 * (each counted once, whatever its number of sockets) by region, path and
 * quality. A classroom with several sockets counts with the first that
 * reported a path (its quality with it).
 */
export function boardCounts(
  participants: Iterable<Counted>,
): Pick<EventBoard, 'participants' | 'classrooms'> {
  const byRole = { speaker: 0, moderator: 0, classroom: 0 };
  const classrooms = new Map<string, Counted>();
  for (const p of participants) {
    byRole[p.role] += 1;
    if (p.role !== 'classroom' || !p.classroomId) continue;
    const known = classrooms.get(p.classroomId);
    if (!known || (!known.path && p.path)) classrooms.set(p.classroomId, p);
  }
  const byRegion: Record<string, number> = {};
  const byPath = {
    ...zeros(BoardPath.options),
    unknown: 0,
  } as EventBoard['classrooms']['byPath'];
  const byMediaPath = zeros(MediaPath.options) as EventBoard['classrooms']['byMediaPath'];
  const byQuality: EventBoard['classrooms']['byQuality'] = {
    good: 0,
    degraded: 0,
    bad: 0,
    unknown: 0,
  };
  for (const c of classrooms.values()) {
    const region = c.region ?? UNKNOWN_REGION;
    byRegion[region] = (byRegion[region] ?? 0) + 1;
    if (c.path) {
      byPath[boardPathOf(c.path)] += 1;
      byMediaPath[c.path] += 1;
    } else byPath.unknown += 1;
    byQuality[c.quality ?? 'unknown'] += 1;
  }
  return {
    participants: byRole,
    classrooms: { connected: classrooms.size, byRegion, byPath, byMediaPath, byQuality },
  };
}

function zeros<K extends string>(keys: readonly K[]): Record<K, number> {
  return Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;
}
