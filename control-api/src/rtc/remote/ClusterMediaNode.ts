import { EventEmitter } from 'node:events';
import type {
  ConsumerOptions,
  DtlsParameters,
  MediaNodeRegistration,
  ProducerInfo,
  RtpCapabilities,
  TransportDirection,
  TransportOptions,
} from '@amphi/protocol';
import { AppError } from '../../errors.ts';
import type { Logger } from '../../logger.ts';
import type {
  ConsumeParams,
  MediaNode,
  MediaNodeEvents,
  MediaParticipant,
  ProduceParams,
} from '../MediaNode.ts';
import { MEDIA_NODE_HEARTBEAT_MS, type MediaNodeRegistry } from './MediaNodeRegistry.ts';
import { RemoteMediaNode } from './RemoteMediaNode.ts';

export interface ClusterMediaNodeOptions {
  registry: MediaNodeRegistry;
  /** The cluster's shared secret, for every node's control channel. */
  secret: string;
  log: Logger;
  /** A node whose channel failed is not chosen again for this long (default 10 s). */
  avoidFailedMs?: number;
  /** What close() releases after the channels (the registry's Redis connection, when owned). */
  release?: () => Promise<void>;
}

interface Placement {
  nodeId: string;
  url: string;
}

const EVENTS: (keyof MediaNodeEvents)[] = [
  'produceradded',
  'producerclosed',
  'participantlost',
  'participantjoined',
  'activespeaker',
];

/**
 * The media plane of a cluster: media nodes on other hosts, found in the
 * registry, each event's broadcast on one of them. An event goes to the
 * least-loaded node with room (load over capacity, counting the events this
 * instance has just placed, before any await); every control-api instance
 * reads the same placement from Redis. A node that dies (its channel closes,
 * its registration expires) has its participants reported lost; their clients
 * set media up again and the event is placed on a live node: speakers
 * republish there, classrooms consume from there.
 */
export class ClusterMediaNode extends EventEmitter<MediaNodeEvents> implements MediaNode {
  readonly #opts: ClusterMediaNodeOptions;
  readonly #channels = new Map<string, RemoteMediaNode>();
  /** Where each event is, as last read or decided. */
  readonly #placed = new Map<string, Promise<Placement>>();
  /** Where each participant has media: its close goes there. */
  readonly #participantNode = new Map<string, string>();
  /** Events placed by this instance and not yet counted in the node's heartbeat. */
  readonly #reserved = new Map<string, number>();
  readonly #failed = new Map<string, number>();
  #closed = false;
  readonly #reasserting: ReturnType<typeof setInterval>;

  constructor(opts: ClusterMediaNodeOptions) {
    super();
    this.#opts = opts;
    // Redis keeps no placement across a restart: every instance writes back
    // those it uses, so that another one does not put the event elsewhere.
    this.#reasserting = setInterval(() => void this.#reassert(), MEDIA_NODE_HEARTBEAT_MS);
    this.#reasserting.unref();
  }

  get closed(): boolean {
    return this.#closed;
  }

  async getRouterRtpCapabilities(eventId: string): Promise<RtpCapabilities> {
    return (await this.#nodeFor(eventId)).getRouterRtpCapabilities(eventId);
  }

  async createWebRtcTransport(
    who: MediaParticipant,
    direction: TransportDirection,
  ): Promise<TransportOptions> {
    const node = await this.#nodeFor(who.eventId);
    this.#participantNode.set(who.participantId, node.url);
    return node.createWebRtcTransport(who, direction);
  }

  async connectTransport(
    who: MediaParticipant,
    transportId: string,
    dtlsParameters: DtlsParameters,
  ): Promise<void> {
    return (await this.#nodeFor(who.eventId)).connectTransport(who, transportId, dtlsParameters);
  }

  async produce(who: MediaParticipant, params: ProduceParams): Promise<{ producerId: string }> {
    return (await this.#nodeFor(who.eventId)).produce(who, params);
  }

  async consume(who: MediaParticipant, params: ConsumeParams): Promise<ConsumerOptions> {
    return (await this.#nodeFor(who.eventId)).consume(who, params);
  }

  async resumeConsumer(who: MediaParticipant, consumerId: string): Promise<void> {
    return (await this.#nodeFor(who.eventId)).resumeConsumer(who, consumerId);
  }

  async setPreferredLayers(
    who: MediaParticipant,
    consumerId: string,
    layers: { spatialLayer: number; temporalLayer?: number },
  ): Promise<void> {
    return (await this.#nodeFor(who.eventId)).setPreferredLayers(who, consumerId, layers);
  }

  async setAudioOnly(who: MediaParticipant, audioOnly: boolean): Promise<void> {
    return (await this.#nodeFor(who.eventId)).setAudioOnly(who, audioOnly);
  }

  async closeProducer(who: MediaParticipant, producerId: string): Promise<void> {
    return (await this.#nodeFor(who.eventId)).closeProducer(who, producerId);
  }

  async closeParticipant(who: MediaParticipant): Promise<void> {
    const url = this.#participantNode.get(who.participantId);
    this.#participantNode.delete(who.participantId);
    const node = url ? this.#channels.get(url) : undefined;
    if (node && !node.closed) await node.closeParticipant(who);
  }

  async listProducers(eventId: string): Promise<ProducerInfo[]> {
    return (await this.#nodeFor(eventId)).listProducers(eventId);
  }

  async closeEvent(eventId: string): Promise<void> {
    const nodeId = await this.#opts.registry.nodeOf(eventId);
    this.#placed.delete(eventId);
    if (!nodeId) return;
    const node = (await this.#opts.registry.nodes()).find((n) => n.nodeId === nodeId);
    if (node) await this.#channel(node).closeEvent(eventId);
    await this.#opts.registry.forget(eventId);
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#reasserting);
    const channels = [...this.#channels.values()];
    this.#channels.clear();
    await Promise.all(channels.map((c) => c.close()));
    await this.#opts.release?.();
  }

  /** The channel to the node holding the event, placing the event first if needed. */
  async #nodeFor(eventId: string): Promise<RemoteMediaNode> {
    if (this.#closed) throw new AppError('MEDIA_UNAVAILABLE', 'the media plane is closed');
    let placing = this.#placed.get(eventId);
    if (!placing) {
      placing = this.#place(eventId);
      this.#placed.set(eventId, placing);
      placing.catch(() => this.#placed.delete(eventId));
    }
    const { url } = await placing;
    const channel = this.#channels.get(url);
    if (channel && !channel.closed) return channel;
    // The node went away since: place the event again.
    this.#placed.delete(eventId);
    return this.#nodeFor(eventId);
  }

  async #place(eventId: string): Promise<Placement> {
    const { registry, log } = this.#opts;
    const nodes = await registry.nodes();
    const alive = nodes.filter((n) => (this.#failed.get(n.nodeId) ?? 0) < Date.now());
    const current = await registry.nodeOf(eventId);
    const there = alive.find((n) => n.nodeId === current);
    if (there) return this.#open(there);
    const choice = this.#leastLoaded(alive.filter((n) => !n.draining));
    if (!choice) throw new AppError('MEDIA_UNAVAILABLE', 'no media node is available');
    this.#reserved.set(choice.nodeId, (this.#reserved.get(choice.nodeId) ?? 0) + 1);
    setTimeout(() => this.#unreserve(choice.nodeId), 3_000).unref();
    const placed = await registry.place(eventId, choice.nodeId, current);
    const node = nodes.find((n) => n.nodeId === placed);
    if (!node) throw new AppError('MEDIA_UNAVAILABLE', 'the event is on a media node that is gone');
    log.info({ eventId, nodeId: placed, replacing: current }, 'event placed on a media node');
    return this.#open(node);
  }

  /** Least loaded relative to its capacity, this instance's fresh reservations counted. */
  #leastLoaded(nodes: MediaNodeRegistration[]): MediaNodeRegistration | undefined {
    const share = (n: MediaNodeRegistration) =>
      (n.load + (this.#reserved.get(n.nodeId) ?? 0) * 50) / Math.max(1, n.capacity);
    return nodes
      .filter((n) => n.load < n.capacity)
      .sort((a, b) => share(a) - share(b) || a.nodeId.localeCompare(b.nodeId))[0];
  }

  #unreserve(nodeId: string): void {
    const n = (this.#reserved.get(nodeId) ?? 1) - 1;
    if (n > 0) this.#reserved.set(nodeId, n);
    else this.#reserved.delete(nodeId);
  }

  async #open(node: MediaNodeRegistration): Promise<Placement> {
    const channel = this.#channel(node);
    try {
      await channel.ready();
    } catch (err) {
      this.#failed.set(node.nodeId, Date.now() + (this.#opts.avoidFailedMs ?? 10_000));
      throw err;
    }
    return { nodeId: node.nodeId, url: node.url };
  }

  async #reassert(): Promise<void> {
    for (const [eventId, placing] of this.#placed) {
      const placed = await placing.catch(() => null);
      if (!placed) continue;
      const now = await this.#opts.registry
        .place(eventId, placed.nodeId, null)
        .catch(() => placed.nodeId);
      if (now !== placed.nodeId) {
        this.#opts.log.warn(
          { eventId, was: placed.nodeId, now },
          'event placed elsewhere meanwhile',
        );
        this.#placed.delete(eventId);
      }
    }
  }

  #channel(node: MediaNodeRegistration): RemoteMediaNode {
    const existing = this.#channels.get(node.url);
    if (existing && !existing.closed) return existing;
    const channel = new RemoteMediaNode({
      url: node.url,
      secret: this.#opts.secret,
      log: this.#opts.log,
      onLost: () => this.#nodeLost(node.nodeId, node.url),
    });
    this.#channels.set(node.url, channel);
    for (const event of EVENTS) {
      channel.on(event, (...args: unknown[]) =>
        (this.emit as (e: string, ...a: unknown[]) => boolean)(event, ...args),
      );
    }
    channel.on('participantlost', (who) => this.#participantNode.delete(who.participantId));
    return channel;
  }

  /** Its channel closed: avoid the node until its registration has expired. */
  #nodeLost(nodeId: string, url: string): void {
    this.#failed.set(nodeId, Date.now() + (this.#opts.avoidFailedMs ?? 10_000));
    this.#channels.delete(url);
  }
}
