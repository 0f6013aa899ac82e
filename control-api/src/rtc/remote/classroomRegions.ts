import type { Sql } from '../../db/Database.ts';

/**
 * A classroom's regions as the catalogue stores them: its school's académie
 * and region. An operator tags a media node with one of them
 * (MEDIA_NODE_REGION, e.g. « Guadeloupe ») and that académie's classrooms
 * prefer the node. An unknown classroom has none.
 */
export function classroomRegions(sql: Sql): (classroomId: string) => Promise<string[]> {
  return async (classroomId) => {
    const rows = await sql<{ academie: string; region: string }[]>`
      select s.academie, s.region
      from classrooms c join schools s on s.id = c.school_id
      where c.id = ${classroomId}`;
    const row = rows[0];
    return row ? [row.academie, row.region] : [];
  };
}
