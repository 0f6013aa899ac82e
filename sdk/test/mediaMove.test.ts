import { afterEach, expect, it } from 'vitest';
import { type StandInClassroom, standInClassroom, until } from './support/standInClassroom.ts';

// A drain's `media.move` that the client cannot make (no picture on the new
// node in time, or nothing to move): it sets its media up anew, and first asks
// the server to close what it had. Kept, that media held the class on the
// draining node: the drainer waited 10 s for it to leave, then had it set up
// anew a second time (another frozen picture).

let classroom: StandInClassroom | null = null;
afterEach(() => {
  classroom?.close();
  classroom = null;
});

it('a move it cannot make: media.close, then a fresh join and set-up', async () => {
  // Started with no media (the stand-in server offers none): there is nothing to move.
  classroom = await standInClassroom();
  const { server, errors } = classroom;
  server.push('media.move', { reason: 'drain', message: 'moving' });
  await until(
    () => server.joins >= 2,
    5_000,
    () => `no join again: ${server.requests.join(', ')}`,
  );
  expect(server.requests).toEqual(['join', 'media.close', 'join']);
  // Its set-up anew then fails honestly: this server has no media to offer.
  await until(
    () => errors.length > 0,
    2_000,
    () => 'no error',
  );
  expect(errors).toEqual(['MEDIA_UNAVAILABLE']);
});
