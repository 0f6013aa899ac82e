import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { EventBoard } from '@amphi/protocol';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureDebianPackages } from '../../scripts/debian-packages.mjs';
import {
  api,
  key,
  OPERATOR_TOKEN,
  refusal,
  TestClient,
  useControlPlane,
} from './support/harness.ts';

// GET /metrics and the operators' live board, over a real control plane
// (PostgreSQL, mediasoup workers): a moderator and a classroom join, the class
// reports its path, asks a question the moderator approves; the exposition
// counts them (and passes promtool), the board shows the same, and neither
// names the classroom.

export const METRICS_TOKEN = 'test-metrics-token-0123456789';

beforeAll(() => ensureDebianPackages(['prometheus']));
const env = useControlPlane({
  metricsToken: METRICS_TOKEN,
  mediaNode: { workers: 2 },
  seed: { classrooms: 2, status: 'live' },
});
let title: string;

beforeAll(async () => {
  title = (await api<{ title: string }>(env.plane.url, 'GET', `/api/v1/events/${env.ev.eventId}`))
    .body.title;
});

async function scrape(token: string | null = METRICS_TOKEN): Promise<Response> {
  return fetch(`${env.plane.url}/metrics`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
}

/** The value of one series (exact name and labels as exposed), or undefined. */
function series(text: string, name: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

describe('GET /metrics', () => {
  it('answers only the metrics credential: not anonymous, not the operator credential', async () => {
    const anonymous = await scrape(null);
    expect(anonymous.status).toBe(401);
    expect(((await anonymous.json()) as { error: { code: string } }).error.code).toBe(
      'UNAUTHORIZED',
    );
    expect((await scrape(OPERATOR_TOKEN)).status).toBe(401);
    expect((await scrape('not-the-metrics-token-at-all')).status).toBe(401);
    const ok = await scrape();
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  });

  it('counts the participants, their join, a rejected message and the question queue', async () => {
    const moderator = await env.connect(env.ev.tokens.moderator);
    await moderator.request('join', {});
    const classroom = await env.connect(env.ev.tokens.classrooms[0] as string);
    await classroom.request('join', {});
    await classroom.request('presence.quality', { quality: 'good', path: 'turn-tls' });
    const refused = await refusal(
      TestClient.connect(env.plane.url, env.ev.eventId, 'not-a-join-token'),
    );
    expect(refused.code).toBe('TOKEN_INVALID');
    const unknown = await classroom.sendLoose({ id: 99, type: 'no.such.request', data: {} });
    expect(unknown.ok ? null : unknown.error.code).toBe('UNKNOWN_TYPE');
    const { question } = await classroom.request('question.submit', {
      idempotencyKey: key(),
      text: 'Comment êtes-vous devenue ingénieure du son ?',
      category: 'training_path',
    });
    await moderator.waitForEvent('question.created', (q) => q.id === question.id);
    await moderator.request('question.moderate', { action: 'approve', questionId: question.id });

    const text = await (await scrape()).text();
    expect(
      series(
        text,
        'amphi_participants{role="classroom",region="Occitanie",path="turn-tls",quality="good"}',
      ),
    ).toBe(1);
    expect(
      series(
        text,
        'amphi_participants{role="moderator",region="",path="unknown",quality="unknown"}',
      ),
    ).toBe(1);
    expect(series(text, 'amphi_event_rooms')).toBe(1);
    expect(series(text, 'amphi_join_duration_seconds_count{role="classroom"}')).toBe(1);
    expect(series(text, 'amphi_join_duration_seconds_count{role="moderator"}')).toBe(1);
    expect(series(text, 'amphi_signaling_rejected_total{code="UNKNOWN_TYPE"}')).toBe(1);
    expect(series(text, 'amphi_joins_refused_total{code="TOKEN_INVALID"}')).toBe(1);
    expect(series(text, 'amphi_questions{status="approved"}')).toBe(1);
    expect(series(text, 'amphi_questions{status="pending"}')).toBe(0);
    expect(series(text, 'amphi_questions_submitted_total')).toBe(1);
    expect(series(text, 'amphi_question_delivery_seconds_count')).toBe(1);
    expect(series(text, 'amphi_question_triage_seconds_count')).toBe(1);
    // The media plane of this process: its two workers.
    expect(series(text, 'amphi_media_workers_running')).toBe(2);
    expect(series(text, 'amphi_media_worker_restarts_total{worker="0"}')).toBe(0);
    if (process.env.SHOW_METRICS) console.log(text);
    // Counts, never who: no classroom, school, event title or person.
    for (const name of [title, 'Collège', '4e A', 'Nadia', 'Inès', env.ev.eventId, question.id]) {
      expect(text).not.toContain(name);
    }
  });

  it('passes promtool check metrics', async () => {
    const text = await (await scrape()).text();
    const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(check.stdout + check.stderr).toBe('');
    expect(check.status).toBe(0);
  });

  it('the Grafana dashboard plots only series the exposition has', async () => {
    const text = await (await scrape()).text();
    const exposed = new Set(
      text
        .split('\n')
        .filter((l) => l.startsWith('# TYPE '))
        .flatMap((l) => {
          const [, , name, type] = l.split(' ');
          return type === 'histogram'
            ? [`${name}_bucket`, `${name}_count`, `${name}_sum`]
            : [name as string];
        }),
    );
    const dashboard = JSON.parse(
      await readFile(
        new URL('../../deploy/grafana/dashboards/amphi.json', import.meta.url),
        'utf8',
      ),
    ) as { panels: { title: string; targets?: { expr: string }[] }[] };
    const used = new Set<string>();
    for (const panel of dashboard.panels) {
      for (const target of panel.targets ?? []) {
        for (const m of target.expr.matchAll(/\b(amphi_[a-z_]+)/g)) used.add(m[1] as string);
      }
    }
    expect(used.size).toBeGreaterThan(10);
    expect([...used].filter((name) => !exposed.has(name))).toEqual([]);
  });
});

/** GET the event's live board with `token` (the operator credential unless told). */
const askBoard = (token: string | null = OPERATOR_TOKEN, eventId = env.ev.eventId) =>
  api<{ error?: { code: string } }>(
    env.plane.url,
    'GET',
    `/api/v1/events/${eventId}/board`,
    undefined,
    token,
  );

/** The operators' live board of the event, as the console reads it. */
async function readBoard(): Promise<EventBoard> {
  return EventBoard.parse((await askBoard()).body);
}

describe('GET /api/v1/events/:eventId/board', () => {
  it('is for operators only', async () => {
    const anonymous = await askBoard(null);
    expect([anonymous.status, anonymous.body.error?.code]).toEqual([401, 'UNAUTHORIZED']);
    // The scrape credential reads counts, never the board (class names, the queue).
    const metricsCredential = await askBoard(METRICS_TOKEN);
    expect([metricsCredential.status, metricsCredential.body.error?.code]).toEqual([
      401,
      'UNAUTHORIZED',
    ]);
    const unknown = await askBoard(OPERATOR_TOKEN, '00000000-0000-4000-8000-000000000000');
    expect([unknown.status, unknown.body.error?.code]).toEqual([404, 'NOT_FOUND']);
  });

  it('shows the event live: the class by region, path and quality, the queue, the workers', async () => {
    const r = await askBoard();
    expect(r.status).toBe(200);
    const board = EventBoard.parse(r.body);
    expect(board.title).toBe(title);
    expect(board.status).toBe('live');
    expect(board.participants).toEqual({ speaker: 0, moderator: 1, classroom: 1 });
    expect(board.classrooms.connected).toBe(1);
    expect(board.classrooms.byRegion).toEqual({ Occitanie: 1 });
    expect(board.classrooms.byPath).toEqual({ udp: 0, tcp: 0, relay: 1, hls: 0, unknown: 0 });
    expect(board.classrooms.byMediaPath['turn-tls']).toBe(1);
    expect(board.classrooms.byQuality).toEqual({ good: 1, degraded: 0, bad: 0, unknown: 0 });
    expect(board.questions.byStatus.approved).toBe(1);
    expect(board.questions.lastMinute).toBe(1);
    expect(board.questions.perMinute).toHaveLength(10);
    expect(board.questions.perMinute.at(-1)?.count).toBe(1);
    expect(board.stage).toBeNull();
    expect(board.hands).toBe(0);
    expect(board.speakers).toEqual([{ name: 'Inès Haddad', connected: false }]);
    expect(board.media).toHaveLength(1);
    expect(board.media[0]?.workers.map((w) => w.index).sort()).toEqual([0, 1]);
    expect(board.media[0]?.workers.every((w) => w.pid > 0 && w.restarts === 0)).toBe(true);
  });

  it('shows the hand raised, then the class on stage', async () => {
    const [moderator, classroom] = env.clients as [TestClient, TestClient];
    await classroom.request('hand.raise', {});
    expect((await readBoard()).hands).toBe(1);
    const classroomId = env.ev.classroomIds[0] as string;
    await moderator.request('stage.invite', { classroomId });
    expect((await readBoard()).stage).toMatchObject({ classroomId, status: 'invited' });
    await classroom.request('stage.respond', { accept: true });
    const board = await readBoard();
    expect(board.stage).toMatchObject({ classroomId, status: 'live' });
    expect(board.stage?.classroomName).toContain('4e A');
  });

  it('follows the class as it changes path and leaves', async () => {
    const second = await env.connect(env.ev.tokens.classrooms[1] as string);
    await second.request('join', {});
    await second.request('presence.quality', { quality: 'bad', path: 'hls' });
    let board = await readBoard();
    expect(board.classrooms.connected).toBe(2);
    expect(board.classrooms.byRegion).toEqual({ Occitanie: 1, Guadeloupe: 1 });
    expect(board.classrooms.byPath.hls).toBe(1);
    expect(board.classrooms.byQuality.bad).toBe(1);
    await second.close();
    await expect.poll(async () => (await readBoard()).classrooms.connected).toBe(1);
    board = await readBoard();
    expect(board.classrooms.byPath.hls).toBe(0);
  });
});
