import { EventEmitter } from 'node:events';
import {
  CloseCode,
  type ErrorBody,
  type EventData,
  type EventName,
  isRequestType,
  MAX_MESSAGE_BYTES,
  PROTOCOL_VERSION,
  type ProducerInfo,
  RequestEnvelope,
  type RequestId,
  type RequestResult,
  Requests,
  type RequestType,
  type ServerEvent,
} from '@amphi/protocol';
import type { WebSocket } from 'ws';
import { AppError, validationError } from '../errors.ts';
import type { EventRoom, RoomMember } from '../live/EventRoom.ts';
import { TokenBucket } from '../live/TokenBucket.ts';
import type { Logger } from '../logger.ts';
import type { MediaLoss, MediaParticipant } from '../rtc/MediaNode.ts';
import type { Handler, HandlerContext, Identity, Services } from './context.ts';
import { handlers } from './handlers/index.ts';
import { closeOwnProducer } from './handlers/media.ts';
import { isProducerPush, ProducerAnnouncements } from './ProducerAnnouncements.ts';

/** A socket whose outgoing buffer grows past this is too slow to follow the event. */
const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;
/**
 * How long a socket the server closes has to answer the close frame before it
 * is cut: a client that ignores the close would otherwise hold the connection
 * for ws's 30 s while writing as fast as it can.
 */
export const CLOSE_GRACE_MS = 1_000;

export type ParticipantSessionEvents = { close: [code: number, reason: string] };

/**
 * One participant's WebSocket: parses every message with the protocol's
 * schemas, checks the role, limits the rate, runs the handler and answers
 * exactly once per request. Bad input gets a precise error and the socket
 * stays usable; persistent abuse closes it with a reason. From the close on,
 * its messages are dropped unread, and it is cut if it has not gone after
 * CLOSE_GRACE_MS. Closing the session closes the participant's media.
 */
export class ParticipantSession
  extends EventEmitter<ParticipantSessionEvents>
  implements RoomMember
{
  readonly self: Identity;
  readonly #socket: WebSocket;
  readonly #services: Services;
  readonly #room: EventRoom;
  readonly #log: Logger;
  readonly #messages: TokenBucket;
  readonly #strikes: number[] = [];
  readonly #ctx: HandlerContext;
  #closed = false;
  /** When its upgrade request arrived (performance.now()): a join's latency counts from there. */
  readonly #acceptedAt: number;
  #joined = false;
  /** The server sent its close frame (with this code); set until the socket is gone. */
  #closing: { dropped: number; cut: ReturnType<typeof setTimeout>; code: number } | null = null;
  /** A newer socket of this participant resumed: the media is its now, and the presence. */
  #handedOver = false;
  /** Producers' openings and closings, told once each against the join state. */
  readonly #announcements = new ProducerAnnouncements((frame) => this.#send(frame));

  constructor(deps: {
    socket: WebSocket;
    self: Identity;
    services: Services;
    room: EventRoom;
    log: Logger;
    /** When the upgrade request arrived (performance.now()); the session's creation when absent. */
    acceptedAt?: number | undefined;
  }) {
    super();
    this.#acceptedAt = deps.acceptedAt ?? performance.now();
    this.self = deps.self;
    this.#socket = deps.socket;
    this.#services = deps.services;
    this.#room = deps.room;
    const { limits } = deps.services;
    this.#messages = new TokenBucket(limits.WS_MESSAGES_PER_SECOND, limits.WS_MESSAGE_BURST);
    this.#log = deps.log.child({
      eventId: this.self.eventId,
      participantId: this.self.participantId,
      role: this.self.role,
      classroomId: this.self.classroomId ?? undefined,
    });
    const media: MediaParticipant = {
      eventId: this.self.eventId,
      participantId: this.self.participantId,
      role: this.self.role,
      classroomId: this.self.classroomId,
      name: this.self.name,
    };
    this.#ctx = {
      self: this.self,
      services: this.#services,
      room: this.#room,
      log: this.#log,
      media,
      producers: new Map<string, ProducerInfo>(),
      handOver: () => this.handOver(),
    };
    this.#socket.on('message', (raw, isBinary) => this.#onMessage(raw, isBinary));
    this.#socket.on('close', (code, reason) => this.#onClosed(code, reason.toString()));
    this.#socket.on('error', (err) => this.#log.warn({ err: err.message }, 'socket error'));
  }

  // RoomMember
  get participantId(): string {
    return this.self.participantId;
  }
  get role() {
    return this.self.role;
  }
  get name(): string {
    return this.self.name;
  }
  get classroomId(): string | null {
    return this.self.classroomId;
  }
  get region(): string | null {
    return this.self.region;
  }
  get tokenId(): string {
    return this.self.tokenId;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Joins the room and greets the client. */
  start(): void {
    this.#room.add(this);
    this.push('welcome', {
      protocolVersion: PROTOCOL_VERSION,
      self: {
        participantId: this.self.participantId,
        role: this.self.role,
        name: this.self.name,
        eventId: this.self.eventId,
        classroomId: this.self.classroomId,
        speakerId: this.self.speakerId,
      },
    });
    this.#log.info(
      { tokenId: this.self.tokenId, region: this.self.region },
      'participant connected',
    );
  }

  push<E extends EventName>(event: E, data: EventData<E>): void {
    this.#send(JSON.stringify({ event, data }));
  }

  /** A push serialized once by the room for every member that sees it so. */
  sendFrame(frame: Buffer, push: ServerEvent): void {
    if (isProducerPush(push)) this.#announcements.offer(push, frame);
    else this.#send(frame);
  }

  get bufferedAmount(): number {
    return this.#socket.bufferedAmount;
  }

  stageEnded(): void {
    for (const [producerId, info] of this.#ctx.producers) {
      if (info.source === 'stage') {
        closeOwnProducer(this.#ctx, producerId).catch((err: unknown) =>
          this.#log.warn({ err, producerId }, 'closing stage producer failed'),
        );
      }
    }
  }

  /**
   * Its media was lost. A classroom whose node only went silent (`silent`: a
   * stalled process, its workers forwarding on) moves make-before-break, as
   * off a drained node, keeping the picture it has until the new one decodes
   * (a set-up anew blanked it 516 ms in Chromium). For a node truly dead the
   * new picture comes as soon either way; the client sets up anew if the
   * move fails. Anyone else sets its media up anew.
   */
  mediaLost(loss: MediaLoss = 'gone'): void {
    if (this.#closed) return;
    // Gone with the worker or the node; the media node announces each close.
    this.#ctx.producers.clear();
    if (loss === 'silent' && this.self.classroomId) {
      this.#log.warn('media node silent: asking the classroom to move to another');
      this.push('media.move', {
        reason: 'node_silent',
        message: 'the media server stopped answering: moving to another one',
      });
      return;
    }
    this.#log.warn('media lost with a worker: asking the client to set it up again');
    this.push('media.reconnect', {
      reason: 'media_lost',
      message: 'the media connection was lost: reconnecting',
    });
  }

  /**
   * A newer socket of this participant resumed its media (on this instance):
   * this one leaves the room now, so that the newer one takes its place, and
   * closes without touching the media or the stage.
   */
  handOver(): void {
    if (this.#closed || this.#handedOver) return;
    this.#handedOver = true;
    this.#room.remove(this);
    this.close(CloseCode.RESUMED_ELSEWHERE, 'a newer connection resumed this participant');
  }

  close(code: number = CloseCode.GOING_AWAY, reason = 'closing'): void {
    if (this.#closed || this.#closing) return;
    this.#log.info({ code, reason }, 'closing participant socket');
    const cut = setTimeout(() => {
      if (this.#closed) return;
      this.#log.warn(
        { dropped: this.#closing?.dropped ?? 0, graceMs: CLOSE_GRACE_MS },
        'cutting a socket that ignored the close',
      );
      this.#socket.terminate();
    }, CLOSE_GRACE_MS);
    cut.unref();
    this.#closing = { dropped: 0, cut, code };
    this.#socket.close(code, reason.slice(0, 120));
    // The 'close' event from the socket finishes the cleanup.
  }

  /** One text message: a string, or the UTF-8 bytes of one. */
  #send(text: string | Buffer): void {
    if (this.#closed || this.#socket.readyState !== this.#socket.OPEN) return;
    if (this.#socket.bufferedAmount > MAX_BUFFERED_BYTES) {
      this.close(4009, 'connection too slow to follow the event');
      return;
    }
    this.#socket.send(text, { binary: false });
  }

  #reply(id: RequestId | null, result: unknown): void {
    this.#send(JSON.stringify({ id, ok: true, result }));
  }

  #fail(id: RequestId | null, error: ErrorBody): void {
    this.#services.metrics?.rejected(error.code);
    this.#send(JSON.stringify({ id, ok: false, error }));
  }

  /** Counts a bad or excessive message; too many in the window closes the socket. */
  #strike(): void {
    const { ABUSE_MAX_STRIKES, ABUSE_WINDOW_MS } = this.#services.limits;
    const now = Date.now();
    this.#strikes.push(now);
    while (this.#strikes.length > 0 && (this.#strikes[0] as number) < now - ABUSE_WINDOW_MS) {
      this.#strikes.shift();
    }
    if (this.#strikes.length > ABUSE_MAX_STRIKES) {
      this.#log.warn({ strikes: this.#strikes.length }, 'closing abusive socket');
      this.push('error', {
        code: 'RATE_LIMITED',
        message: 'too many invalid or excessive messages: connection closed',
      });
      this.close(CloseCode.POLICY_VIOLATION, 'too many invalid or excessive messages');
    }
  }

  #onMessage(raw: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): void {
    if (this.#closed) return;
    if (this.#closing) {
      // Not read, not answered, not logged one by one: counted for the disconnect line.
      this.#closing.dropped++;
      return;
    }
    const size = Array.isArray(raw)
      ? raw.reduce((n, b) => n + b.length, 0)
      : raw instanceof ArrayBuffer
        ? raw.byteLength
        : raw.length;
    if (size > MAX_MESSAGE_BYTES) {
      this.#strike();
      this.#fail(null, {
        code: 'MESSAGE_TOO_LARGE',
        message: `messages are limited to ${MAX_MESSAGE_BYTES} bytes (got ${size})`,
      });
      return;
    }
    if (isBinary) {
      this.#strike();
      this.#fail(null, {
        code: 'INVALID_MESSAGE',
        message: 'binary messages are not supported',
      });
      return;
    }
    const text = Array.isArray(raw)
      ? Buffer.concat(raw).toString('utf8')
      : Buffer.from(raw as Buffer).toString('utf8');
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      this.#strike();
      this.#fail(null, { code: 'INVALID_JSON', message: 'message is not valid JSON' });
      return;
    }
    const envelope = RequestEnvelope.safeParse(json);
    const roughId = readId(json);
    if (!this.#messages.take('socket')) {
      this.#strike();
      this.#fail(roughId, {
        code: 'RATE_LIMITED',
        message: 'too many messages: slow down',
      });
      return;
    }
    if (!envelope.success) {
      this.#strike();
      this.#fail(roughId, validationError('', envelope.error).toBody());
      return;
    }
    const { id, type, data } = envelope.data;
    if (!isRequestType(type)) {
      this.#strike();
      this.#fail(id, {
        code: 'UNKNOWN_TYPE',
        message: `unknown request type '${type.slice(0, 64)}'`,
      });
      return;
    }
    this.#dispatch(id, type, data).catch((err: unknown) => {
      this.#log.error({ err, type }, 'request dispatch failed');
    });
  }

  async #dispatch<T extends RequestType>(id: RequestId, type: T, rawData: unknown): Promise<void> {
    const handler = handlers[type] as unknown as Handler<T>;
    if (!handler.roles.includes(this.self.role)) {
      this.#strike();
      this.#fail(id, {
        code: 'FORBIDDEN',
        message: `a ${this.self.role} cannot send '${type}'`,
      });
      return;
    }
    const parsed = Requests[type].data.safeParse(rawData ?? {});
    if (!parsed.success) {
      this.#strike();
      this.#fail(id, validationError('data', parsed.error).toBody());
      return;
    }
    const started = performance.now();
    if (type === 'join') this.#announcements.joining();
    try {
      const result = await handler.handle(this.#ctx, parsed.data as never);
      this.#reply(id, result);
      if (type === 'join') {
        this.#announcements.joined((result as RequestResult<'join'>).state.producers);
      }
      if (type === 'join' && !this.#joined) {
        this.#joined = true;
        this.#services.metrics?.joined(
          this.self.role,
          (performance.now() - this.#acceptedAt) / 1000,
        );
      }
      this.#log.debug({ type, ms: Math.round(performance.now() - started) }, 'request done');
    } catch (err) {
      if (type === 'join') this.#announcements.failed();
      if (err instanceof AppError) {
        this.#fail(id, err.toBody());
        if (err.code === 'RATE_LIMITED') this.#strike();
        return;
      }
      this.#log.error({ err, type }, 'request failed');
      this.#fail(id, { code: 'INTERNAL', message: 'internal error: the request was not applied' });
    }
  }

  /**
   * Whether the participant is gone for good, its media to be closed now: the
   * client left, or the server ended the socket for a reason other than its
   * own shutdown (removed, revoked, abusive, too slow).
   */
  #left(code: number): boolean {
    if (this.#closing) return this.#closing.code !== CloseCode.GOING_AWAY;
    return LEAVING_CODES.has(code);
  }

  #onClosed(code: number, reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    const dropped = this.#closing?.dropped ?? 0;
    if (this.#closing) clearTimeout(this.#closing.cut);
    this.#ctx.producers.clear();
    const media = this.#handedOver ? 'handed over' : this.#left(code) ? 'closed' : 'detached';
    if (!this.#handedOver) {
      this.#room.remove(this);
      const { media: node } = this.#services;
      (media === 'closed'
        ? node.closeParticipant(this.#ctx.media)
        : node.detachParticipant(this.#ctx.media)
      ).catch((err: unknown) =>
        this.#log.warn({ err, media }, 'releasing participant media failed'),
      );
      if (this.self.role === 'classroom' && this.self.classroomId) {
        this.#services.stage.classroomDisconnected(this.self.eventId, this.self.classroomId);
      }
    }
    this.#log.info(
      dropped > 0 ? { code, reason, dropped, media } : { code, reason, media },
      'participant disconnected',
    );
    this.emit('close', code, reason);
  }
}

/**
 * Close codes a client sends when it leaves on purpose (the sdk's close(), a
 * tab closed or navigated away, a bare close frame): its media goes with it.
 * Any other end (no close frame: a cut line, a dead instance's balancer; the
 * sdk's 4000 for a heartbeat lost) keeps the media for a resume.
 */
const LEAVING_CODES: ReadonlySet<number> = new Set([1000, 1001, 1005]);

/** The request id of a message that failed validation, when it has a usable one. */
function readId(json: unknown): RequestId | null {
  if (typeof json !== 'object' || json === null || !('id' in json)) return null;
  const id = (json as { id: unknown }).id;
  if (typeof id === 'string' && id.length > 0 && id.length <= 64) return id;
  if (typeof id === 'number' && Number.isSafeInteger(id) && id >= 0) return id;
  return null;
}
