import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Sql } from '../../control-api/src/db/Database.ts';

// The operator's file of schools and classes, as the console imports it: 300
// classes in 30 schools, French and overseas. Class i (0–299) is in school
// ⌊i/10⌋, named « <level> <letter> » with LEVELS[i % 7] and the letter A–J of i % 10.

export const PLACES = [
  ['Pointe-à-Pitre', 'Guadeloupe', 'Guadeloupe'],
  ['Lyon', 'Lyon', 'Auvergne-Rhône-Alpes'],
  ['Saint-Denis', 'La Réunion', 'La Réunion'],
  ['Brest', 'Rennes', 'Bretagne'],
  ['Cayenne', 'Guyane', 'Guyane'],
  ['Nancy', 'Nancy-Metz', 'Grand Est'],
] as const;
export const LEVELS = ['6e', '5e', '4e', '3e', '2nde', '1re', 'Terminale'];

/** School `school` (0–29) of the file: its name and its town. */
export function schoolOf(school: number): { name: string; town: string } {
  return {
    name: `Collège ${['Victor Hugo', 'Louise Michel', 'Aimé Césaire'][school % 3]} ${school + 1}`,
    town: PLACES[school % PLACES.length]?.[0] as string,
  };
}

/**
 * Writes the file into `dir`; with `spoil`, two lines (as the file counts them,
 * header = 1) are bad: line 58 has the level « CM2 », line 211 no académie.
 */
export async function classesCsv(dir: string, name: string, spoil: boolean): Promise<string> {
  const lines = ['Établissement;Ville;Académie;Région;Outre-mer;Classe;Niveau'];
  for (let i = 0; i < 300; i++) {
    const school = Math.floor(i / 10);
    const [town, academie, region] = PLACES[school % PLACES.length] as readonly string[];
    const cells = [
      schoolOf(school).name,
      town as string,
      academie as string,
      region as string,
      '',
      `${LEVELS[i % LEVELS.length]} ${String.fromCharCode(65 + (i % 10))}`,
      LEVELS[i % LEVELS.length] as string,
    ];
    const line = i + 2;
    if (spoil && line === 58) cells[6] = 'CM2';
    if (spoil && line === 211) cells[2] = '';
    lines.push(cells.join(';'));
  }
  const file = path.join(dir, name);
  await writeFile(file, `${lines.join('\r\n')}\r\n`);
  return file;
}

/** The schools and classes in the database. */
export async function schoolAndClassCounts(
  sql: Sql,
): Promise<{ schools: number; classrooms: number }> {
  const [row] = await sql<{ schools: number; classrooms: number }[]>`
    select (select count(*)::int from schools) as schools,
           (select count(*)::int from classrooms) as classrooms`;
  return row ?? { schools: -1, classrooms: -1 };
}
