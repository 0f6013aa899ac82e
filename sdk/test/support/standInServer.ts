import type { AddressInfo } from 'node:net';
import {
  type JoinResult,
  type ProducerInfo,
  type Question,
  RtpCapabilities,
  type Self,
} from '@amphi/protocol';
import { testFakeParameters } from 'mediasoup-client';
import WebSocket, { WebSocketServer } from 'ws';

import { CLASSROOM_ID, classroomSelf, EVENT_ID, joinResultFor } from './joinFixtures.ts';

export { CLASSROOM_ID, EVENT_ID } from './joinFixtures.ts';

/**
 * A stand-in control-api for one classroom, speaking the protocol's envelope:
 * welcome, join, ping, question.submit (stored once per idempotency key, as
 * the real store does), hand.raise/lower. Its line can be cut (`cut()`: the
 * socket goes and new ones are refused until `restore()`). With
 * `resumeTokens`, each join gives a resume token and a socket that presented
 * one is told its media was resumed (protocol/resume.ts). With `media`, it
 * offers a media plane as mediasoup-client's FakeHandler takes it (a relay,
 * a speaker's voice to receive; transports that never connect by themselves).
 */
export class StandInServer {
  readonly sockets: WebSocket[] = [];
  /** Each socket's request URL, in order (its join token, a resume token). */
  readonly urls: string[] = [];
  /** Every request's type, in order, across sockets. */
  readonly requests: string[] = [];
  /** Every question.submit received, in order (retries included). */
  readonly submits: { idempotencyKey: string; text: string }[] = [];
  /** Questions stored, by idempotency key. */
  readonly stored = new Map<string, Question>();
  joins = 0;
  /** Answer pings (false: the server looks gone while the socket stays open). */
  answerPings = true;
  /** Receive the next submit, store it, and lose the answer with the line. */
  loseNextSubmitAnswer = false;
  /** Give a resume token with each join: `resumeTokenOf(n)` for the nth socket (from 1). */
  resumeTokens = false;
  /** The next joins are refused with these errors, in order (a cluster re-placing, a timeout). */
  readonly refuseJoins: { code: string; message: string }[] = [];
  /** Offer media: router capabilities, a relay and the speaker's voice (see FakeHandler). */
  media = false;
  /** The next media.createTransport are refused with these errors, in order (a media node under load). */
  readonly refuseTransports: { code: string; message: string }[] = [];
  /** The producers a join announces with media (empty: the speaker has not published yet). */
  readonly producers: ProducerInfo[] = [SPEAKER_VOICE];
  /** The next media.consume are refused with these errors, in order (unanswered, a producer not yet known). */
  readonly refuseConsumes: { code: string; message: string }[] = [];
  /** The next media.resumeConsumer are refused with these errors, in order. */
  readonly refuseResumes: { code: string; message: string }[] = [];
  #down = false;
  #server: WebSocketServer;
  #n = 0;

  private constructor(server: WebSocketServer) {
    this.#server = server;
    server.on('connection', (socket, req) => this.#onConnection(socket, req.url ?? ''));
  }

  static async start(): Promise<StandInServer> {
    const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    return new StandInServer(server);
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  readonly self: Self = classroomSelf();

  joinResult(): JoinResult {
    const join = joinResultFor(this.self, [...this.stored.values()]);
    if (!this.media) return join;
    return {
      ...join,
      state: { ...join.state, producers: [...this.producers] },
      // As the protocol carries them (what the client is given).
      routerRtpCapabilities: RtpCapabilities.parse(
        testFakeParameters.generateRouterRtpCapabilities(),
      ),
      iceServers: [
        { urls: ['turns:turn.example.org:443?transport=tcp'], username: 'u', credential: 'c' },
      ],
    };
  }

  resumeTokenOf(n: number): string {
    return `${this.self.participantId}.${String(n).padStart(43, 'A')}`;
  }

  /** The line is cut: the open socket goes silently, new ones are dropped at once. */
  cut(): void {
    this.#down = true;
    for (const s of this.sockets) s.terminate();
  }

  restore(): void {
    this.#down = false;
  }

  push(event: string, data: unknown): void {
    for (const s of this.sockets) {
      if (s.readyState === WebSocket.OPEN) s.send(JSON.stringify({ event, data }));
    }
  }

  close(): void {
    for (const s of this.sockets) s.terminate();
    this.#server.close();
  }

  #onConnection(socket: WebSocket, url: string): void {
    if (this.#down) {
      socket.terminate();
      return;
    }
    this.sockets.push(socket);
    this.urls.push(url);
    const n = this.urls.length;
    const presented = new URL(url, 'http://x').searchParams.get('resume');
    socket.send(
      JSON.stringify({ event: 'welcome', data: { protocolVersion: 1, self: this.self } }),
    );
    socket.on('message', (raw) => {
      const { id, type, data } = JSON.parse(raw.toString()) as {
        id: number;
        type: string;
        data: Record<string, unknown>;
      };
      this.requests.push(type);
      const ok = (result: unknown) => socket.send(JSON.stringify({ id, ok: true, result }));
      const fail = (code: string, message: string) =>
        socket.send(JSON.stringify({ id, ok: false, error: { code, message } }));
      switch (type) {
        case 'join':
          this.joins++;
          {
            const refusal = this.refuseJoins.shift();
            if (refusal) return fail(refusal.code, refusal.message);
          }
          if (!this.resumeTokens) return ok(this.joinResult());
          return ok({
            ...this.joinResult(),
            resume: {
              token: this.resumeTokenOf(n),
              media: presented
                ? {
                    status: 'resumed',
                    media: { transports: [], producerIds: [], consumerIds: [] },
                  }
                : null,
            },
          });
        case 'ping':
          if (this.answerPings) ok({ now: Date.now() });
          return;
        case 'media.createTransport': {
          if (!this.media) return fail('UNKNOWN_TYPE', type);
          const refusal = this.refuseTransports.shift();
          if (refusal) return fail(refusal.code, refusal.message);
          const { id, iceParameters, iceCandidates, dtlsParameters } =
            testFakeParameters.generateTransportRemoteParameters();
          return ok({
            transportId: id,
            direction: data.direction,
            iceParameters,
            iceCandidates,
            dtlsParameters,
          });
        }
        case 'media.consume': {
          if (!this.media) return fail('UNKNOWN_TYPE', type);
          const refusal = this.refuseConsumes.shift();
          if (refusal) return fail(refusal.code, refusal.message);
          const { id, kind, rtpParameters } = testFakeParameters.generateConsumerRemoteParameters({
            codecMimeType: 'audio/opus',
          });
          return ok({
            consumerId: id,
            producerId: data.producerId,
            kind,
            rtpParameters,
            paused: true,
          });
        }
        case 'media.resumeConsumer': {
          const refusal = this.media ? this.refuseResumes.shift() : undefined;
          if (refusal) return fail(refusal.code, refusal.message);
          return this.media ? ok({}) : fail('UNKNOWN_TYPE', type);
        }
        case 'media.connectTransport':
        case 'media.setAudioOnly':
        case 'media.closeTransport':
        case 'media.close':
          return this.media ? ok({}) : fail('UNKNOWN_TYPE', type);
        case 'question.submit': {
          const { idempotencyKey, text, category } = data as {
            idempotencyKey: string;
            text: string;
            category: Question['category'];
          };
          this.submits.push({ idempotencyKey, text });
          if (text === 'refuse me') return fail('VALIDATION_FAILED', 'text: not allowed');
          const existing = this.stored.get(idempotencyKey);
          const question = existing ?? this.#question(text, category);
          this.stored.set(idempotencyKey, question);
          if (this.loseNextSubmitAnswer) {
            this.loseNextSubmitAnswer = false;
            this.cut();
            return;
          }
          return ok({ question, duplicate: existing !== undefined });
        }
        case 'hand.raise':
          return ok({
            hand: {
              classroomId: CLASSROOM_ID,
              classroomName: '4e B',
              raisedAt: new Date().toISOString(),
            },
          });
        case 'hand.lower':
          return ok({});
        case 'question.upvote':
          return fail('ALREADY_UPVOTED', 'already upvoted');
        default:
          return fail('UNKNOWN_TYPE', type);
      }
    });
  }

  #question(text: string, category: Question['category']): Question {
    this.#n++;
    const now = new Date().toISOString();
    return {
      id: `7f0b8a52-7b1c-4b55-9a57-${String(this.#n).padStart(12, '0')}`,
      eventId: EVENT_ID,
      classroomId: CLASSROOM_ID,
      classroomName: '4e B',
      text,
      category,
      status: 'pending',
      mergedIntoId: null,
      pinned: false,
      rank: null,
      upvotes: 0,
      askedBeforeEvent: false,
      createdAt: now,
      updatedAt: now,
    };
  }
}

/** The speaker's voice a media stand-in offers to receive. */
export const SPEAKER_VOICE: ProducerInfo = {
  producerId: 'speaker-voice',
  participantId: 'speaker',
  role: 'speaker',
  kind: 'audio',
  source: 'camera',
  classroomId: null,
  name: 'Intervenante',
};
