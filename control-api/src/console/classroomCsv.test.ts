import { describe, expect, it } from 'vitest';
import { readClassroomCsv } from './classroomCsv.ts';

const ok = (text: string) => {
  const r = readClassroomCsv(text);
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.classrooms;
};

describe('readClassroomCsv', () => {
  it('reads commas or semicolons, a BOM, English headers, levels as teachers write them', () => {
    const classes = ok(
      '\uFEFFSchool,Town,Academie,Region,Overseas,Class,Level\r\n' +
        '"Lycée Schœlcher, site B",Fort-de-France,Martinique,Martinique,yes,Tle 2,Terminale\r\n' +
        'Collège Jean Macé,Rennes,Rennes,Bretagne,,6e A,6ème\r\n',
    );
    expect(classes).toEqual([
      {
        line: 2,
        schoolName: 'Lycée Schœlcher, site B',
        town: 'Fort-de-France',
        academie: 'Martinique',
        region: 'Martinique',
        overseas: true,
        label: 'Tle 2',
        level: 'Tle',
      },
      expect.objectContaining({ line: 3, overseas: false, level: '6e' }),
    ]);
  });

  it('infers overseas from the académie when the column is empty or absent', () => {
    const classes = ok(
      'etablissement;ville;academie;region;classe;niveau\n' +
        'A;Mamoudzou;Mayotte;Mayotte;4e A;4e\n' +
        'B;Nouméa;Nouvelle-Calédonie;Nouvelle-Calédonie;2nde 1;Seconde\n' +
        'C;Lille;Lille;Hauts-de-France;3e C;3e\n',
    );
    expect(classes.map((c) => c.overseas)).toEqual([true, true, false]);
  });

  it('lists every problem with its line and column, the header being line 1', () => {
    const r = readClassroomCsv(
      'Établissement;Ville;Académie;Région;Outre-mer;Classe;Niveau\n' +
        'A;B;C;D;peut-être;4e A;4e\n' +
        'A;B;C;D;;4e A;4e\n' +
        'A;B;C;D;;4e A;4e\n' +
        `${'x'.repeat(201)};B;C;D;;4e B;4e\n` +
        'A;B;C\n',
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems.map((p) => [p.line, p.column, p.reason])).toEqual([
      [2, 'Outre-mer', 'invalid_boolean'],
      [4, 'Classe', 'duplicate_class'],
      [5, 'Établissement', 'too_long'],
      [6, null, 'field_count'],
    ]);
    // The value is cut for the report.
    expect(r.problems[2]?.value).toHaveLength(80);
  });

  it('names each missing column, and refuses an empty file', () => {
    const r = readClassroomCsv('Classe;Niveau\n4e A;4e\n');
    expect(r.ok ? [] : r.problems.map((p) => p.column)).toEqual([
      'etablissement',
      'ville',
      'academie',
      'region',
    ]);
    expect(readClassroomCsv('')).toMatchObject({ ok: false });
  });
});
