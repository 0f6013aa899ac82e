import type { Refusal } from './questionTransitions.ts';

/**
 * Whether a resumed socket may take its participant's media over on the media
 * node that holds it, by generation (drawn in Redis by each resume, greater
 * than every one before; a participant's first socket is 0): the generation
 * that holds the media now, or a newer one, may; an older one is refused
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
