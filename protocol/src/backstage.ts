import { z } from 'zod';
import { IsoDateTime, text, Uuid } from './common.ts';

/** Longest backstage message: a line, not a chat ("2 minutes left", "next question is from Guadeloupe"). */
export const BACKSTAGE_MAX_LENGTH = 280;

/**
 * A private line between the moderators and the speakers of an event, never
 * shown to a classroom (rules/backstage.ts). Not stored: it lives in the open
 * studios and consoles for the live session only.
 */
export const BackstageMessage = z.object({
  id: Uuid,
  fromRole: z.enum(['speaker', 'moderator']),
  fromName: z.string(),
  text: z.string(),
  sentAt: IsoDateTime,
});
export type BackstageMessage = z.infer<typeof BackstageMessage>;

export const SendBackstage = z.strictObject({ text: text(BACKSTAGE_MAX_LENGTH) });
export type SendBackstage = z.infer<typeof SendBackstage>;
