import { describe, expect, it } from 'vitest';
import { bestSample, clockSample, formatClock, readTimer } from './timer.ts';

const T0 = Date.parse('2026-03-10T09:00:00.000Z');
const at = (ms: number) => new Date(T0 + ms).toISOString();
const MIN = 60_000;

describe('timer', () => {
  it('formats clocks, past an hour and negative', () => {
    expect(formatClock(0)).toBe('00:00');
    expect(formatClock(65_999)).toBe('01:05');
    expect(formatClock(3_725_000)).toBe('1:02:05');
    expect(formatClock(-61_000)).toBe('-01:01');
  });

  it('reads the phases of a 45 and a 55 min session from the time the server says it went live', () => {
    const solo = { startedAt: at(0), endedAt: null, durationMinutes: 45 };
    const panel = { ...solo, durationMinutes: 55 };
    expect(readTimer({ ...solo, startedAt: null }, T0).phase).toBe('idle');
    expect(readTimer(solo, T0 + 39 * MIN).phase).toBe('running');
    expect(readTimer(solo, T0 + 40 * MIN).phase).toBe('wrapUp');
    expect(readTimer(panel, T0 + 45 * MIN).phase).toBe('running');
    const over = readTimer(panel, T0 + 56 * MIN);
    expect(over.phase).toBe('overtime');
    expect(over.remainingMs).toBe(-MIN);
  });

  it('two computers whose clocks are 29 s apart read the same time once each corrects by the server', () => {
    const event = { startedAt: at(0), endedAt: null, durationMinutes: 45 };
    const serverNow = T0 + 10 * MIN;
    // The speaker's clock is right; the moderator's is 29 s ahead, and its offset says so.
    const speaker = readTimer(event, serverNow, 0);
    const moderator = readTimer(event, serverNow + 29_000, -29_000);
    expect(moderator.elapsedMs).toBe(speaker.elapsedMs);
    expect(formatClock(speaker.elapsedMs)).toBe('10:00');
    // Uncorrected, they were 29 s apart.
    expect(readTimer(event, serverNow + 29_000).elapsedMs - speaker.elapsedMs).toBe(29_000);
  });

  it('stops at the end the server recorded, whatever the time now', () => {
    const event = { startedAt: at(0), endedAt: at(42 * MIN + 5_000), durationMinutes: 45 };
    for (const later of [43 * MIN, 3 * 60 * MIN]) {
      const r = readTimer(event, T0 + later);
      expect(r.phase).toBe('ended');
      expect(formatClock(r.elapsedMs)).toBe('42:05');
    }
  });

  it('estimates the server clock from a ping, keeping the sample with the shortest round trip', () => {
    // Sent at 1000, answered at 1200 (this clock); the server read 30 100 halfway.
    expect(clockSample(1000, 30_100, 1200)).toEqual({ offsetMs: 29_000, rttMs: 200 });
    const samples = [clockSample(0, 29_600, 1000), clockSample(5000, 34_010, 5020)];
    expect(bestSample(samples)).toEqual({ offsetMs: 29_000, rttMs: 20 });
    expect(bestSample([])).toBeNull();
  });
});
