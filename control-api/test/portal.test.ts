import type {
  CatalogueEvent,
  CatalogueList,
  ClassSheet,
  EnrolmentList,
  Event,
  JoinLink,
  School,
  SchoolSearchResult,
  TeacherEnrolment,
} from '@amphi/protocol';
import { beforeAll, describe, expect, it } from 'vitest';
import { api, key, TestClient, useControlPlane } from './support/harness.ts';

const env = useControlPlane();
type Err = { error: { code: string; message: string; details?: { path: string }[] } };
const pub = <T>(method: string, path: string, body?: unknown, token: string | null = null) =>
  api<T>(env.plane.url, method, path, body, token);

const DAY = 86400_000;
let school: School;
let other: School;
let media: Event;
let science: Event;

async function speaker(name: string, job: string, studyPath: string): Promise<string> {
  const r = await api<{ id: string }>(env.plane.url, 'POST', '/api/v1/speakers', {
    name,
    job,
    organisation: 'Radio France',
    bio: 'Vingt ans de métier.',
    studyPath,
  });
  return r.body.id;
}

async function event(body: Record<string, unknown>): Promise<Event> {
  const r = await api<Event>(env.plane.url, 'POST', '/api/v1/events', body);
  expect(r.status).toBe(201);
  return r.body;
}

beforeAll(async () => {
  const base = env.plane.url;
  school = (
    await api<School>(base, 'POST', '/api/v1/schools', {
      name: 'Collège Émile Zola',
      town: 'Pointe-à-Pitre',
      academie: 'Guadeloupe',
      region: 'Guadeloupe',
      overseas: true,
    })
  ).body;
  other = (
    await api<School>(base, 'POST', '/api/v1/schools', {
      name: 'Lycée Victor Hugo Schœlcher',
      town: 'Besançon',
      academie: 'Besançon',
      region: 'Bourgogne-Franche-Comté',
    })
  ).body;
  const journalist = await speaker('Awa', 'Journaliste radio', 'Bac L, IUT de journalisme');
  const engineer = await speaker('Hugo', 'Ingénieur du son', 'Bac STI2D, BTS audiovisuel');
  const climatologist = await speaker('Inès', 'Climatologue', 'Bac S, doctorat de physique');
  media = await event({
    title: 'Faire la radio',
    themeWeek: 'Semaine de la presse et des médias',
    format: 'panel_55',
    startsAt: new Date(Date.now() + 10 * DAY).toISOString(),
    speakerIds: [journalist, engineer],
    levels: ['2nde', '1re', 'Tle'],
    summary: 'Une matinale de radio, de la conférence de rédaction à l’antenne.',
    description: 'Comment se prépare une émission en direct.',
    enrolmentOpen: true,
  });
  science = await event({
    title: 'Mesurer le climat',
    themeWeek: 'Fête de la science',
    format: 'solo_45',
    startsAt: new Date(Date.now() + 20 * DAY).toISOString(),
    speakerIds: [climatologist],
    levels: ['4e', '3e'],
  });
  // Not in the catalogue: over, cancelled, or past and closed.
  const over = await event({
    title: 'Déjà passée',
    format: 'solo_45',
    startsAt: new Date(Date.now() - 2 * DAY).toISOString(),
    speakerIds: [climatologist],
  });
  await api(base, 'POST', `/api/v1/events/${over.id}/status`, { status: 'ended' });
  const cancelled = await event({
    title: 'Annulée',
    format: 'solo_45',
    startsAt: new Date(Date.now() + 5 * DAY).toISOString(),
    speakerIds: [climatologist],
    enrolmentOpen: true,
  });
  await api(base, 'POST', `/api/v1/events/${cancelled.id}/status`, { status: 'cancelled' });
});

describe('the public catalogue', () => {
  it('lists upcoming talks without a credential, with speakers, jobs and study paths, never enrolments', async () => {
    const r = await pub<CatalogueList>('GET', '/api/v1/catalogue');
    expect(r.status).toBe(200);
    expect(r.body.items.map((e) => e.title)).toEqual(['Faire la radio', 'Mesurer le climat']);
    const radio = r.body.items[0] as CatalogueEvent;
    expect(radio.speakers.map((s) => [s.job, s.studyPath])).toEqual([
      ['Journaliste radio', 'Bac L, IUT de journalisme'],
      ['Ingénieur du son', 'Bac STI2D, BTS audiovisuel'],
    ]);
    expect(radio).toMatchObject({ enrolmentOpen: true, levels: ['2nde', '1re', 'Tle'] });
    expect(r.body.themeWeeks).toEqual(['Fête de la science', 'Semaine de la presse et des médias']);
    expect(JSON.stringify(r.body)).not.toMatch(/contact|classroom/i);
  });

  it('filters by theme week, level, day and job (any case, any accents)', async () => {
    const titles = async (query: string) =>
      (await pub<CatalogueList>('GET', `/api/v1/catalogue?${query}`)).body.items.map(
        (e) => e.title,
      );
    expect(await titles('themeWeek=F%C3%AAte%20de%20la%20science')).toEqual(['Mesurer le climat']);
    expect(await titles('level=3e')).toEqual(['Mesurer le climat']);
    expect(await titles('level=Tle')).toEqual(['Faire la radio']);
    expect(await titles('level=6e')).toEqual([]);
    expect(await titles('job=INGENIEUR')).toEqual(['Faire la radio']);
    expect(await titles('job=clim')).toEqual(['Mesurer le climat']);
    const day = (d: number) => new Date(Date.now() + d * DAY).toISOString().slice(0, 10);
    expect(await titles(`from=${day(15)}`)).toEqual(['Mesurer le climat']);
    expect(await titles(`to=${day(15)}`)).toEqual(['Faire la radio']);
    expect(await titles(`from=${day(9)}&to=${day(11)}&timeZone=America/Guadeloupe`)).toEqual([
      'Faire la radio',
    ]);
  });

  it('refuses bad filters with the field named', async () => {
    for (const [query, path] of [
      ['level=CM2', 'querystring.level'],
      ['from=2026-13-01', 'querystring.from'],
      ['timeZone=Mars/Olympus', 'querystring.timeZone'],
      ['limit=1000', 'querystring.limit'],
      ['isAdmin=1', 'querystring'],
    ] as const) {
      const r = await pub<Err>('GET', `/api/v1/catalogue?${query}`);
      expect([query, r.status, r.body.error.code]).toEqual([query, 400, 'VALIDATION_FAILED']);
      expect(r.body.error.details?.[0]?.path ?? r.body.error.message).toContain(path);
    }
  });

  it('shows one talk, not a cancelled one', async () => {
    const r = await pub<CatalogueEvent>('GET', `/api/v1/catalogue/${science.id}`);
    expect([r.status, r.body.title]).toEqual([200, 'Mesurer le climat']);
    const missing = await pub<Err>('GET', '/api/v1/catalogue/00000000-0000-4000-8000-000000000009');
    expect([missing.status, missing.body.error.code]).toEqual([404, 'NOT_FOUND']);
  });
});

describe('the school search', () => {
  it('finds a school by name or town, any case and accents', async () => {
    const names = async (q: string) =>
      (
        await pub<SchoolSearchResult>('GET', `/api/v1/schools/search?q=${encodeURIComponent(q)}`)
      ).body.items.map((s) => s.name);
    expect(await names('emile zola')).toEqual(['Collège Émile Zola']);
    expect(await names('POINTE-A')).toEqual(['Collège Émile Zola']);
    expect(await names('besancon hugo')).toEqual(['Lycée Victor Hugo Schœlcher']);
    expect(await names('SCHOELCHER')).toEqual(['Lycée Victor Hugo Schœlcher']);
    expect(await names('schœl')).toEqual(['Lycée Victor Hugo Schœlcher']);
    expect(await names('%%')).toEqual([]);
    const short = await pub<Err>('GET', '/api/v1/schools/search?q=a');
    expect([short.status, short.body.error.code]).toEqual([400, 'VALIDATION_FAILED']);
  });
});

describe('a teacher enrols a class', () => {
  const body = () => ({
    schoolId: school.id,
    classLabel: '2nde 4',
    level: '2nde',
    contactEmail: 'prof.dupont@ac-guadeloupe.fr',
  });

  it('gets the class link, whose class page shows the talk, and the operators see the e-mail', async () => {
    const r = await pub<TeacherEnrolment>(
      'POST',
      `/api/v1/catalogue/${media.id}/enrolments`,
      body(),
    );
    expect(r.status).toBe(201);
    expect(r.body.classroom).toMatchObject({
      label: '2nde 4',
      level: '2nde',
      schoolName: 'Collège Émile Zola',
      town: 'Pointe-à-Pitre',
    });
    expect(r.body.joinUrl).toContain(`/viewer/?event=${media.id}&token=`);
    expect(r.body.networkCheckUrl).toBe(r.body.joinUrl.replace('/viewer/?', '/viewer/check/?'));
    expect(r.body.event.title).toBe('Faire la radio');
    const sheet = await pub<ClassSheet>('GET', '/api/v1/portal/class', undefined, r.body.token);
    expect(sheet.status).toBe(200);
    expect(sheet.body).toMatchObject({
      event: { id: media.id },
      classroom: { label: '2nde 4' },
      questions: [],
    });
    expect(sheet.body.event.speakers.map((s) => s.studyPath)).toHaveLength(2);
    const list = await api<EnrolmentList>(
      env.plane.url,
      'GET',
      `/api/v1/events/${media.id}/enrolments`,
    );
    expect(list.body.classrooms).toEqual([
      expect.objectContaining({
        label: '2nde 4',
        enrolledBy: 'teacher',
        contactEmail: 'prof.dupont@ac-guadeloupe.fr',
      }),
    ]);
  });

  it('submits a question before the talk with the link and sees it pending, then approved', async () => {
    const enrolment = await pub<TeacherEnrolment>(
      'POST',
      `/api/v1/catalogue/${media.id}/enrolments`,
      { ...body(), classLabel: '1re 2', level: '1re' },
    );
    const token = enrolment.body.token;
    const sent = await pub<{ question: { id: string; status: string } }>(
      'POST',
      '/api/v1/registration/questions',
      {
        idempotencyKey: key(),
        text: 'Comment devient-on journaliste ?',
        category: 'training_path',
      },
      token,
    );
    expect([sent.status, sent.body.question.status]).toEqual([201, 'pending']);
    const sheet = await pub<ClassSheet>('GET', '/api/v1/portal/class', undefined, token);
    expect(sheet.body.questions.map((q) => [q.text, q.status, q.askedBeforeEvent])).toEqual([
      ['Comment devient-on journaliste ?', 'pending', true],
    ]);
    const link = await api<JoinLink>(
      env.plane.url,
      'POST',
      `/api/v1/events/${media.id}/join-links`,
      {
        role: 'moderator',
        name: 'Nadia',
      },
    );
    const moderator = await TestClient.connect(env.plane.url, media.id, link.body.token);
    env.clients.push(moderator);
    await moderator.request('question.moderate', {
      action: 'approve',
      questionId: sent.body.question.id,
    });
    const after = await pub<ClassSheet>('GET', '/api/v1/portal/class', undefined, token);
    expect(after.body.questions.map((q) => q.status)).toEqual(['approved']);
  });

  it('finds the same class again whatever the case, and refuses to enrol it twice in one talk', async () => {
    const again = await pub<Err>('POST', `/api/v1/catalogue/${media.id}/enrolments`, {
      ...body(),
      classLabel: '2NDE 4',
    });
    expect([again.status, again.body.error.code]).toEqual([409, 'CONFLICT']);
    await api(env.plane.url, 'POST', `/api/v1/events/${science.id}/enrolment`, { open: true });
    const elsewhere = await pub<TeacherEnrolment>(
      'POST',
      `/api/v1/catalogue/${science.id}/enrolments`,
      { ...body(), classLabel: '2NDE 4' },
    );
    expect(elsewhere.status).toBe(201);
    expect(elsewhere.body.classroom.label).toBe('2nde 4');
    const rows = await env.db`select count(*)::int as n from classrooms
                              where school_id = ${school.id} and lower(label) = '2nde 4'`;
    expect(rows[0]?.n).toBe(1);
    await api(env.plane.url, 'POST', `/api/v1/events/${science.id}/enrolment`, { open: false });
  });

  it('refuses a closed talk, an unknown school, a bad e-mail and an unknown level, precisely', async () => {
    const closed = await pub<Err>('POST', `/api/v1/catalogue/${science.id}/enrolments`, {
      ...body(),
      classLabel: '3e A',
    });
    expect([closed.status, closed.body.error.code]).toEqual([409, 'EVENT_CLOSED']);
    const noSchool = await pub<Err>('POST', `/api/v1/catalogue/${media.id}/enrolments`, {
      ...body(),
      schoolId: '00000000-0000-4000-8000-000000000007',
    });
    expect([noSchool.status, noSchool.body.error.details?.[0]?.path]).toEqual([
      404,
      'body.schoolId',
    ]);
    for (const [field, value] of [
      ['contactEmail', 'pas-une-adresse'],
      ['level', 'CM2'],
      ['classLabel', ''],
    ] as const) {
      const r = await pub<Err>('POST', `/api/v1/catalogue/${media.id}/enrolments`, {
        ...body(),
        [field]: value,
      });
      expect([field, r.status, r.body.error.details?.[0]?.path]).toEqual([
        field,
        400,
        `body.${field}`,
      ]);
    }
    const noTalk = await pub<Err>(
      'POST',
      '/api/v1/catalogue/00000000-0000-4000-8000-000000000006/enrolments',
      body(),
    );
    expect(noTalk.status).toBe(404);
    const noClasses = await env.db`select count(*)::int as n from classrooms where label = '3e A'`;
    expect(noClasses[0]?.n).toBe(0);
  });

  it("a class page needs the class's link", async () => {
    const none = await pub<Err>('GET', '/api/v1/portal/class');
    expect([none.status, none.body.error.code]).toEqual([401, 'UNAUTHORIZED']);
    const forged = await pub<Err>('GET', '/api/v1/portal/class', undefined, 'abc.def.ghi');
    expect([forged.status, forged.body.error.code]).toEqual([401, 'TOKEN_INVALID']);
  });

  it("erases the teacher's e-mail with the class's personal data", async () => {
    const r = await pub<TeacherEnrolment>('POST', `/api/v1/catalogue/${media.id}/enrolments`, {
      ...body(),
      classLabel: 'Tle 1',
      level: 'Tle',
    });
    const erased = await api<{ teacherContacts: number }>(
      env.plane.url,
      'DELETE',
      `/api/v1/events/${media.id}/classrooms/${r.body.classroom.id}/personal-data`,
    );
    expect([erased.status, erased.body.teacherContacts]).toEqual([200, 1]);
    const [row] = await env.db`select contact_email, erased_at from classroom_enrolments
                               where classroom_id = ${r.body.classroom.id}`;
    expect(row?.contact_email).toBe('');
    expect(row?.erased_at).not.toBeNull();
    const event = await api<{ teacherContacts: number }>(
      env.plane.url,
      'DELETE',
      `/api/v1/events/${media.id}/personal-data`,
    );
    expect(event.body.teacherContacts).toBe(2);
  });
});

describe('which talks the catalogue shows, and on which day', () => {
  it('shows a talk under way only while it takes classes, and never one over', async () => {
    const speakerId = await speaker('Léo', 'Météorologue', 'Bac S, école de la météo');
    const week = 'Semaine du climat';
    const talk = async (title: string, startsAt: Date, open: boolean) =>
      event({
        title,
        themeWeek: week,
        format: 'solo_45',
        startsAt: startsAt.toISOString(),
        speakerIds: [speakerId],
        enrolmentOpen: open,
      });
    const openLive = await talk('En cours, ouverte', new Date(Date.now() - 600_000), true);
    const closedLive = await talk('En cours, fermée', new Date(Date.now() - 600_000), false);
    for (const e of [openLive, closedLive]) {
      await api(env.plane.url, 'POST', `/api/v1/events/${e.id}/status`, { status: 'live' });
    }
    const titles = async () =>
      (
        await pub<CatalogueList>('GET', `/api/v1/catalogue?themeWeek=${encodeURIComponent(week)}`)
      ).body.items.map((e) => [e.title, e.status]);
    expect(await titles()).toEqual([['En cours, ouverte', 'live']]);
    await api(env.plane.url, 'POST', `/api/v1/events/${openLive.id}/status`, { status: 'ended' });
    expect(await titles()).toEqual([]);
  });

  it('counts a late-evening talk on the day of the school that watches it', async () => {
    const speakerId = await speaker('Mia', 'Astronome', 'Bac S, doctorat d’astrophysique');
    // 23:30 UTC: the next day in Paris (00:30), the same day in Guadeloupe (19:30).
    const day = new Date(Date.now() + 30 * DAY);
    const at = new Date(`${day.toISOString().slice(0, 10)}T23:30:00.000Z`);
    const next = new Date(at.getTime() + DAY).toISOString().slice(0, 10);
    const same = at.toISOString().slice(0, 10);
    await event({
      title: 'La nuit des étoiles',
      themeWeek: 'Nuit des étoiles',
      format: 'solo_45',
      startsAt: at.toISOString(),
      speakerIds: [speakerId],
    });
    const on = async (date: string, timeZone?: string) =>
      (
        await pub<CatalogueList>(
          'GET',
          `/api/v1/catalogue?themeWeek=Nuit%20des%20%C3%A9toiles&from=${date}&to=${date}${
            timeZone ? `&timeZone=${timeZone}` : ''
          }`,
        )
      ).body.total;
    expect([await on(same), await on(next)]).toEqual([0, 1]);
    expect([await on(same, 'America/Guadeloupe'), await on(next, 'America/Guadeloupe')]).toEqual([
      1, 0,
    ]);
  });
});

describe('enrolment is rate-limited per address', () => {
  it('answers 429 RATE_LIMITED past the hourly allowance', async () => {
    let last = 0;
    let code = '';
    for (let i = 0; i < 40 && last !== 429; i++) {
      const r = await pub<Err>('POST', `/api/v1/catalogue/${media.id}/enrolments`, {
        schoolId: other.id,
        classLabel: `Groupe ${i}`,
        level: '1re',
        contactEmail: 'vie.scolaire@lycee-hugo.fr',
      });
      last = r.status;
      code = r.body.error?.code ?? '';
    }
    expect([last, code]).toEqual([429, 'RATE_LIMITED']);
    // Reading the catalogue is not held back by it.
    expect((await pub('GET', '/api/v1/catalogue')).status).toBe(200);
  });
});
