import {
  Classroom,
  type EnrolClassroomsBody,
  Event,
  JoinLink,
  JoinLinkRevocation,
  School,
  Speaker,
} from '@amphi/protocol';
import { z } from 'zod';

/** What the simulator made on a deployment, and must undo. */
export interface TestEvent {
  eventId: string;
  speakerToken: string;
  moderatorToken: string;
  classroomTokens: string[];
  /** Every link issued, revoked at clean-up. */
  tokenIds: string[];
}

const CONCURRENCY = 8;

/**
 * The operator's REST API of a deployment (local or remote), as the simulator
 * uses it: it makes its own test event with its classrooms and links, and
 * cleans up after itself (event cancelled, links revoked). Answers are parsed
 * by the protocol's schemas; a 429 is waited out as its Retry-After says.
 */
export class Deployment {
  readonly baseUrl: string;
  readonly #token: string;

  constructor(baseUrl: string, operatorToken: string) {
    this.baseUrl = baseUrl.replace(/\/$/, '');
    this.#token = operatorToken;
  }

  async #call<S extends z.ZodType>(
    schema: S,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<z.infer<S>> {
    for (let attempt = 0; ; attempt++) {
      const res = await fetch(`${this.baseUrl}/api/v1${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.#token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.text();
      if (res.status === 429 && attempt < 20) {
        const wait = Number(res.headers.get('retry-after') ?? '1');
        await new Promise((r) => setTimeout(r, Math.min(60, Math.max(1, wait)) * 1000));
        continue;
      }
      if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${text.slice(0, 300)}`);
      return schema.parse(text ? JSON.parse(text) : null);
    }
  }

  /** A test event (live) with `classrooms` enrolled classrooms and a link for each participant. */
  async createTestEvent(classrooms: number, label: string): Promise<TestEvent> {
    const speaker = await this.#call(Speaker, 'POST', '/speakers', {
      name: 'Intervenante de test de charge',
      job: 'Mire de test',
      organisation: 'Amphi loadtest',
    });
    const event = await this.#call(Event, 'POST', '/events', {
      title: `Test de charge ${label}`,
      format: 'solo_45',
      startsAt: new Date(Date.now() + 60_000).toISOString(),
      speakerIds: [speaker.id],
    });
    const school = await this.#call(School, 'POST', '/schools', {
      name: 'Collège de test de charge',
      town: 'Ailleurs',
      academie: 'Test',
      region: 'Test',
      overseas: false,
    });
    const classroomIds = await pool(classrooms, async (i) => {
      const c = await this.#call(Classroom, 'POST', '/classrooms', {
        schoolId: school.id,
        label: `Classe ${i + 1}`,
        level: '4e',
      });
      return c.id;
    });
    for (let i = 0; i < classroomIds.length; i += 1000) {
      const body: EnrolClassroomsBody = { classroomIds: classroomIds.slice(i, i + 1000) };
      await this.#call(EnrolledCount, 'POST', `/events/${event.id}/enrolments/classrooms`, body);
    }
    await this.#call(Event, 'POST', `/events/${event.id}/status`, { status: 'live' });
    const link = (body: unknown) =>
      this.#call(JoinLink, 'POST', `/events/${event.id}/join-links`, body);
    const speakerLink = await link({ role: 'speaker', speakerId: speaker.id });
    const moderatorLink = await link({ role: 'moderator', name: 'Modération de test' });
    const classroomLinks = await pool(classroomIds.length, (i) =>
      link({ role: 'classroom', classroomId: classroomIds[i] }),
    );
    return {
      eventId: event.id,
      speakerToken: speakerLink.token,
      moderatorToken: moderatorLink.token,
      classroomTokens: classroomLinks.map((l) => l.token),
      tokenIds: [speakerLink, moderatorLink, ...classroomLinks].map((l) => l.tokenId),
    };
  }

  /** Ends the test event (cancelled) and revokes every link it issued. */
  async cleanUp(ev: TestEvent): Promise<{ revoked: number }> {
    await this.#call(Event, 'POST', `/events/${ev.eventId}/status`, { status: 'cancelled' });
    const done = await pool(ev.tokenIds.length, (i) =>
      this.#call(
        JoinLinkRevocation,
        'POST',
        `/events/${ev.eventId}/join-links/${ev.tokenIds[i]}/revoke`,
      ),
    );
    return { revoked: done.length };
  }
}

const EnrolledCount = z.object({ enrolled: z.number().int() });

/** Runs `n` jobs, a few at a time, keeping their order. */
async function pool<T>(n: number, job: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(n);
  let next = 0;
  const workers = Array.from({ length: Math.min(CONCURRENCY, n) }, async () => {
    while (next < n) {
      const i = next++;
      out[i] = await job(i);
    }
  });
  await Promise.all(workers);
  return out;
}
