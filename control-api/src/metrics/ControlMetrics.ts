import { registerWorkerMetrics, type WorkerMonitor } from '@amphi/media-server';
import type { ErrorCode, Question, QuestionStatus, Role } from '@amphi/protocol';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Bus } from '../bus/Bus.ts';
import type { LiveHub } from '../live/LiveHub.ts';
import type { Logger } from '../logger.ts';
import { localParticipants, participantSeries } from './participantCounts.ts';
import type { QuestionFigures } from './QuestionFigures.ts';

/** What signaling tells the metrics as it happens (ParticipantSession calls it). */
export interface SignalingObserver {
  /** A participant's `join` was answered: seconds since its WebSocket upgrade request arrived. */
  joined(role: Role, seconds: number): void;
  /** A message was answered with an error (or dropped with one): its code. */
  rejected(code: ErrorCode): void;
  /** A WebSocket upgrade was refused (token, rate limit, closed event...): its code. */
  refused(code: ErrorCode): void;
  /** A socket asked to resume its media (its first join): how that went. */
  resumed(outcome: ResumeOutcome): void;
}

/**
 * What became of a resume: media adopted; or refused, the token not valid for
 * this join link (`invalid`), the media closed after its grace (`expired`),
 * none held (`unknown`: left on purpose, lost with its node), a newer socket
 * of the participant holding it (`superseded`: two resumes raced), or the
 * media plane failing (`failed`).
 */
export type ResumeOutcome = 'resumed' | 'invalid' | 'expired' | 'unknown' | 'superseded' | 'failed';

/** What the question queue tells the metrics (QuestionQueue's observer). */
export interface QuestionEvents {
  on(event: 'submitted', listener: (question: Question) => void): unknown;
  on(
    event: 'moderated',
    listener: (change: { question: Question; previousStatus: QuestionStatus }) => void,
  ): unknown;
  off(event: 'submitted' | 'moderated', listener: (...args: never[]) => void): unknown;
}

export interface ControlMetricsDeps {
  hub: LiveHub;
  bus: Bus;
  figures: QuestionFigures;
  /** The queue's observer: questions submitted and moderated on this instance. */
  questions?: QuestionEvents | undefined;
  /** The media workers of this process, when the media plane runs in it. */
  media?: WorkerMonitor | undefined;
  log: Logger;
}

const LINT_FAILING_DEFAULTS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];
const JOIN_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const DELIVERY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const TRIAGE_BUCKETS = [5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600];

/**
 * The control-api's Prometheus registry (`GET /metrics`): this instance's
 * connections, joins, rejected messages, the question queue, and the media
 * workers of this process. Gauges read the live state at scrape time (collect
 * callbacks on the hub's rooms, PostgreSQL, the worker monitor); only what
 * happens (a join, a rejection, a question) is counted as it happens.
 *
 * No label names a classroom, a school, an event title or a person: roles,
 * regions, media paths, qualities, statuses, error codes and worker slots only.
 * `close()` stops listening.
 */
export class ControlMetrics implements SignalingObserver {
  readonly registry = new Registry();
  readonly #joins: Histogram<'role'>;
  readonly #rejected: Counter<'code'>;
  readonly #refused: Counter<'code'>;
  readonly #resumes: Counter<'outcome'>;
  readonly #stops: (() => void)[] = [];

  constructor(deps: ControlMetricsDeps) {
    const { registry } = this;
    collectDefaultMetrics({ register: registry });
    // prom-client names three gauges `_total`, which Prometheus keeps for counters
    // (promtool check metrics refuses them); the handle and request counts are
    // not what anyone watches Amphi by.
    for (const name of LINT_FAILING_DEFAULTS) registry.removeSingleMetric(name);
    const { hub } = deps;

    new Gauge({
      name: 'amphi_participants',
      help: 'Participants connected to this instance, by role, region (classrooms), media path and connection quality as their clients report them.',
      labelNames: ['role', 'region', 'path', 'quality'],
      registers: [registry],
      collect() {
        this.reset();
        for (const s of participantSeries(localParticipants(hub.rooms()))) {
          this.set(s.labels, s.value);
        }
      },
    });
    new Gauge({
      name: 'amphi_event_rooms',
      help: 'Events with at least one participant connected to this instance.',
      registers: [registry],
      collect() {
        this.set(hub.roomCount);
      },
    });
    this.#joins = new Histogram({
      name: 'amphi_join_duration_seconds',
      help: 'Joins answered, by role: seconds from the WebSocket upgrade request to the join answer (token, database, live state). Its _count counts joins.',
      labelNames: ['role'],
      buckets: JOIN_BUCKETS,
      registers: [registry],
    });
    this.#rejected = new Counter({
      name: 'amphi_signaling_rejected_total',
      help: 'Signaling messages answered with an error, by error code.',
      labelNames: ['code'],
      registers: [registry],
    });

    this.#refused = new Counter({
      name: 'amphi_joins_refused_total',
      help: 'WebSocket upgrades refused before any join, by error code (TOKEN_INVALID, TOKEN_REVOKED, RATE_LIMITED, EVENT_CLOSED...).',
      labelNames: ['code'],
      registers: [registry],
    });

    this.#resumes = new Counter({
      name: 'amphi_media_resumes_total',
      help: 'Sockets that asked to resume their media session, by outcome: resumed, invalid (token not valid for the join link), expired (closed after its grace), unknown (none held), superseded (a newer socket holds it), failed.',
      labelNames: ['outcome'],
      registers: [registry],
    });

    const { figures, log } = deps;
    new Gauge({
      name: 'amphi_questions',
      help: 'Questions of the events live now, by status (read from PostgreSQL: the same on every instance).',
      labelNames: ['status'],
      registers: [registry],
      async collect() {
        this.reset();
        try {
          const counts = await figures.byStatusOfLiveEvents();
          for (const [status, n] of Object.entries(counts)) this.set({ status }, n);
        } catch (err) {
          // A scrape while PostgreSQL is away leaves the series out, it does not fail.
          log.warn({ err }, 'metrics: reading the question counts failed');
        }
      },
    });
    const submitted = new Counter({
      name: 'amphi_questions_submitted_total',
      help: 'Questions submitted through this instance (live or before the event; retries not counted).',
      registers: [registry],
    });
    const delivery = new Histogram({
      name: 'amphi_question_delivery_seconds',
      help: "Seconds from a question's submission (its PostgreSQL write) to its fan-out to the moderators connected to this instance.",
      buckets: DELIVERY_BUCKETS,
      registers: [registry],
    });
    const triage = new Histogram({
      name: 'amphi_question_triage_seconds',
      help: "Seconds from a question's submission to a moderator's first decision on it (approved, rejected, merged), on this instance.",
      buckets: TRIAGE_BUCKETS,
      registers: [registry],
    });

    // Every instance hears every question on the bus: each measures the delivery to its own moderators.
    this.#stops.push(
      deps.bus.subscribe((msg) => {
        if (msg.kind !== 'question.created') return;
        const room = hub.existingRoom(msg.eventId);
        if (!room) return;
        for (const m of room.members()) {
          if (m.role !== 'moderator') continue;
          delivery.observe(secondsSince(msg.question.createdAt));
          return;
        }
      }),
    );
    const { questions } = deps;
    if (questions) {
      const onSubmitted = () => submitted.inc();
      const onModerated = (change: { question: Question; previousStatus: QuestionStatus }) => {
        if (change.previousStatus !== 'pending' || change.question.status === 'pending') return;
        triage.observe(secondsSince(change.question.createdAt));
      };
      questions.on('submitted', onSubmitted);
      questions.on('moderated', onModerated);
      this.#stops.push(() => {
        questions.off('submitted', onSubmitted);
        questions.off('moderated', onModerated);
      });
    }
    if (deps.media) this.#stops.push(registerWorkerMetrics(registry, deps.media));
  }

  joined(role: Role, seconds: number): void {
    this.#joins.observe({ role }, seconds);
  }

  rejected(code: ErrorCode): void {
    this.#rejected.inc({ code });
  }

  refused(code: ErrorCode): void {
    this.#refused.inc({ code });
  }

  resumed(outcome: ResumeOutcome): void {
    this.#resumes.inc({ outcome });
  }

  /** The exposition text and its content type. */
  async scrape(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  close(): void {
    for (const stop of this.#stops.splice(0)) stop();
  }
}

function secondsSince(iso: string): number {
  return Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
}
