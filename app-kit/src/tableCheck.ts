import type { Lang } from './i18n.tsx';
import { frenchTypographyProblems } from './typography.ts';

/**
 * What every app's translation tables must hold, checked by each app's test
 * (`expect(translationTableProblems(TABLES)).toEqual([])`), so that the rule is
 * written once:
 *  - every key in French and in English, never empty;
 *  - a string that shows a count is a plural form (`x_one`, `x_other`), and a
 *    plural has both forms: « 1 classe », « 2 classes »;
 *  - the same placeholders in both languages: a `{name}` lost in translation
 *    would show nothing, or the braces (English may say « one talk » in words);
 *  - no `{message}`: an error is told by its stable code (errorMessages.ts),
 *    never by the server's English;
 *  - French typography: no-break spaces, no point médian (typography.ts).
 */
export function translationTableProblems(
  tables: Readonly<Record<Lang, Readonly<Record<string, string>>>>,
): string[] {
  const problems: string[] = [];
  const { fr, en } = tables;
  for (const [lang, table, other] of [
    ['fr', fr, en],
    ['en', en, fr],
  ] as const) {
    for (const [key, text] of Object.entries(table)) {
      if (!(key in other)) problems.push(`${key}: missing in ${lang === 'fr' ? 'en' : 'fr'}`);
      if (text.trim() === '') problems.push(`${key}: empty in ${lang}`);
      if (text.includes('{message}'))
        problems.push(`${key}: shows the server's {message} (${lang})`);
      const plural = PLURAL_FORM.exec(key);
      if (!plural && text.includes('{count}'))
        problems.push(`${key}: shows {count} but is not a plural form (${key}_one, ${key}_other)`);
      if (plural) {
        for (const form of ['one', 'other']) {
          if (!(`${plural[1]}_${form}` in table))
            problems.push(`${plural[1]}: plural without its _${form} form in ${lang}`);
        }
      }
    }
  }
  for (const [key, text] of Object.entries(fr)) {
    const translated = en[key];
    if (translated === undefined) continue;
    // English may write its singular « one talk » without the number; French's _one also says 0.
    const skip = key.endsWith('_one') ? 'count' : '';
    const [a, b] = [placeholders(text, skip), placeholders(translated, skip)];
    if (a !== b) problems.push(`${key}: placeholders {${a}} in fr, {${b}} in en`);
  }
  problems.push(...frenchTypographyProblems(fr));
  return [...new Set(problems)];
}

const PLURAL_FORM = /^(.+)_(zero|one|two|few|many|other)$/;

function placeholders(text: string, skip: string): string {
  const names = [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).filter((n) => n !== skip);
  return [...new Set(names)].sort().join(', ');
}
