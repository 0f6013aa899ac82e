import type {
  EventName,
  JoinResult,
  Question,
  QuestionCategory,
  RequestData,
  RequestResult,
  RequestType,
  ServerEvent,
} from '@amphi/protocol';
import { Emitter } from './Emitter.ts';
import { SignalingError } from './errors.ts';
import { type LiveView, reduceLive, viewFromJoin } from './LiveSessionState.ts';
import type {
  LiveSessionEvents,
  LiveSessionOptions,
  LiveSnapshot,
  MediaView,
  OutgoingQuestion,
} from './LiveSessionTypes.ts';
import { type LocalProducer, MediaClient, type ProduceOptions } from './MediaClient.ts';
import { SignalingClient } from './SignalingClient.ts';

/** Errors after which the same request may simply be sent again once the line is back. */
const NETWORK_CODES: ReadonlySet<string> = new Set(['DISCONNECTED', 'TIMEOUT']);
/** Sent questions kept in the outbox (the form shows the last ones). */
const OUTBOX_KEEP = 20;

/** A session's snapshot before its first `join` (also what an app shows before it has a session). */
export const CONNECTING_SNAPSHOT: LiveSnapshot = Object.freeze<LiveSnapshot>({
  link: { status: 'connecting', attempt: 0, nextRetryAt: null, error: null },
  fatal: null,
  view: null,
  quality: null,
  media: { available: true, error: null, remotes: [], audioOnly: false },
  upvoted: new Set<string>(),
  outbox: [],
  closed: false,
});

function asSignalingError(err: unknown): SignalingError {
  return err instanceof SignalingError ? err : new SignalingError('INTERNAL', String(err));
}

function randomKey(): string {
  return globalThis.crypto.randomUUID().replace(/-/g, '');
}

/**
 * One participant's live session in an event, for every app (studio, console,
 * classroom, tools): the signaling link and media, the event's live state as
 * this role sees it (protocol's rules), and what the user sends: questions
 * written while the line is down are queued and leave by themselves once it is
 * back. Created, `connect()`ed, `close()`d; a closed session says so (`closed`).
 * Its state is one immutable `snapshot`, a new value on each `change`.
 */
export class LiveSession extends Emitter<LiveSessionEvents> {
  readonly signaling: SignalingClient;
  /** null for a session without media (`media: false`). */
  readonly media: MediaClient | null;
  readonly options: LiveSessionOptions;
  #snapshot: LiveSnapshot;
  #closed = false;
  #flushing: Promise<void> | null = null;
  #stageProducers: LocalProducer[] = [];
  #stageTracks: MediaStreamTrack[] = [];
  readonly #unsubscribe: (() => void)[] = [];

  constructor(options: LiveSessionOptions) {
    super();
    this.options = options;
    this.signaling = new SignalingClient({
      ...options.signaling,
      baseUrl: options.baseUrl,
      eventId: options.eventId,
      token: options.token,
    });
    this.media = options.media === false ? null : new MediaClient(this.signaling, options.media);
    this.#snapshot = { ...CONNECTING_SNAPSHOT, link: this.signaling.statusInfo };
    const s = this.signaling;
    this.#unsubscribe.push(
      s.on('status', (link) => {
        const fatal = link.status === 'closed' && link.error ? link.error : this.#snapshot.fatal;
        this.#set({ link, fatal });
        if (fatal) this.#failQueued(fatal);
      }),
      s.on('joined', (join) => this.#onJoined(join)),
      s.on('event', (event: EventName, data: unknown) => {
        this.#apply({ event, data } as ServerEvent);
      }),
    );
    const m = this.media;
    if (m) {
      this.#unsubscribe.push(
        m.on('remotes', (remotes) => this.#setMedia({ remotes })),
        m.on('quality', (quality) => this.#set({ quality })),
        m.on('ready', () => this.#setMedia({ available: true, error: null })),
        m.on('error', (err) => {
          const code = err instanceof SignalingError ? err.code : err.message;
          this.#setMedia(
            code === 'MEDIA_UNAVAILABLE' ? { available: false, error: code } : { error: code },
          );
        }),
      );
    }
  }

  get snapshot(): LiveSnapshot {
    return this.#snapshot;
  }

  /** The live state as of now (null before the first join). */
  get view(): LiveView | null {
    return this.#snapshot.view;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Opens the link, joins, starts media. Resolves with the first view; keeps
   * retrying while the network is down; rejects only when refused for good
   * (the snapshot's `fatal` says why as well).
   */
  async connect(): Promise<LiveView> {
    if (this.#closed) throw new SignalingError('CLOSED', 'the session is closed');
    const join = await this.signaling.connect();
    if (this.media) {
      await this.media.start(join).catch((err: unknown) => {
        // Told through the media's 'error' too; a cut line is set up again on reconnection.
        if (asSignalingError(err).code !== 'DISCONNECTED') this.#setMedia({ available: false });
      });
    }
    return this.#snapshot.view ?? viewFromJoin(join);
  }

  /** Ends the session: media, stage turn and link closed; nothing is sent afterwards. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const off of this.#unsubscribe.splice(0)) off();
    this.#endStageMedia();
    this.media?.close();
    this.signaling.close();
    this.#set({ closed: true, link: this.signaling.statusInfo });
    this.emit('close');
    this.removeAllListeners();
  }

  /**
   * Sends a request; what its answer says of the live state (a moderated
   * question, the stage, a hand…) is applied at once, before the push arrives.
   */
  async request<T extends RequestType>(type: T, data: RequestData<T>): Promise<RequestResult<T>> {
    const result = await this.signaling.request(type, data);
    this.#applyResult(type, result);
    return result;
  }

  /**
   * Asks a question. Resolves with its outbox entry once it is sent, queued
   * (the line is down: it leaves by itself when the session is back) or
   * refused (`failed`, with the error); follow it in `snapshot.outbox`.
   */
  async ask(text: string, category: QuestionCategory): Promise<OutgoingQuestion> {
    const key = (this.options.newKey ?? randomKey)();
    const entry: OutgoingQuestion = {
      key,
      text,
      category,
      status: 'queued',
      question: null,
      error: null,
    };
    this.#set({ outbox: [...this.#snapshot.outbox, entry] });
    if (this.#closed) this.#updateEntry(key, { status: 'failed', error: closedError() });
    else await this.#flush();
    return this.#snapshot.outbox.find((e) => e.key === key) ?? entry;
  }

  /** Upvotes a question of the queue (once: a second upvote is remembered, not an error). */
  async upvote(questionId: string): Promise<void> {
    try {
      await this.request('question.upvote', { questionId });
    } catch (err) {
      if (!(err instanceof SignalingError && err.code === 'ALREADY_UPVOTED')) throw err;
    }
    this.#set({ upvoted: new Set([...this.#snapshot.upvoted, questionId]) });
  }

  /** A classroom raises or lowers its own hand. */
  async setHand(raised: boolean): Promise<void> {
    if (raised) {
      await this.request('hand.raise', {});
      return;
    }
    await this.request('hand.lower', {});
    const classroomId = this.#snapshot.view?.self.classroomId;
    if (classroomId) {
      this.#apply({ event: 'hand.updated', data: { classroomId, raised: false, hand: null } });
    }
  }

  /**
   * A classroom's answer to the stage invitation. Accepting sends `tracks`
   * (the previewed camera and microphone) for the turn; the session owns them
   * from then on and stops them when the turn ends. Declining stops them.
   */
  async respondStage(accept: boolean, tracks: MediaStreamTrack[] = []): Promise<void> {
    let live = false;
    try {
      const { stage } = await this.request('stage.respond', { accept });
      live = accept && stage !== null;
    } finally {
      if (!live) for (const t of tracks) t.stop();
    }
    if (!live) return;
    this.#stageTracks.push(...tracks);
    for (const track of tracks) {
      const producer = await this.produce(track, { source: 'stage', simulcast: false });
      this.#stageProducers.push(producer);
    }
    // The turn may have ended while the camera was being set up.
    if (!this.#snapshot.view?.stage) this.#endStageMedia();
  }

  /** A classroom leaves the stage (its camera stops at once). */
  async leaveStage(): Promise<void> {
    this.#endStageMedia();
    this.#apply({ event: 'stage.updated', data: { stage: null } });
    await this.request('stage.leave', {});
  }

  /** Weak network: the speakers' voices alone (or video again). */
  async setAudioOnly(audioOnly: boolean): Promise<void> {
    if (!this.media) return;
    await this.media.setAudioOnly(audioOnly);
    this.#setMedia({ audioOnly });
  }

  /** Sends a track (a speaker's camera or screen, a classroom's stage camera). */
  produce(track: MediaStreamTrack, options: ProduceOptions): Promise<LocalProducer> {
    if (!this.media)
      return Promise.reject(new SignalingError('CLOSED', 'this session has no media'));
    return this.media.produce(track, options);
  }

  /** Skips the reconnection's back-off wait ("retry now", the browser is online again). */
  retryNow(): void {
    this.signaling.retryNow();
  }

  #set(patch: Partial<LiveSnapshot>): void {
    this.#snapshot = { ...this.#snapshot, ...patch };
    this.emit('change', this.#snapshot);
  }

  #setMedia(patch: Partial<MediaView>): void {
    this.#set({ media: { ...this.#snapshot.media, ...patch } });
  }

  #onJoined(join: JoinResult): void {
    const view = viewFromJoin(join);
    this.#set({
      view,
      media: { ...this.#snapshot.media, available: join.routerRtpCapabilities !== null },
    });
    if (!view.stage) this.#endStageMedia();
    void this.#flush();
  }

  /** A push (or what an answer implies) applied to the view. */
  #apply(message: ServerEvent): void {
    const before = this.#snapshot.view;
    if (!before) return;
    const view = reduceLive(before, message);
    if (view === before) return;
    this.#set({ view });
    // The class's turn is over (ended by the moderator, or by a new join state).
    if (before.stage && !view.stage) this.#endStageMedia();
  }

  #applyResult(type: RequestType, result: unknown): void {
    const r = result as Record<string, unknown>;
    switch (type) {
      case 'question.submit':
      case 'question.upvote':
      case 'question.moderate':
        this.#apply({ event: 'question.updated', data: r.question as Question });
        return;
      case 'question.reorder':
        for (const q of r.questions as Question[]) {
          this.#apply({ event: 'question.updated', data: q });
        }
        return;
      case 'hand.raise': {
        const hand = r.hand as RequestResult<'hand.raise'>['hand'];
        this.#apply({
          event: 'hand.updated',
          data: { classroomId: hand.classroomId, raised: true, hand },
        });
        return;
      }
      case 'stage.invite':
      case 'stage.respond':
        this.#apply({
          event: 'stage.updated',
          data: { stage: (r as RequestResult<'stage.respond'>).stage },
        });
        return;
      case 'presence.get':
        this.#apply({ event: 'presence.updated', data: r as RequestResult<'presence.get'> });
        return;
      default:
        return;
    }
  }

  #updateEntry(key: string, patch: Partial<OutgoingQuestion>): void {
    const outbox = this.#snapshot.outbox.map((e) => (e.key === key ? { ...e, ...patch } : e));
    // Keep what is not done yet, and the last sent or refused ones.
    const done = outbox.filter((e) => e.status === 'sent' || e.status === 'failed');
    const drop = new Set(done.slice(0, Math.max(0, done.length - OUTBOX_KEEP)).map((e) => e.key));
    this.#set({ outbox: outbox.filter((e) => !drop.has(e.key)) });
  }

  /** Sends the queued questions, in order, one at a time; one run at a time. */
  #flush(): Promise<void> {
    if (!this.#flushing) {
      this.#flushing = this.#drain().finally(() => {
        this.#flushing = null;
      });
    }
    return this.#flushing;
  }

  async #drain(): Promise<void> {
    for (;;) {
      if (this.#closed || this.signaling.status !== 'open') return;
      const next = this.#snapshot.outbox.find((e) => e.status === 'queued');
      if (!next) return;
      this.#updateEntry(next.key, { status: 'sending' });
      try {
        const { question } = await this.signaling.request('question.submit', {
          idempotencyKey: next.key,
          text: next.text,
          category: next.category,
        });
        this.#apply({ event: 'question.updated', data: question });
        this.#updateEntry(next.key, { status: 'sent', question, error: null });
      } catch (err) {
        const error = asSignalingError(err);
        if (NETWORK_CODES.has(error.code) && !this.#closed) {
          // The line went down on the way: it leaves again, same key, once the session is back.
          this.#updateEntry(next.key, { status: 'queued', error });
          return;
        }
        this.#updateEntry(next.key, { status: 'failed', error });
      }
    }
  }

  /** The session will not come back: what was waiting will not leave. */
  #failQueued(error: SignalingError): void {
    for (const e of this.#snapshot.outbox) {
      if (e.status === 'queued') this.#updateEntry(e.key, { status: 'failed', error });
    }
  }

  #endStageMedia(): void {
    for (const p of this.#stageProducers.splice(0)) void p.close();
    for (const t of this.#stageTracks.splice(0)) t.stop();
  }
}

function closedError(): SignalingError {
  return new SignalingError('CLOSED', 'the session is closed');
}
