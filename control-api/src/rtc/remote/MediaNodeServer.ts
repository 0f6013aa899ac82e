import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import {
  type ErrorCode,
  type MediaNodeArgs,
  MediaNodeCalls,
  type MediaNodeEvent,
  type MediaNodeMessage,
  type MediaNodeMethod,
  MediaNodeRequest,
} from '@amphi/protocol';
import { type WebSocket, WebSocketServer } from 'ws';
import { z } from 'zod';
import { AppError } from '../../errors.ts';
import type { Logger } from '../../logger.ts';
import { DEFAULT_SESSION_GRACE_MS } from '../InProcessMediaNode.ts';
import type { MediaNode, MediaParticipant } from '../MediaNode.ts';
import { reservationOf } from './MediaNodeRegistry.ts';
import type { NodePipes } from './NodePipes.ts';

export interface MediaNodeServerOptions {
  /** The media plane it serves (the in-process node over this host's workers). */
  media: MediaNode;
  /** The cluster's shared secret: control-api instances present it as a Bearer credential. */
  secret: string;
  host: string;
  /** 0 picks a free port. */
  port: number;
  log: Logger;
  /** Its pipes to other nodes' broadcasts (without: the node serves whole events only). */
  pipes?: NodePipes;
  /**
   * How long the media plane keeps a detached participant's media (its
   * MEDIA_SESSION_GRACE_MS; DEFAULT_SESSION_GRACE_MS when unset): counted in
   * the node's load meanwhile.
   */
  sessionGraceMs?: number;
}

/** Longer than any MEDIA_SESSION_GRACE_MS (its maximum is 120 s). */
const DETACHED_MEMORY_MS = 130_000;

/** A control-api instance's channel, and the participants it brought. */
interface Channel {
  socket: WebSocket;
  participants: Map<string, MediaParticipant>;
  events: Set<string>;
}

/**
 * A media node's control endpoint: one WebSocket per control-api instance,
 * each call of the `MediaNode` interface parsed by its schema and run on the
 * local media plane, and the plane's events sent back to the instance that
 * owns the participant concerned (an event's own news, such as its active
 * speaker, to one instance only: the bus tells the others).
 *
 * Who owns a participant's media: the channel that made it, until another
 * channel adopts it (a resumed socket, `adoptParticipant`). A channel that
 * closes (its control-api instance died or stopped) does not take its
 * participants' media with it: they are detached, their media flows on, and
 * their clients, reconnecting through another instance, adopt it there.
 * Cleanup of what nobody adopts is this node's own: the media plane closes a
 * detached participant after its grace (MEDIA_SESSION_GRACE_MS). A close or
 * detach from a channel that no longer owns the participant (an instance that
 * noticed its socket's end after the client resumed elsewhere) is ignored.
 */
export class MediaNodeServer {
  readonly #opts: MediaNodeServerOptions;
  readonly #http: Server;
  readonly #wss: WebSocketServer;
  readonly #channels = new Set<Channel>();
  readonly #detach: () => void;
  readonly #onRepiped = (eventId: string) => this.#loseEvent(eventId);
  /** Producers that came through a pipe: announced by the node where they were made. */
  readonly #piped = new Set<string>();
  /** Participants no channel owns (detached, within their grace), by participant id. */
  readonly #detached = new Map<string, MediaParticipant>();
  /**
   * When each was last detached (this process's monotonic ms, as the media
   * plane's grace timer runs: a wall clock stepped by NTP would shift it):
   * within its grace it counts in the load.
   */
  readonly #detachedAt = new Map<string, number>();
  /**
   * What the load has counted since the last heartbeat that reached the
   * registry (`reservationOf` each participant come on a channel): that
   * heartbeat ends their reservations.
   */
  readonly #arrived = new Set<string>();
  #closed = false;

  private constructor(opts: MediaNodeServerOptions) {
    this.#opts = opts;
    this.#http = createServer((_req, res) => {
      res.writeHead(426, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'INVALID_MESSAGE', message: 'WebSocket only' } }));
    });
    this.#wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });
    this.#http.on('upgrade', (req, socket, head) => {
      if (!this.#authorized(req)) {
        socket.end('HTTP/1.1 401 Unauthorized\r\nconnection: close\r\n\r\n');
        return;
      }
      this.#wss.handleUpgrade(req, socket, head, (ws) => this.#accept(ws));
    });
    const { media, pipes } = opts;
    type Announced = { eventId: string; producer: { participantId: string; producerId: string } };
    const forward = {
      produceradded: (data: Announced) => {
        if (pipes?.receives(data.eventId, data.producer.producerId)) {
          this.#piped.add(data.producer.producerId);
          return;
        }
        this.#send(
          { event: 'produceradded', data } as MediaNodeEvent,
          data.eventId,
          data.producer.participantId,
        );
      },
      producerclosed: (data: Announced) => {
        if (this.#piped.delete(data.producer.producerId)) return;
        this.#send(
          { event: 'producerclosed', data } as MediaNodeEvent,
          data.eventId,
          data.producer.participantId,
        );
      },
      participantlost: (who: MediaParticipant) =>
        this.#send({ event: 'participantlost', data: who }, who.eventId, who.participantId),
      participantjoined: (who: MediaParticipant) =>
        this.#send({ event: 'participantjoined', data: who }, who.eventId, who.participantId),
      // An edge hears the speakers through its pipe: the origin tells who talks.
      activespeaker: (data: { eventId: string; participantId: string }) => {
        if (!pipes?.isEdge(data.eventId))
          this.#send({ event: 'activespeaker', data }, data.eventId, null);
      },
    };
    media.on('produceradded', forward.produceradded);
    media.on('producerclosed', forward.producerclosed);
    media.on('participantlost', forward.participantlost);
    media.on('participantjoined', forward.participantjoined);
    media.on('activespeaker', forward.activespeaker);
    pipes?.on('repiped', this.#onRepiped);
    pipes?.on('upstreamlost', this.#onRepiped);
    this.#detach = () => {
      pipes?.off('repiped', this.#onRepiped);
      pipes?.off('upstreamlost', this.#onRepiped);
      media.off('produceradded', forward.produceradded);
      media.off('producerclosed', forward.producerclosed);
      media.off('participantlost', forward.participantlost);
      media.off('participantjoined', forward.participantjoined);
      media.off('activespeaker', forward.activespeaker);
    };
  }

  static async start(opts: MediaNodeServerOptions): Promise<MediaNodeServer> {
    const server = new MediaNodeServer(opts);
    await new Promise<void>((resolve, reject) => {
      server.#http.once('error', reject);
      server.#http.listen(opts.port, opts.host, () => resolve());
    });
    return server;
  }

  get port(): number {
    return (this.#http.address() as AddressInfo).port;
  }

  /**
   * Participants with media on this node: over every channel, and those
   * detached within their grace (their media flows on, and their resume lands
   * here: placement must not fill the node meanwhile). What the heartbeat
   * registers as `load`, which the registry's placement rule reads.
   */
  get load(): number {
    let n = 0;
    for (const c of this.#channels) n += c.participants.size;
    const graceMs = this.#opts.sessionGraceMs ?? DEFAULT_SESSION_GRACE_MS;
    const now = performance.now();
    for (const id of this.#detached.keys()) {
      if (now - (this.#detachedAt.get(id) ?? 0) < graceMs) n++;
    }
    return n;
  }

  /**
   * The heartbeat's figures, read at one instant: the load, and what it counts
   * that no heartbeat has said yet (its reservations end with this one). A
   * heartbeat that did not reach the registry gives `arrived` back (`unsaid`).
   */
  beat(): { load: number; arrived: string[] } {
    const arrived = [...this.#arrived];
    this.#arrived.clear();
    return { load: this.load, arrived };
  }

  /** A heartbeat that failed: the next one says what it counted. */
  unsaid(arrived: readonly string[]): void {
    for (const key of arrived) this.#arrived.add(key);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#detach();
    for (const c of this.#channels) c.socket.terminate();
    this.#wss.close();
    await new Promise<void>((resolve) => this.#http.close(() => resolve()));
  }

  #authorized(req: IncomingMessage): boolean {
    const given = Buffer.from(req.headers.authorization ?? '');
    const expected = Buffer.from(`Bearer ${this.#opts.secret}`);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  #accept(socket: WebSocket): void {
    const channel: Channel = { socket, participants: new Map(), events: new Set() };
    this.#channels.add(channel);
    const log = this.#opts.log;
    log.info({ channels: this.#channels.size }, 'control-api instance connected');
    socket.on('message', (raw) => {
      void this.#handle(channel, raw.toString());
    });
    socket.on('close', () => {
      this.#channels.delete(channel);
      this.#opts.pipes?.ownerGone(channel);
      log.info(
        { participants: channel.participants.size },
        'control-api instance gone: its participants detached, for their clients to resume',
      );
      for (const who of channel.participants.values()) this.#keepDetached(who);
    });
    socket.on('error', () => {});
  }

  async #handle(channel: Channel, text: string): Promise<void> {
    let id = 0;
    try {
      const json: unknown = JSON.parse(text);
      // Answered under its id even when the rest is wrong, so the caller's wait ends.
      const rough = (json as { id?: unknown } | null)?.id;
      if (typeof rough === 'number' && Number.isSafeInteger(rough) && rough >= 0) id = rough;
      const request = MediaNodeRequest.parse(json);
      const result = await this.#call(channel, request.method, request.args);
      this.#reply(channel, { id, ok: true, result });
    } catch (err) {
      const known = err instanceof AppError;
      if (!known) this.#opts.log.warn({ err }, 'media node call failed');
      const code: ErrorCode = known
        ? err.code
        : err instanceof SyntaxError || err instanceof z.ZodError
          ? 'INVALID_MESSAGE'
          : 'MEDIA_ERROR';
      this.#reply(channel, {
        id,
        ok: false,
        error: { code, message: err instanceof Error ? err.message : String(err) },
      });
    }
  }

  async #call(channel: Channel, method: MediaNodeMethod, raw: unknown): Promise<unknown> {
    const media = this.#opts.media;
    const parsed: unknown = MediaNodeCalls[method].args.parse(raw);
    const args = <M extends MediaNodeMethod>(_m: M) => parsed as MediaNodeArgs<M>;
    if (typeof parsed === 'object' && parsed !== null && 'who' in parsed) {
      const { who } = parsed as { who: MediaParticipant };
      // Only an adoption moves a participant another channel owns.
      if (
        !this.#ownedElsewhere(channel, who.participantId) &&
        method !== 'adoptParticipant' &&
        !channel.participants.has(who.participantId)
      ) {
        channel.participants.set(who.participantId, who);
        this.#arrived.add(reservationOf(who));
      }
      channel.events.add(who.eventId);
    }
    switch (method) {
      case 'getRouterRtpCapabilities': {
        const { eventId } = args(method);
        channel.events.add(eventId);
        return media.getRouterRtpCapabilities(eventId);
      }
      case 'createWebRtcTransport': {
        const { who, direction } = args(method);
        return media.createWebRtcTransport(who, direction);
      }
      case 'connectTransport': {
        const { who, transportId, dtlsParameters } = args(method);
        await media.connectTransport(who, transportId, dtlsParameters);
        return {};
      }
      case 'produce': {
        const { who, ...params } = args(method);
        return media.produce(who, params);
      }
      case 'consume': {
        const { who, ...params } = args(method);
        await this.#opts.pipes?.waitProducer(who.eventId, params.producerId);
        return media.consume(who, params);
      }
      case 'resumeConsumer': {
        const { who, consumerId } = args(method);
        await media.resumeConsumer(who, consumerId);
        return {};
      }
      case 'setPreferredLayers': {
        const { who, consumerId, layers } = args(method);
        await media.setPreferredLayers(who, consumerId, layers);
        return {};
      }
      case 'setAudioOnly': {
        const { who, audioOnly } = args(method);
        await media.setAudioOnly(who, audioOnly);
        return {};
      }
      case 'closeProducer': {
        const { who, producerId } = args(method);
        await media.closeProducer(who, producerId);
        return {};
      }
      case 'closeTransport': {
        const { who, transportId } = args(method);
        await media.closeTransport(who, transportId);
        return {};
      }
      case 'closeParticipant': {
        const { who } = args(method);
        if (this.#ownedElsewhere(channel, who.participantId)) return {};
        channel.participants.delete(who.participantId);
        this.#detached.delete(who.participantId);
        await media.closeParticipant(who);
        return {};
      }
      case 'detachParticipant': {
        const { who } = args(method);
        if (this.#ownedElsewhere(channel, who.participantId)) return {};
        channel.participants.delete(who.participantId);
        this.#keepDetached(who);
        return {};
      }
      case 'adoptParticipant': {
        const { who, generation } = args(method);
        // Refused (an older generation than the one holding it: RESUME_SUPERSEDED),
        // the media stays with the channel that holds it.
        const adopted = await media.adoptParticipant(who, generation ?? null);
        for (const c of this.#channels) if (c !== channel) c.participants.delete(who.participantId);
        this.#detached.delete(who.participantId);
        channel.participants.set(who.participantId, who);
        return adopted;
      }
      case 'listProducers': {
        const { eventId } = args(method);
        channel.events.add(eventId);
        const producers = await media.listProducers(eventId);
        const pipes = this.#opts.pipes;
        return {
          producers: pipes
            ? producers.filter((p) => !pipes.receives(eventId, p.producerId))
            : producers,
        };
      }
      case 'closeEvent': {
        const { eventId } = args(method);
        for (const c of this.#channels) {
          for (const [id, who] of c.participants) {
            if (who.eventId === eventId) c.participants.delete(id);
          }
          c.events.delete(eventId);
        }
        for (const [id, who] of this.#detached)
          if (who.eventId === eventId) this.#detached.delete(id);
        await media.closeEvent(eventId);
        return {};
      }
      case 'edgeEnsure': {
        const { eventId, origin } = args(method);
        return this.#pipes().ensureUpstream(eventId, origin);
      }
      case 'pipeOffer': {
        const { eventId } = args(method);
        return this.#pipes().offer(channel, eventId, (data) =>
          this.#reply(channel, { event: 'pipeupdate', data }),
        );
      }
      case 'pipeConnect': {
        await this.#pipes().connect(args(method).answer);
        return {};
      }
      case 'pipeApply': {
        // Applied from here, before any await: in the order the channel carried them.
        await this.#pipes().apply(args(method).update);
        return {};
      }
    }
  }

  /**
   * The event's edge was piped again: its classrooms' consumers went with the
   * old pipe. Their media is closed and they are reported lost, so that their
   * clients set it up again (on the same producers, come back with their ids).
   */
  #loseEvent(eventId: string): void {
    for (const c of this.#channels) {
      for (const who of [...c.participants.values()]) {
        if (who.eventId !== eventId) continue;
        c.participants.delete(who.participantId);
        this.#opts.media
          .closeParticipant(who)
          .catch((err: unknown) => this.#opts.log.warn({ err }, 'closing a re-piped participant'));
        this.#reply(c, { event: 'participantlost', data: who });
      }
    }
    // Detached ones would be resumed with dead consumers: closed, their clients set up anew.
    for (const who of [...this.#detached.values()]) {
      if (who.eventId !== eventId) continue;
      this.#detached.delete(who.participantId);
      this.#opts.media
        .closeParticipant(who)
        .catch((err: unknown) => this.#opts.log.warn({ err }, 'closing a re-piped participant'));
    }
  }

  /** Its media kept for the grace, owned by no channel; the media plane closes it after. */
  #keepDetached(who: MediaParticipant): void {
    this.#detached.set(who.participantId, who);
    const at = performance.now();
    this.#detachedAt.set(who.participantId, at);
    // Past the longest grace the media plane has closed it: forgotten here too.
    setTimeout(() => {
      if (this.#detached.get(who.participantId) === who) this.#detached.delete(who.participantId);
      if (this.#detachedAt.get(who.participantId) === at)
        this.#detachedAt.delete(who.participantId);
    }, DETACHED_MEMORY_MS).unref();
    this.#opts.media
      .detachParticipant(who)
      .catch((err: unknown) => this.#opts.log.warn({ err }, 'detaching a participant failed'));
  }

  /** Another channel than this one owns the participant's media. */
  #ownedElsewhere(channel: Channel, participantId: string): boolean {
    for (const c of this.#channels)
      if (c !== channel && c.participants.has(participantId)) return true;
    return false;
  }

  #pipes(): NodePipes {
    const { pipes } = this.#opts;
    if (!pipes) throw new AppError('MEDIA_UNAVAILABLE', 'this media node does not pipe broadcasts');
    return pipes;
  }

  /**
   * To the instance that owns `participantId`; an event's own news (or a
   * participant no instance claims, such as an ingest) to one instance of those
   * serving the event.
   */
  #send(message: MediaNodeEvent, eventId: string, participantId: string | null): void {
    let target: Channel | undefined;
    for (const c of this.#channels) {
      if (participantId !== null && c.participants.has(participantId)) {
        target = c;
        break;
      }
    }
    if (!target)
      for (const c of this.#channels)
        if (c.events.has(eventId)) {
          target = c;
          break;
        }
    if (target) this.#reply(target, message);
  }

  #reply(channel: Channel, message: MediaNodeMessage): void {
    if (channel.socket.readyState === channel.socket.OPEN)
      channel.socket.send(JSON.stringify(message));
  }
}
