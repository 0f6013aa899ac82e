import type { Refusal } from './questionTransitions.ts';

/**
 * The generation media holds when a socket makes it (its first transport on
 * a node): that socket's, set once. Media made anew by a resumed socket (its
 * resume refused, RESUME_EXPIRED; or on a node its media was not on) is that
 * socket's, so an older socket's adoption come late is refused over it, as
 * over adopted media. A first socket is 0; one whose generation was not drawn
 * (null: Redis away) makes it 0 too, taken by any resume, as before generations.
 */
export function madeGeneration(socket: number | null | undefined): number {
  return socket ?? 0;
}

/**
 * Whether a resumed socket may take its participant's media over on the media
 * node that holds it, by generation (drawn in Redis by each resume, greater
 * than every one before; a participant's first socket is 0): the generation
 * that holds the media now (the socket's that made it, or the last adoption's),
 * or a newer one, may; an older one is refused
 * RESUME_SUPERSEDED. Two resumes race when a line blinks twice: the older
 * socket's adoption, come after the newer one's, would give the media to a
 * socket already handed over (4012), where nobody would ever close it, and
 * leave the newest socket without it. A generation not drawn (null: Redis was
 * away) is not ordered: it may, as every resume did before generations.
 */
export function adoptionRefusal(held: number, asking: number | null): Refusal | null {
  if (asking === null || asking >= held) return null;
  return {
    ok: false,
    code: 'RESUME_SUPERSEDED',
    message: 'a newer connection of this participant took its media over',
  };
}
