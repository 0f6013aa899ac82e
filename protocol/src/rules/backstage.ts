import type { Role } from '../common.ts';

/**
 * Who writes and reads the backstage line: the moderators and the speakers of
 * the event. Never a classroom: it may say which class asks next, or how much
 * time is left, before the class hears it from the speaker.
 */
export const BACKSTAGE_ROLES = ['speaker', 'moderator'] as const satisfies readonly Role[];

export function canUseBackstage(viewer: { role: Role }): boolean {
  return (BACKSTAGE_ROLES as readonly Role[]).includes(viewer.role);
}
