import type { Bus } from '../bus/Bus.ts';
import type { Logger } from '../logger.ts';
import type { Identity } from './context.ts';
import type { ParticipantSession } from './ParticipantSession.ts';

/**
 * This instance's signaling sessions, and who steps aside when a participant
 * resumes. A resumed socket takes over its participant: an older socket of it
 * still open here is handed over at once; one still open on another instance
 * (its line half dead, its silence timeout not reached) hears of the resume
 * through the bus (`participant.resumed`) and is handed over there. Handed
 * over, a socket leaves presence and closes with RESUMED_ELSEWHERE, touching
 * neither the media nor the stage, which are the newer socket's now: the class
 * is never listed twice for longer than the bus takes.
 */
export class SignalingSessions {
  readonly #bus: Bus;
  readonly #log: Logger;
  /** Each open session, and when it was accepted (ms since the epoch). */
  readonly #sessions = new Map<ParticipantSession, number>();
  readonly #unsubscribe: () => void;

  constructor(deps: { bus: Bus; log: Logger }) {
    this.#bus = deps.bus;
    this.#log = deps.log;
    this.#unsubscribe = this.#bus.subscribe((msg) => {
      if (msg.kind !== 'participant.resumed' || msg.instanceId === this.#bus.instanceId) return;
      // Only sockets older than the resume: a still newer one here is the client's latest.
      this.#handOver(msg.eventId, msg.participantId, msg.at);
    });
  }

  get size(): number {
    return this.#sessions.size;
  }

  values(): IterableIterator<ParticipantSession> {
    return this.#sessions.keys();
  }

  /**
   * A new session; when it resumed its participant, the older sockets of it
   * step aside: here at once, elsewhere when the bus tells their instance.
   */
  add(session: ParticipantSession): void {
    const { self } = session;
    const at = Date.now();
    if (self.resume?.status === 'verified') this.#resumed(self, at);
    this.#sessions.set(session, at);
  }

  delete(session: ParticipantSession): void {
    this.#sessions.delete(session);
  }

  /** Stops hearing of resumes elsewhere; the sessions are closed by their owner. */
  close(): void {
    this.#unsubscribe();
  }

  #resumed(self: Identity, at: number): void {
    this.#handOver(self.eventId, self.participantId, at);
    this.#bus
      .publish({
        kind: 'participant.resumed',
        eventId: self.eventId,
        participantId: self.participantId,
        instanceId: this.#bus.instanceId,
        at,
      })
      .catch((err: unknown) =>
        this.#log.warn(
          { err, eventId: self.eventId, participantId: self.participantId },
          'resume publish failed: an older socket elsewhere ends at its silence timeout',
        ),
      );
  }

  #handOver(eventId: string, participantId: string, before: number): void {
    for (const [older, at] of this.#sessions) {
      if (at > before) continue;
      if (older.self.participantId === participantId && older.self.eventId === eventId) {
        older.handOver();
      }
    }
  }
}
