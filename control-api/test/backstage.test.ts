import { describe, expect, it } from 'vitest';
import { seedEvent, TestClient, useControlPlane } from './support/harness.ts';

// The backstage line between the moderators and the speakers of an event:
// "2 minutes left", "next question is from Guadeloupe". A classroom neither
// writes on it nor hears of it.

const env = useControlPlane();

describe('backstage messages', () => {
  it('a moderator writes to the speaker and the speaker answers; a classroom neither sends nor receives', async () => {
    const ev = await seedEvent(env.plane.url, { classrooms: 1, status: 'live' });
    const moderator = await TestClient.connect(env.plane.url, ev.eventId, ev.tokens.moderator);
    const speaker = await TestClient.connect(env.plane.url, ev.eventId, ev.tokens.speaker);
    const classroom = await TestClient.connect(
      env.plane.url,
      ev.eventId,
      ev.tokens.classrooms[0] as string,
    );
    try {
      const { message } = await moderator.request('backstage.send', {
        text: 'Il reste 2 minutes.',
      });
      expect(message).toMatchObject({ fromRole: 'moderator', text: 'Il reste 2 minutes.' });
      const heard = await speaker.waitForEvent('backstage.message', (m) => m.id === message.id);
      expect(heard.text).toBe('Il reste 2 minutes.');
      // The sender's other screens (and itself) get it too, from the bus.
      await moderator.waitForEvent('backstage.message', (m) => m.id === message.id);

      const reply = await speaker.request('backstage.send', { text: 'Bien reçu.' });
      await moderator.waitForEvent('backstage.message', (m) => m.id === reply.message.id);
      expect(reply.message.fromRole).toBe('speaker');

      // A classroom may not write on it...
      expect(await classroom.errorOf('backstage.send', { text: 'Coucou' })).toBe('FORBIDDEN');
      // ...and is never sent it: a push the classroom does get, sent after, proves it was delivered to.
      const later = await speaker.request('backstage.send', {
        text: 'La prochaine vient de Guadeloupe.',
      });
      await moderator.waitForEvent('backstage.message', (m) => m.id === later.message.id);
      await classroom.request('hand.raise', {});
      await classroom.waitForEvent('hand.updated', (h) => h.raised);
      expect(classroom.eventsOf('backstage.message')).toEqual([]);
    } finally {
      await moderator.close();
      await speaker.close();
      await classroom.close();
    }
  });

  it('refuses an empty line or one too long', async () => {
    const ev = await seedEvent(env.plane.url, { classrooms: 0, status: 'live' });
    const moderator = await TestClient.connect(env.plane.url, ev.eventId, ev.tokens.moderator);
    try {
      expect(await moderator.errorOf('backstage.send', { text: '   ' })).toBe('INVALID_MESSAGE');
      expect(await moderator.errorOf('backstage.send', { text: 'x'.repeat(281) })).toBe(
        'INVALID_MESSAGE',
      );
    } finally {
      await moderator.close();
    }
  });
});
