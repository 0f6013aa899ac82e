import type { ConsoleLink } from '@amphi/protocol';
import { stringify } from 'csv-stringify/sync';

export type SheetLang = 'fr' | 'en';

const STRINGS = {
  fr: {
    title: 'Liens de connexion des classes',
    event: 'Séance',
    starts: 'Début',
    school: 'Établissement',
    class: 'Classe',
    level: 'Niveau',
    link: 'Lien à ouvrir sur l’ordinateur relié au tableau',
    check: 'Avant la séance, vérifier le réseau de l’établissement depuis cet ordinateur',
    classPage: 'Page de la classe (questions avant la séance, fiche de la classe après)',
    expires: 'Valable jusqu’au',
    keep: 'Ce lien donne accès à la séance pour cette classe\u00a0: ne le diffusez pas en dehors de l’établissement.',
    print: 'Imprimer',
    none: 'Aucun lien actif pour cet établissement.',
    colon: '\u00a0: ',
  },
  en: {
    title: 'Classroom join links',
    event: 'Session',
    starts: 'Starts',
    school: 'School',
    class: 'Class',
    level: 'Level',
    link: 'Link to open on the computer connected to the board',
    check: 'Before the talk, check the school’s network from that computer',
    classPage: 'The class’s page (questions before the talk, the class sheet after)',
    expires: 'Valid until',
    keep: 'This link lets this class into the session: do not share it outside the school.',
    print: 'Print',
    none: 'No active link for this school.',
    colon: ': ',
  },
} as const;

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The school's own clock: overseas académies are hours away from Paris. */
const TIME_ZONES: Record<string, string> = {
  guadeloupe: 'America/Guadeloupe',
  martinique: 'America/Martinique',
  guyane: 'America/Cayenne',
  lareunion: 'Indian/Reunion',
  reunion: 'Indian/Reunion',
  mayotte: 'Indian/Mayotte',
  nouvellecaledonie: 'Pacific/Noumea',
  polynesiefrancaise: 'Pacific/Tahiti',
  wallisetfutuna: 'Pacific/Wallis',
  saintpierreetmiquelon: 'America/Miquelon',
};

export function timeZoneOf(academie: string): string {
  const key = academie
    .normalize('NFD')
    .replace(/\p{Diacritic}/gu, '')
    .toLowerCase()
    .replace(/[^a-z]/g, '');
  return TIME_ZONES[key] ?? 'Europe/Paris';
}

/** « mardi 1 décembre 2026 à 06:00 UTC−4 », in the school's time zone, named. */
const when = (iso: string, lang: SheetLang, timeZone: string) =>
  new Intl.DateTimeFormat(lang === 'fr' ? 'fr-FR' : 'en-GB', {
    weekday: 'long',
    day: 'numeric',
    month: 'long',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    timeZone,
    timeZoneName: 'short',
  }).format(new Date(iso));

/** The links as CSV (`;`, as spreadsheets in French expect), live links only. */
export function linksCsv(links: readonly ConsoleLink[]): string {
  const rows = links
    .filter((l) => l.url)
    .map((l) => [
      l.schoolName,
      l.town,
      l.classroomLabel,
      l.level,
      l.url,
      l.checkUrl,
      l.classPageUrl,
      l.expiresAt,
      l.tokenId,
    ]);
  return stringify(rows, {
    delimiter: ';',
    bom: true,
    header: true,
    columns: [
      'etablissement',
      'ville',
      'classe',
      'niveau',
      'lien',
      'verification_reseau',
      'page_classe',
      'expire',
      'id_lien',
    ],
  });
}

/** The stylesheet of the printable sheet (served apart: the CSP allows no inline style). */
export const SHEET_CSS = `body{font-family:system-ui,sans-serif;font-size:16px;line-height:1.4;max-width:48em;margin:1.5em auto;padding:0 1em;color:#111}
h1{font-size:1.5em;margin:0 0 .3em}.meta{color:#333;margin:0 0 1em}
.card{border:2px solid #333;border-radius:.4em;padding:1em;margin:0 0 1em;break-inside:avoid;page-break-inside:avoid}
.card h2{font-size:1.3em;margin:0 0 .5em}.url{font-family:ui-monospace,monospace;font-size:.85em;word-break:break-all;background:#f3f3f3;padding:.5em;border-radius:.3em}
.note{font-size:.9em;color:#333}.toolbar{margin:0 0 1em}button{font-size:1em;padding:.4em 1em}
@media print{.toolbar{display:none}body{margin:0;max-width:none}.card{page-break-after:always;border-width:1px}.card:last-child{page-break-after:auto}}`;

/** One school's sheet: a card per class (one page each when printed) with its link. */
export function linkSheetHtml(opts: {
  lang: SheetLang;
  eventTitle: string;
  startsAt: string;
  schoolName: string;
  town: string;
  /** The school's académie: its time zone for the start time. */
  academie: string;
  links: readonly ConsoleLink[];
  cssHref: string;
}): string {
  const s = STRINGS[opts.lang];
  const zone = timeZoneOf(opts.academie);
  const live = opts.links.filter((l) => l.url);
  const cards = live
    .map(
      (l) => `<section class="card">
<h2>${esc(l.classroomLabel)}, ${esc(opts.schoolName)}</h2>
<p>${s.event}${s.colon}<strong>${esc(opts.eventTitle)}</strong><br>${s.starts}${s.colon}${esc(when(opts.startsAt, opts.lang, zone))}</p>
<p>${s.link}${s.colon.trimEnd()}</p>
<p class="url">${esc(l.url ?? '')}</p>
<p>${s.check}${s.colon.trimEnd()}</p>
<p class="url">${esc(l.checkUrl ?? '')}</p>
<p>${s.classPage}${s.colon.trimEnd()}</p>
<p class="url">${esc(l.classPageUrl ?? '')}</p>
<p class="note">${s.level}${s.colon}${esc(l.level)}. ${s.expires} ${esc(when(l.expiresAt, opts.lang, zone))}</p>
<p class="note">${s.keep}</p>
</section>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="${opts.lang}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${s.title} — ${esc(opts.schoolName)}</title><link rel="stylesheet" href="${esc(opts.cssHref)}"></head>
<body>
<main>
<h1>${s.title}</h1>
<p class="meta">${s.school}${s.colon}<strong>${esc(opts.schoolName)}</strong> (${esc(opts.town)}). ${s.event}${s.colon}${esc(opts.eventTitle)}</p>
${cards || `<p>${s.none}</p>`}
</main>
</body>
</html>
`;
}
