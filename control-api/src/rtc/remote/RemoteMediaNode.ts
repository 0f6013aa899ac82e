import { EventEmitter } from 'node:events';
import {
  type AdoptedMedia,
  type ConsumerOptions,
  type DtlsParameters,
  type MediaNodeArgs,
  MediaNodeCalls,
  MediaNodeMessage,
  type MediaNodeMethod,
  type MediaNodeRef,
  type MediaNodeResult,
  type PipeAnswer,
  type PipeOffer,
  type PipeUpdate,
  type ProducerInfo,
  type RtpCapabilities,
  type TransportDirection,
  type TransportOptions,
} from '@amphi/protocol';
import WebSocket from 'ws';
import { AppError } from '../../errors.ts';
import type { Logger } from '../../logger.ts';
import type {
  ConsumeParams,
  MediaNode,
  MediaNodeEvents,
  MediaParticipant,
  ProduceParams,
} from '../MediaNode.ts';
import { ChannelLiveness } from './ChannelLiveness.ts';

export interface RemoteMediaNodeOptions {
  /** The node's control endpoint, ws://host:port. */
  url: string;
  /** The cluster's shared secret. */
  secret: string;
  /** A call with no answer after this long fails with MEDIA_UNAVAILABLE (default 10 s). */
  timeoutMs?: number;
  /** Told first when the channel is lost (before its participants are reported lost). */
  onLost?: () => void;
  /** A pipe update from the node (when this channel asked it for a pipe offer), in order. */
  onPipeUpdate?: (update: PipeUpdate) => void;
  log: Logger;
}

/**
 * The channel pings the node this often, and counts it lost after this long
 * without any frame from it (a pong, an answer, an event): a host cut off the
 * network sends no close, and its silence must tell sooner than its
 * registration's 3 s expiry, for its classrooms to decode again within 5 s.
 */
export const CHANNEL_PING_MS = 500;
export const CHANNEL_SILENCE_MS = 1_500;

interface Pending {
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
  timer: ReturnType<typeof setTimeout>;
}

const unavailable = (why: string) =>
  new AppError('MEDIA_UNAVAILABLE', `the media node is unreachable: ${why}`);

/**
 * A media node on another host, behind the same `MediaNode` interface as the
 * in-process one: each call goes over the node's control channel (a WebSocket
 * with the cluster's secret), answers and events are parsed by their schemas.
 * When the channel is lost every participant that had media there is reported
 * lost (`participantlost`), so that its client sets its media up again, and
 * the node is `closed`: the cluster places those participants elsewhere.
 */
export class RemoteMediaNode extends EventEmitter<MediaNodeEvents> implements MediaNode {
  readonly url: string;
  readonly #opts: RemoteMediaNodeOptions;
  readonly #socket: WebSocket;
  readonly #pending = new Map<number, Pending>();
  /** Participants with media on the node, by participant id: reported lost with the channel. */
  readonly #participants = new Map<string, MediaParticipant>();
  readonly #opened: Promise<void>;
  #nextId = 1;
  #closed = false;
  /** Dropped for silence (the node may be alive), not closed: see MediaLoss. */
  #silent = false;
  readonly #liveness: ChannelLiveness;

  constructor(opts: RemoteMediaNodeOptions) {
    super();
    this.url = opts.url;
    this.#opts = opts;
    this.#socket = new WebSocket(opts.url, {
      headers: { authorization: `Bearer ${opts.secret}` },
      handshakeTimeout: opts.timeoutMs ?? 10_000,
    });
    this.#opened = new Promise((resolve, reject) => {
      this.#socket.once('open', () => resolve());
      this.#socket.once('error', (err) => reject(unavailable(err.message)));
      this.#socket.once('unexpected-response', (_req, res) =>
        reject(unavailable(`HTTP ${res.statusCode}`)),
      );
    });
    this.#opened.catch(() => {});
    this.#liveness = new ChannelLiveness({
      pingMs: CHANNEL_PING_MS,
      silenceMs: CHANNEL_SILENCE_MS,
      ping: () => {
        if (this.#socket.readyState === WebSocket.OPEN) this.#socket.ping();
      },
      silent: (silentMs) => {
        if (this.#closed) return;
        this.#opts.log.warn({ url: this.url, silentMs }, 'media node silent: channel dropped');
        this.#silent = true;
        this.#socket.terminate();
      },
      quiet: (silentMs) =>
        this.#opts.log.warn({ url: this.url, silentMs }, 'media node channel was quiet'),
      stalled: (stallMs) =>
        this.#opts.log.warn(
          { url: this.url, stallMs },
          'this process stalled: the media node’s silence meanwhile not counted',
        ),
    });
    this.#socket.once('open', () => this.#liveness.start());
    this.#socket.on('message', (raw) => {
      this.#liveness.heard();
      this.#onMessage(raw.toString());
    });
    this.#socket.on('close', () => this.#lost());
    this.#socket.on('error', () => {});
    this.#socket.on('pong', () => this.#liveness.heard());
    this.#socket.on('ping', () => this.#liveness.heard());
  }

  /** Resolves once the channel is open; rejects with MEDIA_UNAVAILABLE otherwise. */
  ready(): Promise<void> {
    return this.#opened;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Participants with media on this node, as this instance knows them. */
  get participants(): number {
    return this.#participants.size;
  }

  async getRouterRtpCapabilities(eventId: string): Promise<RtpCapabilities> {
    return this.#call('getRouterRtpCapabilities', { eventId });
  }

  async createWebRtcTransport(
    who: MediaParticipant,
    direction: TransportDirection,
  ): Promise<TransportOptions> {
    this.#participants.set(who.participantId, who);
    return this.#call('createWebRtcTransport', { who, direction });
  }

  async connectTransport(
    who: MediaParticipant,
    transportId: string,
    dtlsParameters: DtlsParameters,
  ): Promise<void> {
    await this.#call('connectTransport', { who, transportId, dtlsParameters });
  }

  async produce(who: MediaParticipant, params: ProduceParams): Promise<{ producerId: string }> {
    return this.#call('produce', { who, ...params });
  }

  async consume(who: MediaParticipant, params: ConsumeParams): Promise<ConsumerOptions> {
    return this.#call('consume', { who, ...params });
  }

  async resumeConsumer(who: MediaParticipant, consumerId: string): Promise<void> {
    await this.#call('resumeConsumer', { who, consumerId });
  }

  async setPreferredLayers(
    who: MediaParticipant,
    consumerId: string,
    layers: { spatialLayer: number; temporalLayer?: number },
  ): Promise<void> {
    await this.#call('setPreferredLayers', { who, consumerId, layers });
  }

  async setAudioOnly(who: MediaParticipant, audioOnly: boolean): Promise<void> {
    await this.#call('setAudioOnly', { who, audioOnly });
  }

  async closeProducer(who: MediaParticipant, producerId: string): Promise<void> {
    await this.#call('closeProducer', { who, producerId });
  }

  async closeTransport(who: MediaParticipant, transportId: string): Promise<void> {
    await this.#call('closeTransport', { who, transportId });
  }

  async closeParticipant(who: MediaParticipant): Promise<void> {
    if (!this.#participants.delete(who.participantId) || this.#closed) return;
    await this.#call('closeParticipant', { who });
  }

  /** The node keeps the participant's media for its grace (resume): this instance forgets it. */
  async detachParticipant(who: MediaParticipant): Promise<void> {
    if (!this.#participants.delete(who.participantId) || this.#closed) return;
    await this.#call('detachParticipant', { who });
  }

  /** A resumed socket's media, taken over on the node: this instance owns it from now. */
  async adoptParticipant(who: MediaParticipant, generation: number | null): Promise<AdoptedMedia> {
    const adopted = await this.#call('adoptParticipant', { who, generation });
    this.#participants.set(who.participantId, who);
    return adopted;
  }

  async listProducers(eventId: string): Promise<ProducerInfo[]> {
    return (await this.#call('listProducers', { eventId })).producers;
  }

  async closeEvent(eventId: string): Promise<void> {
    for (const [id, who] of this.#participants) {
      if (who.eventId === eventId) this.#participants.delete(id);
    }
    if (!this.#closed) await this.#call('closeEvent', { eventId });
  }

  /** Makes the node an edge of the event fed from `origin` (a pipe made or kept). */
  async edgeEnsure(
    eventId: string,
    origin: MediaNodeRef,
  ): Promise<{ pipeId: string; created: boolean }> {
    return this.#call('edgeEnsure', { eventId, origin });
  }

  /** From another node: this node (the origin) offers a pipe of the event's broadcast. */
  async pipeOffer(eventId: string): Promise<PipeOffer> {
    return this.#call('pipeOffer', { eventId });
  }

  async pipeConnect(answer: PipeAnswer): Promise<void> {
    await this.#call('pipeConnect', { answer });
  }

  /** Sent in call order over the one socket: the node applies them in that order. */
  async pipeApply(update: PipeUpdate): Promise<void> {
    await this.#call('pipeApply', { update });
  }

  /** Closes the channel; the node closes this instance's participants' media. */
  async close(): Promise<void> {
    this.#participants.clear();
    this.#socket.close();
    this.#lost();
  }

  async #call<M extends MediaNodeMethod>(
    method: M,
    args: MediaNodeArgs<M>,
  ): Promise<MediaNodeResult<M>> {
    if (this.#closed) throw unavailable('the channel is closed');
    await this.#opened;
    const id = this.#nextId++;
    const answer = new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(unavailable(`no answer to ${method} within ${this.#opts.timeoutMs ?? 10_000} ms`));
      }, this.#opts.timeoutMs ?? 10_000);
      this.#pending.set(id, { resolve, reject, timer });
    });
    this.#socket.send(JSON.stringify({ id, method, args }));
    const result = await answer;
    const parsed = MediaNodeCalls[method].result.safeParse(result);
    if (!parsed.success)
      throw new AppError('MEDIA_ERROR', `the media node answered ${method} oddly`);
    return parsed.data as MediaNodeResult<M>;
  }

  #onMessage(text: string): void {
    let message: MediaNodeMessage;
    try {
      message = MediaNodeMessage.parse(JSON.parse(text));
    } catch (err) {
      this.#opts.log.warn({ err, url: this.url }, 'unreadable message from a media node');
      return;
    }
    if ('event' in message) {
      if (message.event === 'pipeupdate') {
        this.#opts.onPipeUpdate?.(message.data);
        return;
      }
      if (message.event === 'participantlost')
        this.#participants.delete(message.data.participantId);
      // The node's events are the interface's, one for one.
      (this.emit as (e: string, d: unknown) => boolean)(message.event, message.data);
      return;
    }
    const pending = this.#pending.get(message.id);
    if (!pending) return;
    this.#pending.delete(message.id);
    clearTimeout(pending.timer);
    if (message.ok) pending.resolve(message.result);
    else pending.reject(new AppError(message.error.code, message.error.message));
  }

  #lost(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#liveness.stop();
    this.#opts.onLost?.();
    for (const p of this.#pending.values()) {
      clearTimeout(p.timer);
      p.reject(unavailable('the channel closed'));
    }
    this.#pending.clear();
    const lost = [...this.#participants.values()];
    this.#participants.clear();
    if (lost.length)
      this.#opts.log.warn({ url: this.url, participants: lost.length }, 'media node lost');
    const loss = this.#silent ? 'silent' : 'gone';
    for (const who of lost) this.emit('participantlost', who, loss);
  }
}
