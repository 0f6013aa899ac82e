import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { BusMessage } from '../bus/BusMessage.ts';
import { LocalBus } from '../bus/LocalBus.ts';
import { createLogger } from '../logger.ts';
import { announceActiveSpeaker } from './announceActiveSpeaker.ts';
import type { MediaNode, MediaNodeEvents } from './MediaNode.ts';

const EVENT = '00000000-0000-4000-8000-000000000001';

afterEach(() => {
  vi.useRealTimers();
});

function setUp() {
  vi.useFakeTimers();
  const media = new EventEmitter<MediaNodeEvents>();
  const bus = new LocalBus();
  const published: BusMessage[] = [];
  bus.subscribe((m) => published.push(m));
  const stop = announceActiveSpeaker(
    media as unknown as MediaNode,
    bus,
    createLogger('silent'),
    1500,
  );
  const talks = (participantId: string) =>
    media.emit('activespeaker', { eventId: EVENT, participantId });
  const said = () =>
    published.flatMap((m) => (m.kind === 'speaker.active' ? [m.participantId] : []));
  const classJoins = (n: number) =>
    media.emit('participantjoined', {
      eventId: EVENT,
      participantId: `p-class-${n}`,
      role: 'classroom',
      classroomId: null,
      name: `class ${n}`,
    });
  return { talks, said, stop, classJoins };
}

describe('announceActiveSpeaker', () => {
  it('publishes a speaker who stays the loudest for the hold, once', async () => {
    const { talks, said, stop } = setUp();
    talks('p-karim');
    await vi.advanceTimersByTimeAsync(1400);
    expect(said()).toEqual([]);
    await vi.advanceTimersByTimeAsync(200);
    expect(said()).toEqual(['p-karim']);
    // The observer saying it again changes nothing.
    talks('p-karim');
    await vi.advanceTimersByTimeAsync(3000);
    expect(said()).toEqual(['p-karim']);
    stop();
  });

  it('ignores an interruption shorter than the hold: the tiles do not swap at each "hmm"', async () => {
    const { talks, said, stop } = setUp();
    talks('p-karim');
    await vi.advanceTimersByTimeAsync(1600);
    talks('p-ines');
    await vi.advanceTimersByTimeAsync(500);
    talks('p-karim');
    await vi.advanceTimersByTimeAsync(3000);
    expect(said()).toEqual(['p-karim']);
    talks('p-ines');
    await vi.advanceTimersByTimeAsync(1600);
    expect(said()).toEqual(['p-karim', 'p-ines']);
    stop();
    talks('p-karim');
    await vi.advanceTimersByTimeAsync(3000);
    expect(said()).toEqual(['p-karim', 'p-ines']);
  });

  it('says the current speaker again when classes join (once for a burst), nothing before anyone spoke', async () => {
    const { talks, said, stop, classJoins } = setUp();
    classJoins(1);
    await vi.advanceTimersByTimeAsync(2000);
    expect(said()).toEqual([]);
    talks('p-karim');
    await vi.advanceTimersByTimeAsync(1600);
    expect(said()).toEqual(['p-karim']);
    // Thirty classes open the link within half a second: one repeat, for all of them.
    for (let n = 0; n < 30; n++) classJoins(n);
    await vi.advanceTimersByTimeAsync(1100);
    expect(said()).toEqual(['p-karim', 'p-karim']);
    stop();
  });
});
