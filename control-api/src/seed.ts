import type { JoinLink } from '@amphi/protocol';
import type { JoinTokens } from './auth/JoinTokens.ts';
import type { CatalogStore } from './catalog/CatalogStore.ts';
import type { Sql } from './db/Database.ts';
import { issueJoinLink } from './routes/operator.ts';

export interface DemoEvent {
  eventId: string;
  title: string;
  /** Created by this call (the first start on this database). */
  created: boolean;
}

export type DemoLinks = { label: string; link: JoinLink }[];

const DEMO_TITLE = 'Démo Amphi : journaliste scientifique';

/**
 * A sample event to try Amphi on one machine: one speaker, a moderator and two
 * classrooms (one overseas). Created at first start; its links are issued by `demoLinks`.
 */
export async function seedDemo(sql: Sql, catalog: CatalogStore): Promise<DemoEvent> {
  const [existing] = await sql<{ id: string }[]>`
    select id from events where title = ${DEMO_TITLE} order by created_at limit 1`;
  if (existing) return { eventId: existing.id, title: DEMO_TITLE, created: false };
  const speaker = await catalog.createSpeaker({
    name: 'Camille Martin',
    job: 'Journaliste scientifique',
    organisation: 'Radio publique',
    bio: 'Couvre la recherche sur le climat depuis dix ans ; passée par un IUT de journalisme.',
  });
  const event = await catalog.createEvent({
    title: DEMO_TITLE,
    themeWeek: 'Semaine des médias',
    format: 'solo_45',
    startsAt: new Date(Date.now() + 3600_000).toISOString(),
    speakerIds: [speaker.id],
  });
  const lyon = await catalog.createSchool({
    name: 'Collège Jean Moulin',
    town: 'Lyon',
    academie: 'Lyon',
    region: 'Auvergne-Rhône-Alpes',
    overseas: false,
  });
  const pap = await catalog.createSchool({
    name: 'Collège Carnot',
    town: 'Pointe-à-Pitre',
    academie: 'Guadeloupe',
    region: 'Guadeloupe',
    overseas: true,
  });
  const c1 = await catalog.createClassroom({ schoolId: lyon.id, label: '4e B', level: '4e' });
  const c2 = await catalog.createClassroom({ schoolId: pap.id, label: '3e A', level: '3e' });
  await catalog.enrolClassrooms(event.id, [c1.id, c2.id]);
  return { eventId: event.id, title: event.title, created: true };
}

/** Fresh join links to the demo event: each speaker, a moderator, each classroom. */
export async function demoLinks(
  catalog: CatalogStore,
  tokens: JoinTokens,
  publicUrl: string,
  eventId: string,
): Promise<DemoLinks> {
  const event = await catalog.getEvent(eventId);
  const enrolments = await catalog.listEnrolments(eventId);
  const opts = { catalog, tokens, publicUrl };
  const links: DemoLinks = [];
  for (const s of event?.speakers ?? []) {
    links.push({
      label: `speaker ${s.name}`,
      link: await issueJoinLink(opts, eventId, { role: 'speaker', speakerId: s.id }),
    });
  }
  links.push({
    label: 'moderator',
    link: await issueJoinLink(opts, eventId, { role: 'moderator', name: 'Modération' }),
  });
  for (const c of enrolments.classrooms) {
    links.push({
      label: `classroom ${c.label} (${c.town})`,
      link: await issueJoinLink(opts, eventId, { role: 'classroom', classroomId: c.classroomId }),
    });
  }
  return links;
}
