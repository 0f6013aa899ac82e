import { type I18n, type Lang, useI18n as useAppI18n } from '@amphi/app-kit';

/** Every visible string of the teachers' portal, French first. `{name}` placeholders are filled by `t`. */
const fr = {
  'app.title': 'Amphi — Les séances à venir',
} as const;

export type MessageKey = keyof typeof fr;

const en: Record<MessageKey, string> = {
  'app.title': 'Amphi — Upcoming talks',
};

export const TABLES: Record<Lang, Record<MessageKey, string>> = { fr, en };

/** The portal's strings. */
export function useI18n(): I18n<MessageKey> {
  return useAppI18n<MessageKey>();
}
