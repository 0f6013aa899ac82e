import type { Lang } from '@amphi/app-kit';

const locales: Record<Lang, string> = { fr: 'fr-FR', en: 'en-GB' };

/** « lundi 16 mars 2026 à 10:00 », in the reader's own time zone. */
export function talkDate(iso: string, lang: Lang): string {
  return new Intl.DateTimeFormat(locales[lang], { dateStyle: 'full', timeStyle: 'short' }).format(
    new Date(iso),
  );
}

/** « 4e, 3e et 2de »: a list as each language writes it. */
export function listOf(items: readonly string[], lang: Lang): string {
  return new Intl.ListFormat(locales[lang], { style: 'long', type: 'conjunction' }).format(items);
}
