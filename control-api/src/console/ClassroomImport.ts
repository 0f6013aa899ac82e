import { randomUUID } from 'node:crypto';
import type { ImportResult } from '@amphi/protocol';
import type { Sql } from '../db/Database.ts';
import { AppError } from '../errors.ts';
import type { CsvClassroom } from './classroomCsv.ts';

/** Serialises imports: two at once could each create the same school. */
const IMPORT_LOCK_KEY = 727_140_061;

const schoolKey = (s: { schoolName: string; town: string; academie: string }) =>
  [s.schoolName, s.town, s.academie].map((v) => v.toLowerCase()).join('\u0000');

/**
 * Writes checked classes in ONE transaction: their schools (found again by
 * name, town and académie, whatever the case, or created), the classes
 * (found again by school and label, or created) and, with an event, their
 * enrolments. A failure anywhere leaves the database as it was.
 */
export async function importClassrooms(
  sql: Sql,
  classrooms: readonly CsvClassroom[],
  eventId?: string,
): Promise<ImportResult> {
  return sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(${IMPORT_LOCK_KEY})`;
    if (eventId) {
      const [event] = await tx<{ id: string }[]>`select id from events where id = ${eventId}`;
      if (!event) throw new AppError('NOT_FOUND', `no event ${eventId}`);
    }
    // Schools of the file, by key, with the first line that names each.
    const wanted = new Map<string, CsvClassroom>();
    for (const c of classrooms) if (!wanted.has(schoolKey(c))) wanted.set(schoolKey(c), c);
    const names = [...wanted.values()];
    const existing = await tx<{ id: string; name: string; town: string; academie: string }[]>`
      select s.id, s.name, s.town, s.academie from schools s
      join unnest(${names.map((n) => n.schoolName.toLowerCase())}::text[],
                  ${names.map((n) => n.town.toLowerCase())}::text[],
                  ${names.map((n) => n.academie.toLowerCase())}::text[]) as w(name, town, academie)
        on lower(s.name) = w.name and lower(s.town) = w.town and lower(s.academie) = w.academie`;
    const schoolIds = new Map<string, string>();
    for (const s of existing) {
      const key = schoolKey({ schoolName: s.name, town: s.town, academie: s.academie });
      if (!schoolIds.has(key)) schoolIds.set(key, s.id);
    }
    const newSchools = names
      .filter((n) => !schoolIds.has(schoolKey(n)))
      .map((n) => {
        const id = randomUUID();
        schoolIds.set(schoolKey(n), id);
        return {
          id,
          name: n.schoolName,
          town: n.town,
          academie: n.academie,
          region: n.region,
          overseas: n.overseas,
        };
      });
    if (newSchools.length > 0) {
      await tx`insert into schools ${tx(newSchools, 'id', 'name', 'town', 'academie', 'region', 'overseas')}`;
    }
    // Classes already there (same school, same label whatever the case) are kept as they are.
    const schoolOf = classrooms.map((c) => schoolIds.get(schoolKey(c)) as string);
    const there = await tx<{ id: string; schoolId: string; label: string }[]>`
      select c.id, c.school_id, c.label from classrooms c
      join unnest(${schoolOf}::uuid[], ${classrooms.map((c) => c.label.toLowerCase())}::text[])
        as w(school_id, label)
        on c.school_id = w.school_id and lower(c.label) = w.label`;
    const classKey = (schoolId: string, label: string) => `${schoolId}\u0000${label.toLowerCase()}`;
    const classIds = new Map(there.map((c) => [classKey(c.schoolId, c.label), c.id]));
    const allIds: string[] = [];
    const newClassrooms: { id: string; schoolId: string; label: string; level: string }[] = [];
    classrooms.forEach((c, i) => {
      const schoolId = schoolOf[i] as string;
      const key = classKey(schoolId, c.label);
      let id = classIds.get(key);
      if (!id) {
        id = randomUUID();
        classIds.set(key, id);
        newClassrooms.push({ id, schoolId, label: c.label, level: c.level });
      }
      allIds.push(id);
    });
    if (newClassrooms.length > 0) {
      await tx`insert into classrooms ${tx(newClassrooms, 'id', 'schoolId', 'label', 'level')}`;
    }
    let enrolled = 0;
    if (eventId && allIds.length > 0) {
      const rows = await tx`
        insert into classroom_enrolments (event_id, classroom_id)
        select ${eventId}, unnest(${allIds}::uuid[])
        on conflict do nothing`;
      enrolled = rows.count;
    }
    return {
      lines: classrooms.length,
      schoolsCreated: newSchools.length,
      schoolsExisting: names.length - newSchools.length,
      classroomsCreated: newClassrooms.length,
      classroomsExisting: classrooms.length - newClassrooms.length,
      enrolled,
    };
  }) as Promise<ImportResult>;
}
