import { EventEmitter } from 'node:events';
import type { Broadcast, BroadcastPipe, PipeOptions } from '@amphi/media-server';
import {
  backoffDelay,
  type MediaNodeRef,
  type PipeAnswer,
  type PipeOffer,
  type PipeUpdate,
} from '@amphi/protocol';
import { AppError } from '../../errors.ts';
import type { Logger } from '../../logger.ts';
import { RemoteMediaNode } from './RemoteMediaNode.ts';

export interface NodePipesOptions {
  /** The event's broadcast on this node, created on first use. */
  broadcastOf: (eventId: string) => Promise<Broadcast>;
  /** Where this node's pipe transports listen (MEDIA_PIPE_*: `pipeOptionsFromConfig`). */
  pipeOptions: PipeOptions;
  /** The cluster's shared secret: an edge reaches its origin's control channel with it. */
  secret: string;
  log: Logger;
  /** An offer not answered within this long is closed (default 10 s). */
  answerTimeoutMs?: number;
  /** A lost upstream is piped again after this long, then backing off (default 500 ms). */
  repipeDelayMs?: number;
}

export type NodePipesEvents = {
  /**
   * The event's upstream pipe was lost while its origin lives (a dead link, the
   * origin's worker rebuilt) and is piped anew: the producers came back with
   * the same ids, but the classrooms' consumers of the old ones are gone.
   */
  repiped: [eventId: string];
  /**
   * The event's upstream went with the channel to the node feeding it (that
   * node died): the classrooms here have nothing to watch until they set
   * their media up again, fed from elsewhere.
   */
  upstreamlost: [eventId: string];
};

/** The upstream of an event on this node, when it is an edge. */
interface Upstream {
  origin: MediaNodeRef;
  ready: Promise<BroadcastPipe>;
}

interface Piped {
  pipe: BroadcastPipe;
  eventId: string;
  /** Offering side: the channel that asked for it (its close closes the pipe). */
  owner: object | null;
}

/**
 * A media node's pipes to and from other nodes. As an edge of an event (a
 * control-api placed classrooms here), it reaches the origin node's control
 * channel itself, asks for an offer, accepts it on its own broadcast and
 * answers: the origin's updates come back on that channel, its own go up as
 * calls, in order. As an origin, it offers pipes to the edges that ask and
 * closes them with the asking channel. A producer that came through a pipe
 * keeps its id and is announced by the node where it was made, not here.
 * An upstream lost while the origin's channel lives (a dead link, the origin's
 * worker rebuilt) is piped again and `repiped` tells whose media to set up again.
 */
export class NodePipes extends EventEmitter<NodePipesEvents> {
  readonly #opts: NodePipesOptions;
  readonly #upstreams = new Map<string, Upstream>();
  /** Channels to origin nodes, by url. */
  readonly #origins = new Map<string, RemoteMediaNode>();
  readonly #pipes = new Map<string, Piped>();
  /** Producers of offers being accepted (published before their pipe is tracked), by event. */
  readonly #accepting = new Map<string, Set<string>>();
  #closed = false;

  constructor(opts: NodePipesOptions) {
    super();
    this.#opts = opts;
  }

  /**
   * Makes this node's broadcast of the event an edge fed from `origin`: keeps
   * a live pipe from it, else pipes anew (replacing one from a former origin).
   */
  async ensureUpstream(
    eventId: string,
    origin: MediaNodeRef,
  ): Promise<{ pipeId: string; created: boolean }> {
    if (this.#closed) throw new AppError('MEDIA_UNAVAILABLE', 'the media node is shutting down');
    const current = this.#upstreams.get(eventId);
    if (current && current.origin.nodeId === origin.nodeId && current.origin.url === origin.url) {
      const pipe = await current.ready.catch(() => undefined);
      if (pipe && !pipe.closed) return { pipeId: pipe.pipeId, created: false };
      // Closed or failed: pipe anew.
      if (this.#upstreams.get(eventId) === current) this.#upstreams.delete(eventId);
    }
    const latest = this.#upstreams.get(eventId);
    if (latest && latest !== current) return this.ensureUpstream(eventId, origin);
    const previous = latest?.ready.catch(() => undefined);
    const upstream = this.#upstream(eventId, origin, previous);
    const pipe = await upstream.ready;
    return { pipeId: pipe.pipeId, created: true };
  }

  /** Origin side: a pipe of the event's broadcast offered to the node on `owner`'s channel. */
  async offer(owner: object, eventId: string, send: (u: PipeUpdate) => void): Promise<PipeOffer> {
    if (this.#closed) throw new AppError('MEDIA_UNAVAILABLE', 'the media node is shutting down');
    const broadcast = await this.#opts.broadcastOf(eventId);
    const { pipe, offer } = await broadcast.offerPipe({ ...this.#opts.pipeOptions, send });
    this.#track(pipe, eventId, owner);
    // No answer (the edge went meanwhile): nothing else would close it.
    const timer = setTimeout(() => {
      if (!pipe.link.connected) pipe.close('no answer');
    }, this.#opts.answerTimeoutMs ?? 10_000);
    timer.unref();
    pipe.once('close', () => clearTimeout(timer));
    this.#opts.log.info({ eventId, pipeId: pipe.pipeId }, 'pipe offered to an edge node');
    return offer;
  }

  async connect(answer: PipeAnswer): Promise<void> {
    const piped = this.#pipes.get(answer.pipeId);
    if (!piped) throw new AppError('NOT_FOUND', `no pipe ${answer.pipeId} on this node`);
    await piped.pipe.connect(answer);
  }

  /** An update from the other end: applied in arrival order (the pipe serializes them). */
  async apply(update: PipeUpdate): Promise<void> {
    // Closed here meanwhile: the other side has been told, or is told now.
    await this.#pipes.get(update.pipeId)?.pipe.apply(update);
  }

  /** The channel that asked for pipes went (its node died): they close. */
  ownerGone(owner: object): void {
    for (const { pipe, owner: o } of [...this.#pipes.values()])
      if (o === owner) pipe.close('edge channel closed', true);
  }

  /** Whether the producer came to this node through one of the event's pipes. */
  receives(eventId: string, producerId: string): boolean {
    if (this.#accepting.get(eventId)?.has(producerId)) return true;
    for (const p of this.#pipes.values())
      if (p.eventId === eventId && p.pipe.receives(producerId)) return true;
    return false;
  }

  /** Pipes this node feeds to other nodes now (offered, still open): its heartbeat says it. */
  get feeding(): number {
    let n = 0;
    for (const p of this.#pipes.values()) if (p.owner !== null && !p.pipe.closed) n++;
    return n;
  }

  /** Whether this node is an edge of the event now (fed by a pipe still open). */
  isEdge(eventId: string): boolean {
    for (const p of this.#pipes.values())
      if (p.eventId === eventId && p.owner === null && !p.pipe.closed) return true;
    return false;
  }

  /**
   * Waits (up to `ms`) for a producer expected through a pipe: the control
   * plane announces a speaker's producer from the origin, and a classroom may
   * ask to consume it here a moment before the pipe has brought it.
   */
  async waitProducer(eventId: string, producerId: string, ms = 3_000): Promise<void> {
    if (![...this.#pipes.values()].some((p) => p.eventId === eventId)) return;
    const broadcast = await this.#opts.broadcastOf(eventId);
    if (broadcast.producers.some((p) => p.id === producerId)) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        broadcast.off('newproducer', onProducer);
        resolve();
      };
      const onProducer = (p: { id: string }) => {
        if (p.id === producerId) done();
      };
      const timer = setTimeout(done, ms);
      broadcast.on('newproducer', onProducer);
    });
  }

  /**
   * Pipes the event anew from the same origin (the one before is closed by
   * acceptPipe): tried again with backoff while the origin's channel lives
   * and nothing replaced this upstream meanwhile.
   */
  #repipe(eventId: string, lost: Upstream, broadcast: Broadcast, attempt = 0): void {
    const initialMs = this.#opts.repipeDelayMs ?? 500;
    const delay = backoffDelay(attempt, { initialMs, maxMs: initialMs * 16, jitter: 0 });
    setTimeout(() => {
      const channel = this.#origins.get(lost.origin.url);
      if (this.#closed || !channel || channel.closed) return;
      // The event ended here meanwhile (its end closes the origin's pipes first, then ours).
      if (broadcast.closed) return;
      const current = this.#upstreams.get(eventId);
      if (current && current !== lost) return;
      const again = this.#upstream(eventId, lost.origin, undefined);
      again.ready.then(
        () => {
          this.#opts.log.info({ eventId, origin: lost.origin.nodeId }, 'edge piped again');
          this.emit('repiped', eventId);
        },
        (err: unknown) => {
          this.#opts.log.warn({ err, eventId, attempt }, 'piping again failed');
          if (attempt < 8) this.#repipe(eventId, again, broadcast, attempt + 1);
        },
      );
    }, delay).unref();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const { pipe } of [...this.#pipes.values()]) pipe.close('media node stopping');
    for (const channel of this.#origins.values()) void channel.close();
    this.#origins.clear();
    this.#upstreams.clear();
  }

  /** A new upstream of the event, recorded; forgotten if it fails. */
  #upstream(
    eventId: string,
    origin: MediaNodeRef,
    previous: Promise<unknown> | undefined,
  ): Upstream {
    const upstream = { origin } as Upstream;
    upstream.ready = this.#pipeFrom(eventId, upstream, previous);
    this.#upstreams.set(eventId, upstream);
    upstream.ready.catch(() => {
      if (this.#upstreams.get(eventId) === upstream) this.#upstreams.delete(eventId);
    });
    return upstream;
  }

  async #pipeFrom(
    eventId: string,
    upstream: Upstream,
    previous: Promise<unknown> | undefined,
  ): Promise<BroadcastPipe> {
    const { origin } = upstream;
    await previous;
    const { log } = this.#opts;
    const started = Date.now();
    const channel = this.#originChannel(origin.url);
    const offer = await channel.pipeOffer(eventId);
    const broadcast = await this.#opts.broadcastOf(eventId);
    // A live pipe replaced (another parent in a tree): its consumers here go with it.
    const replacing = [...this.#pipes.values()].some(
      (p) => p.eventId === eventId && p.owner === null && !p.pipe.closed,
    );
    // The offer's producers are published during acceptPipe, before the pipe is tracked.
    const accepting = new Set(offer.producers.map((p) => p.id));
    this.#accepting.set(eventId, accepting);
    // acceptPipe closes a pipe from a former origin first (same producer ids).
    const { pipe, answer } = await broadcast
      .acceptPipe(offer, {
        ...this.#opts.pipeOptions,
        send: (update) =>
          void channel
            .pipeApply(update)
            .catch((err: unknown) =>
              log.warn({ err, eventId, type: update.type }, 'pipe update lost'),
            ),
      })
      .finally(() => {
        if (this.#accepting.get(eventId) === accepting) this.#accepting.delete(eventId);
      });
    this.#track(pipe, eventId, null);
    // A silent link is given up: the close below pipes again if the origin lives.
    pipe.once('dead', () => pipe.close('link dead'));
    pipe.once('close', () => {
      // Replaced, the origin's channel lost, the event closed here: nothing to do.
      if (this.#closed || broadcast.closed || this.#upstreams.get(eventId) !== upstream) return;
      this.#upstreams.delete(eventId);
      this.#repipe(eventId, upstream, broadcast);
    });
    try {
      await channel.pipeConnect(answer);
    } catch (err) {
      pipe.close('connect failed');
      throw err;
    }
    log.info(
      { eventId, pipeId: pipe.pipeId, from: origin.nodeId, ms: Date.now() - started },
      'edge fed by a pipe from another node',
    );
    if (replacing) queueMicrotask(() => this.emit('repiped', eventId));
    return pipe;
  }

  #track(pipe: BroadcastPipe, eventId: string, owner: object | null): void {
    this.#pipes.set(pipe.pipeId, { pipe, eventId, owner });
    pipe.once('close', ({ reason, remote }) => {
      this.#pipes.delete(pipe.pipeId);
      this.#opts.log.info({ eventId, pipeId: pipe.pipeId, reason, remote }, 'pipe closed');
    });
  }

  /** The channel to an origin node: its updates for our pipes come back on it. */
  #originChannel(url: string): RemoteMediaNode {
    const existing = this.#origins.get(url);
    if (existing && !existing.closed) return existing;
    const channel = new RemoteMediaNode({
      url,
      secret: this.#opts.secret,
      log: this.#opts.log,
      onPipeUpdate: (update) => {
        this.apply(update).catch((err: unknown) =>
          this.#opts.log.warn({ err, type: update.type }, 'pipe update failed'),
        );
      },
      onLost: () => {
        if (this.#origins.get(url) === channel) this.#origins.delete(url);
        // The origin is gone (or unreachable): its pipes close, their producers with them.
        for (const [eventId, upstream] of [...this.#upstreams]) {
          if (upstream.origin.url !== url) continue;
          this.#upstreams.delete(eventId);
          void upstream.ready.then(
            (pipe) => {
              pipe.close('origin channel lost', true);
              this.emit('upstreamlost', eventId);
            },
            () => {},
          );
        }
      },
    });
    this.#origins.set(url, channel);
    return channel;
  }
}
