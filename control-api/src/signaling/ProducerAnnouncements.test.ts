import type { ProducerInfo, ServerEvent } from '@amphi/protocol';
import { describe, expect, it } from 'vitest';
import { ProducerAnnouncements } from './ProducerAnnouncements.ts';

const producer = (producerId: string): ProducerInfo => ({
  producerId,
  participantId: 'speaker-1',
  role: 'speaker',
  kind: 'video',
  source: 'camera',
  classroomId: null,
  name: 'Mme Martin',
});
const added = (id: string) =>
  ({ event: 'media.producerAdded', data: producer(id) }) as const satisfies ServerEvent;
const closed = (id: string) =>
  ({
    event: 'media.producerClosed',
    data: { producerId: id },
  }) as const satisfies ServerEvent;

/** A socket's announcements, and what it was sent (by event and producer). */
function socket() {
  const sent: string[] = [];
  const a = new ProducerAnnouncements((frame) => {
    const { event, data } = JSON.parse(frame.toString()) as ServerEvent & {
      data: { producerId: string };
    };
    sent.push(`${event === 'media.producerAdded' ? '+' : '-'}${data.producerId}`);
  });
  const offer = (push: ReturnType<typeof added> | ReturnType<typeof closed>) =>
    a.offer(push, Buffer.from(JSON.stringify(push)));
  return { a, sent, offer };
}

describe("a socket's producer announcements", () => {
  it('go as they come before any join, and between joins', () => {
    const { sent, offer } = socket();
    offer(added('cam'));
    offer(closed('cam'));
    expect(sent).toEqual(['+cam', '-cam']);
  });

  it('wait while a join is answered: one its state lists is dropped, the others go after, in order', () => {
    const { a, sent, offer } = socket();
    a.joining();
    offer(added('cam'));
    offer(added('screen'));
    offer(closed('old'));
    expect(sent).toEqual([]);
    a.joined([producer('cam')]);
    expect(sent).toEqual(['+screen', '-old']);
  });

  it('drop the late announcement of a producer the join state listed; a closing always goes', () => {
    const { a, sent, offer } = socket();
    a.joining();
    a.joined([producer('cam')]);
    offer(added('cam'));
    offer(closed('cam'));
    offer(added('cam2'));
    offer(added('cam2'));
    expect(sent).toEqual(['-cam', '+cam2']);
  });

  it('let what waited go unchanged when the join fails', () => {
    const { a, sent, offer } = socket();
    a.joining();
    offer(added('cam'));
    a.failed();
    expect(sent).toEqual(['+cam']);
  });
});
