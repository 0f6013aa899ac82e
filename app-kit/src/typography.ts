/**
 * French typography of the translation tables, checked by each app's tests.
 *
 * One space is used everywhere: the no-break space U+00A0, before « : ; ! ? »
 * and inside « », so that a line never starts with a colon or a lone
 * guillemet on a projected screen. No point médian (U+00B7): the Education
 * ministry's 2021 circular asks schools not to use inclusive writing, and a
 * middle dot read aloud by a screen reader is noise.
 */
export const NBSP = '\u00a0';

const RULES: readonly { pattern: RegExp; problem: string }[] = [
  { pattern: / [:;!?»]/u, problem: 'ordinary space before : ; ! ? or » (use U+00A0)' },
  { pattern: /« /u, problem: 'ordinary space after « (use U+00A0)' },
  { pattern: /\u202f/u, problem: 'narrow no-break space U+202F (the tables use U+00A0)' },
  { pattern: /[\p{L}\p{N})}][;!?](?=\s|$)/u, problem: 'no space before ; ! ?' },
  { pattern: /[\p{L})}]:(?=\s|$)/u, problem: 'no space before :' },
  { pattern: /«(?!\u00a0)/u, problem: 'no space after «' },
  { pattern: /(?<!\u00a0)»/u, problem: 'no space before »' },
  { pattern: /·/u, problem: 'point médian (·)' },
];

/** Each string of a French table that breaks a rule, as `key: problem`. */
export function frenchTypographyProblems(table: Readonly<Record<string, string>>): string[] {
  const problems: string[] = [];
  for (const [key, text] of Object.entries(table)) {
    for (const rule of RULES) {
      if (rule.pattern.test(text)) problems.push(`${key}: ${rule.problem} in “${text}”`);
    }
  }
  return problems;
}
