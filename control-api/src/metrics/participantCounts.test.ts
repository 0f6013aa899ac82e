import { describe, expect, it } from 'vitest';
import { boardCounts, type Counted, participantSeries } from './participantCounts.ts';

const classroom = (id: string, over: Partial<Counted> = {}): Counted => ({
  role: 'classroom',
  classroomId: id,
  region: 'Bretagne',
  quality: null,
  path: null,
  ...over,
});

describe('participant counts', () => {
  it('labels each socket for amphi_participants; speakers and moderators have no region', () => {
    const series = participantSeries([
      classroom('a', { path: 'udp', quality: 'good' }),
      classroom('b', { path: 'udp', quality: 'good' }),
      classroom('c', { region: null }),
      { role: 'moderator', classroomId: null, region: null, quality: null, path: null },
    ]);
    expect(series).toEqual([
      { labels: { role: 'classroom', region: 'Bretagne', path: 'udp', quality: 'good' }, value: 2 },
      {
        labels: { role: 'classroom', region: 'inconnue', path: 'unknown', quality: 'unknown' },
        value: 1,
      },
      { labels: { role: 'moderator', region: '', path: 'unknown', quality: 'unknown' }, value: 1 },
    ]);
  });

  it('counts a classroom once on the board, with the socket that reported a path', () => {
    const counts = boardCounts([
      classroom('a'),
      classroom('a', { path: 'turn-udp', quality: 'degraded' }),
      classroom('b', { region: 'Mayotte', path: 'hls', quality: 'bad' }),
      classroom('c', { path: 'tcp', quality: 'good' }),
      { role: 'speaker', classroomId: null, region: null, quality: 'good', path: 'udp' },
    ]);
    expect(counts.participants).toEqual({ speaker: 1, moderator: 0, classroom: 4 });
    expect(counts.classrooms).toEqual({
      connected: 3,
      byRegion: { Bretagne: 2, Mayotte: 1 },
      byPath: { udp: 0, tcp: 1, relay: 1, hls: 1, unknown: 0 },
      byMediaPath: { udp: 0, tcp: 1, 'turn-udp': 1, 'turn-tcp': 0, 'turn-tls': 0, hls: 1 },
      byQuality: { good: 1, degraded: 1, bad: 1, unknown: 0 },
    });
  });
});
