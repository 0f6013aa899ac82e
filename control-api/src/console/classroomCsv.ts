import type { ClassroomLevel, ImportProblem, ImportProblemReason } from '@amphi/protocol';
import { CsvError, parse } from 'csv-parse/sync';

/** One class of the file, checked. */
export interface CsvClassroom {
  line: number;
  schoolName: string;
  town: string;
  academie: string;
  region: string;
  overseas: boolean;
  label: string;
  level: ClassroomLevel;
}

export type CsvOutcome =
  | { ok: true; classrooms: CsvClassroom[] }
  | { ok: false; problems: ImportProblem[] };

/** More lines than this in one file: split it (a national programme is a few thousand classes). */
export const MAX_IMPORT_LINES = 5000;

type Field = 'schoolName' | 'town' | 'academie' | 'region' | 'overseas' | 'label' | 'level';

/** Header names accepted for each field (compared without case, accents, spaces, - or _). */
const HEADERS: Record<Field, readonly string[]> = {
  schoolName: ['etablissement', 'ecole', 'school', 'nometablissement', 'schoolname'],
  town: ['ville', 'commune', 'town', 'city'],
  academie: ['academie', 'academy'],
  region: ['region'],
  overseas: ['outremer', 'overseas', 'drom', 'domtom'],
  label: ['classe', 'class', 'label', 'nomclasse'],
  level: ['niveau', 'level'],
};
const REQUIRED: readonly Field[] = ['schoolName', 'town', 'academie', 'region', 'label', 'level'];
const MAX_LENGTH: Record<Exclude<Field, 'overseas' | 'level'>, number> = {
  schoolName: 200,
  town: 120,
  academie: 80,
  region: 80,
  label: 80,
};

const fold = (s: string) =>
  s
    .normalize('NFD')
    .replace(/\p{Diacritic}/gu, '')
    .toLowerCase()
    .replace(/[\s_\-'’.]/g, '');

// biome-ignore format: a table reads better in rows
/** Levels as teachers write them: « 6ème », « Seconde », « Terminale »… */
const LEVELS: Record<string, ClassroomLevel> = {
  '6e': '6e', '6eme': '6e', sixieme: '6e',
  '5e': '5e', '5eme': '5e', cinquieme: '5e',
  '4e': '4e', '4eme': '4e', quatrieme: '4e',
  '3e': '3e', '3eme': '3e', troisieme: '3e',
  '2nde': '2nde', '2de': '2nde', seconde: '2nde',
  '1re': '1re', '1ere': '1re', premiere: '1re',
  tle: 'Tle', terminale: 'Tle',
  cap: 'CAP', bts: 'BTS', other: 'other', autre: 'other',
};

const YES = new Set(['oui', 'o', 'yes', 'y', 'true', 'vrai', '1', 'x']);
const NO = new Set(['non', 'n', 'no', 'false', 'faux', '0']);

/**
 * Académies (and the vice-rectorats of the Pacific and Saint-Pierre) outside
 * mainland France: the overseas column may be left empty for them.
 */
const OVERSEAS_ACADEMIES = new Set(
  [
    'Guadeloupe',
    'Martinique',
    'Guyane',
    'La Réunion',
    'Réunion',
    'Mayotte',
    'Nouvelle-Calédonie',
    'Polynésie française',
    'Wallis-et-Futuna',
    'Saint-Pierre-et-Miquelon',
  ].map(fold),
);

// biome-ignore lint/suspicious/noControlCharactersInRegex: finding them is the point
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;

const cut = (v: string) => (v.length > 80 ? `${v.slice(0, 79)}…` : v);

/**
 * Reads a CSV of classes (one line per class, its school on the line), with
 * `,` or `;` between fields (spreadsheets in French write `;`), and checks
 * every line before anything is written: either every class, or every
 * problem (line, column as the header names it, reason, the cell's value).
 */
export function readClassroomCsv(text: string): CsvOutcome {
  let rows: { record: string[]; info: { lines: number } }[];
  try {
    rows = parse(text, {
      bom: true,
      delimiter: [';', ','],
      trim: true,
      skip_empty_lines: true,
      relax_column_count: true,
      info: true,
    }) as unknown as { record: string[]; info: { lines: number } }[];
  } catch (err) {
    if (err instanceof CsvError) {
      const line = (err as CsvError & { lines?: number }).lines ?? 1;
      return { ok: false, problems: [problem(line, null, 'csv_syntax', err.code)] };
    }
    throw err;
  }
  const [head, ...body] = rows;
  if (!head) return { ok: false, problems: [problem(1, null, 'missing_column', null)] };
  const header = head.record;
  const index = new Map<Field, number>();
  header.forEach((name, i) => {
    const f = fold(name);
    for (const [field, names] of Object.entries(HEADERS) as [Field, readonly string[]][]) {
      if (names.includes(f) && !index.has(field)) index.set(field, i);
    }
  });
  const missing = REQUIRED.filter((f) => !index.has(f));
  if (missing.length > 0) {
    return {
      ok: false,
      problems: missing.map((f) => problem(1, HEADERS[f][0] ?? f, 'missing_column', null)),
    };
  }
  if (body.length > MAX_IMPORT_LINES) {
    return {
      ok: false,
      problems: [problem(MAX_IMPORT_LINES + 2, null, 'too_many_lines', String(body.length))],
    };
  }
  const columnName = (f: Field) => header[index.get(f) ?? -1] ?? f;
  const problems: ImportProblem[] = [];
  const classrooms: CsvClassroom[] = [];
  const seen = new Map<string, number>();
  for (const { record, info } of body) {
    const line = info.lines;
    if (record.length !== header.length) {
      problems.push(problem(line, null, 'field_count', `${record.length} / ${header.length}`));
      continue;
    }
    const before = problems.length;
    const cell = (f: Field) => record[index.get(f) ?? -1] ?? '';
    const textField = (f: keyof typeof MAX_LENGTH): string => {
      const v = cell(f);
      if (v === '') problems.push(problem(line, columnName(f), 'required', null));
      else if (v.length > MAX_LENGTH[f]) problems.push(problem(line, columnName(f), 'too_long', v));
      else if (CONTROL.test(v))
        problems.push(problem(line, columnName(f), 'control_characters', v));
      return v;
    };
    const schoolName = textField('schoolName');
    const town = textField('town');
    const academie = textField('academie');
    const region = textField('region');
    const label = textField('label');
    const rawLevel = cell('level');
    const level = LEVELS[fold(rawLevel)];
    if (rawLevel === '') problems.push(problem(line, columnName('level'), 'required', null));
    else if (!level) problems.push(problem(line, columnName('level'), 'unknown_level', rawLevel));
    let overseas = OVERSEAS_ACADEMIES.has(fold(academie));
    if (index.has('overseas') && cell('overseas') !== '') {
      const v = fold(cell('overseas'));
      if (YES.has(v)) overseas = true;
      else if (NO.has(v)) overseas = false;
      else
        problems.push(problem(line, columnName('overseas'), 'invalid_boolean', cell('overseas')));
    }
    if (problems.length > before || !level) continue;
    const key = [schoolName, town, academie, label].map((s) => s.toLowerCase()).join('\u0000');
    if (seen.has(key)) {
      problems.push(problem(line, columnName('label'), 'duplicate_class', label));
      continue;
    }
    seen.set(key, line);
    classrooms.push({ line, schoolName, town, academie, region, overseas, label, level });
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, classrooms };
}

function problem(
  line: number,
  column: string | null,
  reason: ImportProblemReason,
  value: string | null,
): ImportProblem {
  return { line, column, reason, value: value === null ? null : cut(value) };
}
