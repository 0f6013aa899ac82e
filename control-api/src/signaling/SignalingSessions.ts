import type { Bus } from '../bus/Bus.ts';
import type { Logger } from '../logger.ts';
import type { ParticipantSession } from './ParticipantSession.ts';
import type { ResumeGenerations } from './ResumeGenerations.ts';

/**
 * This instance's signaling sessions, and who steps aside when a participant
 * resumes. A resumed socket takes over its participant: an older socket of it
 * still open here is handed over at once; one still open on another instance
 * (its line half dead, its silence timeout not reached) hears of the resume
 * through the bus (`participant.resumed`) and is handed over there. Handed
 * over, a socket leaves presence and closes with RESUMED_ELSEWHERE, touching
 * neither the media nor the stage, which are the newer socket's now: the class
 * is never listed twice for longer than the bus takes.
 *
 * Older is told by generation (ResumeGenerations: drawn in Redis by each
 * resume, a first socket 0), not by when each instance accepted its socket:
 * two hosts' clocks 30 s apart kept the stale socket open. A resumed socket
 * is handed over too when a newer generation was heard before its own was
 * drawn. The generation goes with the socket's adoption of the media
 * (`ResumeClaim.generation`): the media node refuses an older one's
 * (RESUME_SUPERSEDED), so two resumes racing leave the media with the newest.
 */
export class SignalingSessions {
  readonly #bus: Bus;
  readonly #log: Logger;
  readonly #generations: ResumeGenerations;
  readonly #sessions = new Set<ParticipantSession>();
  /**
   * Each participant with a session here (`eventId/participantId`): its
   * sessions with their generation (null while a resumed one's is drawn), and
   * the newest generation heard of it.
   */
  readonly #participants = new Map<
    string,
    { sessions: Map<ParticipantSession, number | null>; newest: number }
  >();
  readonly #unsubscribe: () => void;

  constructor(deps: { bus: Bus; log: Logger; generations: ResumeGenerations }) {
    this.#bus = deps.bus;
    this.#log = deps.log;
    this.#generations = deps.generations;
    this.#unsubscribe = this.#bus.subscribe((msg) => {
      if (msg.kind !== 'participant.resumed' || msg.instanceId === this.#bus.instanceId) return;
      this.#heard(keyOf(msg), msg.generation);
    });
  }

  get size(): number {
    return this.#sessions.size;
  }

  values(): IterableIterator<ParticipantSession> {
    return this.#sessions.values();
  }

  /**
   * A new session; when it resumed its participant, the older sockets of it
   * step aside once its generation is drawn: here at once, elsewhere when
   * the bus tells their instance. The drawn generation is the claim's, for
   * its adoption of the media (null: not drawn).
   */
  add(session: ParticipantSession): void {
    const claim = session.self.resume;
    const resumed = claim?.status === 'verified';
    const key = keyOf(session.self);
    let participant = this.#participants.get(key);
    if (!participant) {
      participant = { sessions: new Map(), newest: 0 };
      this.#participants.set(key, participant);
    }
    participant.sessions.set(session, resumed ? null : 0);
    this.#sessions.add(session);
    if (resumed) claim.generation = this.#resumed(session);
  }

  delete(session: ParticipantSession): void {
    this.#sessions.delete(session);
    const key = keyOf(session.self);
    const participant = this.#participants.get(key);
    participant?.sessions.delete(session);
    if (participant?.sessions.size === 0) this.#participants.delete(key);
  }

  /** Stops hearing of resumes elsewhere; the sessions are closed by their owner. */
  close(): void {
    this.#unsubscribe();
  }

  async #resumed(session: ParticipantSession): Promise<number | null> {
    const { eventId, participantId } = session.self;
    const key = keyOf(session.self);
    let generation: number;
    try {
      generation = await this.#generations.next(eventId, participantId);
    } catch (err) {
      // Without Redis the order across instances is unknown; here, the sockets
      // that came before this one are older (one host, one order).
      this.#log.warn(
        { err, eventId, participantId },
        'resume generation not drawn: older sockets elsewhere end at their silence timeout',
      );
      const participant = this.#participants.get(key);
      if (!participant?.sessions.has(session)) return null;
      for (const [older, g] of participant.sessions)
        if (older !== session && g !== null) older.handOver();
      participant.sessions.set(session, participant.newest);
      return null;
    }
    const participant = this.#participants.get(key);
    if (!participant?.sessions.has(session)) return generation;
    participant.sessions.set(session, generation);
    this.#heard(key, generation);
    this.#bus
      .publish({
        kind: 'participant.resumed',
        eventId,
        participantId,
        instanceId: this.#bus.instanceId,
        generation,
      })
      .catch((err: unknown) =>
        this.#log.warn(
          { err, eventId, participantId },
          'resume publish failed: an older socket elsewhere ends at its silence timeout',
        ),
      );
    return generation;
  }

  /** A socket of the participant is of `generation`: its sockets here of an older one step aside. */
  #heard(key: string, generation: number): void {
    const participant = this.#participants.get(key);
    if (!participant) return;
    participant.newest = Math.max(participant.newest, generation);
    for (const [session, g] of participant.sessions)
      if (g !== null && g < participant.newest) session.handOver();
  }
}

const keyOf = (who: { eventId: string; participantId: string }) =>
  `${who.eventId}/${who.participantId}`;
