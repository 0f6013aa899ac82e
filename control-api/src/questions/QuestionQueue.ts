import { EventEmitter } from 'node:events';
import {
  type ModerateQuestion,
  QUEUE_STATUSES,
  type Question,
  type QuestionStatus,
  questionScope,
  type SubmitQuestion,
  type SubmitQuestionResult,
  type Viewer,
} from '@amphi/protocol';
import type { Bus } from '../bus/Bus.ts';
import type { BusMessage } from '../bus/BusMessage.ts';
import type { ClassroomInfo } from '../catalog/CatalogStore.ts';
import { AppError } from '../errors.ts';
import type { RateLimiter } from '../live/RateLimiter.ts';
import type { Logger } from '../logger.ts';
import type { Actor, QuestionStore } from './QuestionStore.ts';

/**
 * The moderated question queue of every event: writes go to PostgreSQL first,
 * then the change is announced on the bus for every instance to fan out. The
 * answer to the client follows the PostgreSQL write and never waits on the bus
 * (a Redis outage delays the fan-out, not the acknowledgement).
 */
export class QuestionQueue {
  readonly #store: QuestionStore;
  readonly #bus: Bus;
  readonly #limiter: RateLimiter;
  readonly #log: Logger;
  /** Lets monitoring (the metrics) watch questions come and get moderated, without interfering. */
  readonly observer = new EventEmitter<{
    submitted: [Question];
    moderated: [{ question: Question; previousStatus: QuestionStatus }];
  }>();

  constructor(deps: { store: QuestionStore; bus: Bus; limiter: RateLimiter; log: Logger }) {
    this.#store = deps.store;
    this.#bus = deps.bus;
    this.#limiter = deps.limiter;
    this.#log = deps.log.child({ component: 'questions' });
  }

  async submit(
    eventId: string,
    classroom: ClassroomInfo,
    input: SubmitQuestion,
  ): Promise<SubmitQuestionResult> {
    if (!(await this.#limiter.take(`${eventId}:${classroom.id}`))) {
      // A retry of a stored question is still answered; a new one waits.
      const existing = await this.#store.findByIdempotencyKey(
        eventId,
        classroom,
        input.idempotencyKey,
      );
      if (existing) return { question: existing, duplicate: true };
      throw new AppError(
        'RATE_LIMITED',
        'too many questions from this classroom: wait a little before asking another one',
      );
    }
    const result = await this.#store.submit(eventId, classroom, input);
    const { question } = result;
    this.#log.info(
      { eventId, classroomId: classroom.id, questionId: question.id, duplicate: result.duplicate },
      'question submitted',
    );
    this.#log.debug({ questionId: question.id, text: question.text }, 'question text');
    if (!result.duplicate) {
      this.#publish({ kind: 'question.created', eventId, question });
      this.observer.emit('submitted', question);
    }
    return result;
  }

  /** The questions this viewer may see, in queue order. */
  list(eventId: string, viewer: Viewer): Promise<Question[]> {
    return this.#store.list(eventId, questionScope(viewer));
  }

  /** A classroom's own questions, whatever their status, in the order it asked them. */
  ofClassroom(eventId: string, classroomId: string): Promise<Question[]> {
    return this.#store.listOfClassroom(eventId, classroomId);
  }

  /**
   * Only the count changes: rooms gather the counts into one push per interval
   * (a popular question is upvoted by hundreds of classrooms at once).
   */
  async upvote(eventId: string, classroomId: string, questionId: string): Promise<Question> {
    const question = await this.#store.upvote(eventId, questionId, classroomId);
    this.#publish({ kind: 'question.upvoted', eventId, question });
    return question;
  }

  async moderate(eventId: string, actor: Actor, input: ModerateQuestion): Promise<Question> {
    const changes = await this.#store.moderate(eventId, actor, input);
    this.#log.info(
      { eventId, questionId: input.questionId, action: input.action, actor: actor.role },
      'question moderated',
    );
    for (const change of changes) {
      this.#publish({ kind: 'question.updated', eventId, ...change });
      this.observer.emit('moderated', change);
    }
    const own = changes.find((c) => c.question.id === input.questionId);
    if (!own) throw new AppError('INTERNAL', 'moderated question vanished');
    return own.question;
  }

  async reorder(eventId: string, actor: Actor, orderedIds: string[]): Promise<Question[]> {
    const ranks = await this.#store.reorder(eventId, actor, orderedIds);
    this.#log.info({ eventId, count: orderedIds.length }, 'questions reordered');
    this.#publish({ kind: 'questions.reordered', eventId, ranks });
    return this.#store.list(eventId, { statuses: QUEUE_STATUSES });
  }

  /**
   * The event's whole queue as bus messages, read from PostgreSQL: what a room
   * re-delivers after a bus gap (each member gets the questions it may see).
   */
  async restate(eventId: string): Promise<BusMessage[]> {
    const questions = await this.#store.list(eventId);
    return questions.map((question) => ({
      kind: 'question.updated',
      eventId,
      question,
      previousStatus: question.status,
    }));
  }

  /** Not awaited: the change is committed, the fan-out follows (in publishing order). */
  #publish(message: BusMessage): void {
    this.#bus.publish(message).catch((err: unknown) => {
      this.#log.error({ err, kind: message.kind, eventId: message.eventId }, 'bus publish failed');
    });
  }
}
