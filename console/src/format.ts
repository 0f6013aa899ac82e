import type { Lang } from '@amphi/app-kit';

const locale = (lang: Lang) => (lang === 'fr' ? 'fr-FR' : 'en-GB');

/** « lundi 12 mai 2025 à 10:00 », in the operator's time zone. */
export function dateTime(iso: string, lang: Lang): string {
  return new Intl.DateTimeFormat(locale(lang), { dateStyle: 'full', timeStyle: 'short' }).format(
    new Date(iso),
  );
}

export function time(iso: string, lang: Lang): string {
  return new Intl.DateTimeFormat(locale(lang), { timeStyle: 'medium' }).format(new Date(iso));
}

export function number(n: number, lang: Lang): string {
  return new Intl.NumberFormat(locale(lang)).format(n);
}

export function percent(n: number, lang: Lang): string {
  return new Intl.NumberFormat(locale(lang), { style: 'percent', maximumFractionDigits: 1 }).format(
    n,
  );
}

/** A `<input type="datetime-local">` value for an instant, in this browser's time zone. */
export function toLocalInput(iso: string): string {
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** The instant a `<input type="datetime-local">` value names, in this browser's time zone. */
export function fromLocalInput(value: string): string {
  return new Date(value).toISOString();
}
