import { EventEmitter } from 'node:events';
import type {
  AdoptedMedia,
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
import {
  MEDIA_NODE_HEARTBEAT_MS,
  type MediaNodeRegistry,
  type NodeChoice,
} from './MediaNodeRegistry.ts';
import { placementRefusal } from './placementRefusal.ts';
import { RemoteMediaNode } from './RemoteMediaNode.ts';

export interface ClusterMediaNodeOptions {
  registry: MediaNodeRegistry;
  /** The cluster's shared secret, for every node's control channel. */
  secret: string;
  log: Logger;
  /** A node whose channel failed is not chosen again for this long (default 10 s). */
  avoidFailedMs?: number;
  /**
   * The regions a classroom belongs to (its school's académie and region):
   * it prefers a node tagged with one of them (MEDIA_NODE_REGION).
   */
  regionsOf?: (classroomId: string) => Promise<string[]>;
  /** What close() releases after the channels (the registry's Redis connection, when owned). */
  release?: () => Promise<void>;
}

/** One media object of a participant on a node, as recorded here (`heldOn`). */
export interface HeldObject {
  id: string;
  transport: boolean;
  transportId: string;
}

export interface Placement {
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

/** An edge is asked again this often whether its pipe from its parent lives (cheap when it does). */
const EDGE_RECHECK_MS = 2_000;
/** The registry's list of nodes is read again after this long. */
const NODES_FRESH_MS = 250;
/** Origin -> edge -> edge ...: past this, something is wrong (a cycle). */
const MAX_TREE_DEPTH = 8;

interface EdgeEntry {
  /** The event's origin node when this edge was fed. */
  origin: string;
  /** The node feeding it, once chosen. */
  parent?: Placement;
  at: number;
  ready: Promise<void>;
}

const classroomKey = (eventId: string, classroomId: string) => `${eventId}/${classroomId}`;

/**
 * The media plane of a cluster: media nodes on other hosts, found in the
 * registry. Each event has an origin node, where speakers and moderators have
 * their media; each classroom is placed on its own on the least-loaded live
 * node that has room (load over capacity, the pipes it feeds and the
 * placements just made by any instance counted: the registry chooses and
 * reserves in one step), a node of its region first. A
 * classroom on another node than the origin is served by that node's edge
 * broadcast, fed by a pipe from the origin that the edge node sets up on
 * first need (`edgeEnsure`), and again from a new origin after the first one
 * died. Every control-api instance reads the same placements from Redis.
 *
 * A node that dies (its channel closes, its registration expires) has its
 * participants reported lost and its producers closed: their clients set
 * media up again and are placed on live nodes (speakers republish on a new
 * origin, classrooms are re-placed, edges re-pipe from the new origin).
 * Calls naming a transport, producer or consumer go to the node that made it,
 * so a classroom moved elsewhere keeps its old media until it closes it.
 */
export class ClusterMediaNode extends EventEmitter<MediaNodeEvents> implements MediaNode {
  readonly #opts: ClusterMediaNodeOptions;
  readonly #channels = new Map<string, RemoteMediaNode>();
  /** Where each event's origin is, as last read or decided. */
  readonly #origins = new Map<string, Promise<Placement>>();
  /** The control channel url of each event's origin, once placed (read when a node is lost). */
  readonly #originUrls = new Map<string, string>();
  /** Where each classroom of an event is (`eventId/classroomId`). */
  readonly #classrooms = new Map<string, Promise<Placement>>();
  /** Edges this instance has made sure of (`eventId/nodeId`): fed from which origin, when. */
  readonly #edges = new Map<string, EdgeEntry>();
  /**
   * Transports, producers and consumers: the node that made each and the
   * transport it is on. Each is recorded through the node's channel of now,
   * and forgotten when that channel is lost (#forgetObjectsOn): a record is
   * never of a node's earlier run.
   */
  readonly #objects = new Map<string, { placed: Placement; transportId: string }>();
  /** This instance's participants with media objects, and their objects' ids. */
  readonly #participants = new Map<string, { who: MediaParticipant; objects: Set<string> }>();
  /** Producers announced through this instance: the node each is on (closed with it). */
  readonly #producers = new Map<string, { eventId: string; url: string; producer: ProducerInfo }>();
  readonly #failed = new Map<string, number>();
  /** Nodes this instance places nothing new on (a drain under way). */
  readonly #excluded = new Set<string>();
  readonly #regions = new Map<string, Promise<string[]>>();
  #closed = false;
  readonly #reasserting: ReturnType<typeof setInterval>;
  #reassertRunning = false;
  #nodesRead: { at: number; nodes: Promise<MediaNodeRegistration[]> } | undefined;

  constructor(opts: ClusterMediaNodeOptions) {
    super();
    this.#opts = opts;
    // Redis keeps no placement across a restart: every instance writes back
    // those it uses, so that another one does not put them elsewhere.
    this.#reasserting = setInterval(() => void this.#reassert(), MEDIA_NODE_HEARTBEAT_MS);
    this.#reasserting.unref();
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Where nodes, origins, classrooms and edges are recorded (read by the drain). */
  get registry(): MediaNodeRegistry {
    return this.#opts.registry;
  }

  async getRouterRtpCapabilities(eventId: string): Promise<RtpCapabilities> {
    // Every router of every node has the same codecs: the origin answers.
    return (await this.#channelOf(await this.#origin(eventId))).getRouterRtpCapabilities(eventId);
  }

  async createWebRtcTransport(
    who: MediaParticipant,
    direction: TransportDirection,
  ): Promise<TransportOptions> {
    const placed = await this.#placementOf(who);
    const t = await this.#channelOf(placed).createWebRtcTransport(who, direction);
    this.#own(who, t.transportId, placed, t.transportId);
    return t;
  }

  async connectTransport(
    who: MediaParticipant,
    transportId: string,
    dtlsParameters: DtlsParameters,
  ): Promise<void> {
    return (await this.#nodeOfObject(who, transportId)).connectTransport(
      who,
      transportId,
      dtlsParameters,
    );
  }

  async produce(who: MediaParticipant, params: ProduceParams): Promise<{ producerId: string }> {
    const placed = this.#objects.get(params.transportId)?.placed ?? (await this.#placementOf(who));
    const result = await this.#channelOf(placed).produce(who, params);
    this.#own(who, result.producerId, placed, params.transportId);
    return result;
  }

  async consume(who: MediaParticipant, params: ConsumeParams): Promise<ConsumerOptions> {
    const placed = this.#objects.get(params.transportId)?.placed ?? (await this.#placementOf(who));
    // The producer reaches an edge through its pipe from the origin of now.
    await this.#feed(who.eventId, placed);
    const consumer = await this.#channelOf(placed).consume(who, params);
    this.#own(who, consumer.consumerId, placed, params.transportId);
    return consumer;
  }

  async resumeConsumer(who: MediaParticipant, consumerId: string): Promise<void> {
    return (await this.#nodeOfObject(who, consumerId)).resumeConsumer(who, consumerId);
  }

  async setPreferredLayers(
    who: MediaParticipant,
    consumerId: string,
    layers: { spatialLayer: number; temporalLayer?: number },
  ): Promise<void> {
    return (await this.#nodeOfObject(who, consumerId)).setPreferredLayers(who, consumerId, layers);
  }

  async setAudioOnly(who: MediaParticipant, audioOnly: boolean): Promise<void> {
    const nodes = this.#openNodesOf(who);
    if (nodes.length === 0) nodes.push(this.#channelOf(await this.#placementOf(who)));
    await Promise.all(nodes.map((n) => n.setAudioOnly(who, audioOnly)));
  }

  async closeProducer(who: MediaParticipant, producerId: string): Promise<void> {
    return (await this.#nodeOfObject(who, producerId)).closeProducer(who, producerId);
  }

  /**
   * On the node that made it; a participant left with nothing on that node
   * leaves the node's broadcast too (its load drops: what a drain waits for).
   */
  async closeTransport(who: MediaParticipant, transportId: string): Promise<void> {
    const node = await this.#nodeOfObject(who, transportId);
    await node.closeTransport(who, transportId);
    const owned = this.#participants.get(who.participantId);
    const onNode = (id: string) => {
      const o = this.#objects.get(id);
      return o !== undefined && this.#channels.get(o.placed.url) === node;
    };
    // Producers and consumers close with their transport. Those adopted from a
    // resumed session are not known by transport (''): with no transport of the
    // participant left on the node, none of them is left there either. Kept,
    // they held the participant on the node: a drain saw its class still there
    // after it had moved, and set it up anew 10 s later (a frozen picture).
    const transportLeft = [...(owned?.objects ?? [])].some(
      (id) => id !== transportId && this.#objects.get(id)?.transportId === id && onNode(id),
    );
    for (const id of [...(owned?.objects ?? [])]) {
      const o = this.#objects.get(id);
      const gone =
        o?.transportId === transportId || (o?.transportId === '' && !transportLeft && onNode(id));
      if (!gone) continue;
      this.#objects.delete(id);
      owned?.objects.delete(id);
    }
    if (!this.#openNodesOf(who).includes(node)) await node.closeParticipant(who);
  }

  async closeParticipant(who: MediaParticipant): Promise<void> {
    await Promise.all(this.#forget(who).map((n) => n.closeParticipant(who)));
  }

  /** Kept on its nodes for their grace, for a resumed socket (on any instance) to adopt. */
  async detachParticipant(who: MediaParticipant): Promise<void> {
    await Promise.all(this.#forget(who).map((n) => n.detachParticipant(who)));
  }

  /**
   * A resumed socket's media, wherever it is: a classroom's node, the origin,
   * both during a move. Every live node is asked; what they hand over is
   * recorded as this instance's, so that later calls and the close reach it.
   * A node that a newer socket's adoption reached first refuses this one
   * (RESUME_SUPERSEDED): then nothing is kept here. What a node handed over
   * through a channel lost before every node answered is neither recorded nor
   * handed to the client: it went with that channel (its records were
   * forgotten then), and recorded after, it kept the class counted on the
   * node's next run (a drain of it waited 10 s, then set the class up anew).
   */
  async adoptParticipant(who: MediaParticipant, generation: number | null): Promise<AdoptedMedia> {
    const nodes = (await this.#nodes()).filter((n) => this.#usable(n));
    type Answer =
      | { placed: Placement; channel: RemoteMediaNode; adopted: AdoptedMedia }
      | { err: unknown };
    const answers = await Promise.all(
      nodes.map(async (n): Promise<Answer> => {
        try {
          const placed = await this.#open(n);
          const channel = this.#channelOf(placed);
          return { placed, channel, adopted: await channel.adoptParticipant(who, generation) };
        } catch (err) {
          return { err };
        }
      }),
    );
    const superseded = answers.find(
      (a) => 'err' in a && a.err instanceof AppError && a.err.code === 'RESUME_SUPERSEDED',
    );
    if (superseded && 'err' in superseded) {
      // What another node handed over meanwhile (the newer socket's adoption still on
      // its way there) is left detached for it, not kept by a socket that gives way.
      await Promise.allSettled(
        answers.map(async (a) => {
          if ('adopted' in a && !a.channel.closed) await a.channel.detachParticipant(who);
        }),
      );
      throw superseded.err;
    }
    const merged: AdoptedMedia = { transports: [], producerIds: [], consumerIds: [] };
    const held: Placement[] = [];
    for (const a of answers) {
      if (!('adopted' in a) || !this.#isCurrent(a.placed, a.channel)) continue;
      const { placed, adopted } = a;
      held.push(placed);
      for (const t of adopted.transports) this.#own(who, t.transportId, placed, t.transportId);
      for (const id of [...adopted.producerIds, ...adopted.consumerIds])
        this.#own(who, id, placed, '');
      merged.transports.push(...adopted.transports);
      merged.producerIds.push(...adopted.producerIds);
      merged.consumerIds.push(...adopted.consumerIds);
    }
    if (held.length > 0) {
      await this.#keepPlacement(who, held);
      return merged;
    }
    // The most telling refusal: another's session, then an expired one, then none.
    const codes = answers.map((a) => ('err' in a && a.err instanceof AppError ? a.err.code : null));
    for (const code of ['RESUME_INVALID', 'RESUME_EXPIRED', 'RESUME_UNKNOWN'] as const) {
      const i = codes.indexOf(code);
      if (i >= 0) throw (answers[i] as { err: AppError }).err;
    }
    throw new AppError('MEDIA_UNAVAILABLE', 'no media node could be asked for this session');
  }

  /**
   * A resumed class's node becomes this instance's placement of it, written to
   * Redis now rather than at its next media call (which may be long in coming):
   * else, with Redis restarted meanwhile, no instance writes it back and a
   * join of the class elsewhere would put it on another node. Its node is the
   * one Redis names when its media is on several (a move under way).
   */
  async #keepPlacement(who: MediaParticipant, held: Placement[]): Promise<void> {
    const { eventId, classroomId } = who;
    if (who.role !== 'classroom' || !classroomId) return;
    const { registry, log } = this.#opts;
    const named =
      held.length > 1
        ? await registry.classroomNodeOf(eventId, classroomId).catch(() => null)
        : null;
    const placed = held.find((p) => p.nodeId === named) ?? (held[0] as Placement);
    const now = await registry
      .placeClassroom(eventId, classroomId, placed.nodeId, null)
      .catch(() => placed.nodeId);
    if (now !== placed.nodeId) {
      log.warn(
        { eventId, classroomId, nodeId: placed.nodeId, now },
        'resumed classroom placed elsewhere meanwhile',
      );
      return;
    }
    const key = classroomKey(eventId, classroomId);
    if (!this.#classrooms.has(key)) this.#classrooms.set(key, Promise.resolve(placed));
  }

  /**
   * A node's channel is lost: what its participants had there went with it
   * (a node that lives on detaches them and closes them after their grace,
   * unless a resumed socket adopts them: recorded again then). Kept, these
   * records counted them on the node's next run under the same id, where
   * they have nothing: a drain of it asked them to move, waited 10 s for them
   * to leave, then set them up anew (a frozen picture). A viewer sets up anew
   * without closing its old media, so nothing else removed them.
   */
  #forgetObjectsOn(url: string): void {
    for (const owned of this.#participants.values()) {
      for (const id of [...owned.objects]) {
        if (this.#objects.get(id)?.placed.url !== url) continue;
        this.#objects.delete(id);
        owned.objects.delete(id);
      }
    }
  }

  /** Forgets the participant's media here; the nodes where it has some. */
  #forget(who: MediaParticipant): RemoteMediaNode[] {
    const nodes = this.#openNodesOf(who);
    const owned = this.#participants.get(who.participantId);
    this.#participants.delete(who.participantId);
    for (const id of owned?.objects ?? []) this.#objects.delete(id);
    // The class gone from this instance: its placement is no longer written back from here.
    const { eventId, classroomId } = who;
    if (
      classroomId &&
      ![...this.#participants.values()].some(
        (p) => p.who.eventId === eventId && p.who.classroomId === classroomId,
      )
    ) {
      this.#classrooms.delete(classroomKey(eventId, classroomId));
    }
    return nodes;
  }

  /** This instance's participants with media on the node (what a drain moves). */
  participantsOn(nodeId: string): MediaParticipant[] {
    return [...this.#participants.values()]
      .filter((p) => [...p.objects].some((id) => this.#objects.get(id)?.placed.nodeId === nodeId))
      .map((p) => p.who);
  }

  /**
   * What this instance records of the participant on the node (what keeps it
   * counted there, for a drain's warning): each object, whether it is a
   * transport, and the transport it is on ('' when adopted).
   */
  heldOn(participantId: string, nodeId: string): HeldObject[] {
    const held: HeldObject[] = [];
    for (const id of this.#participants.get(participantId)?.objects ?? []) {
      const o = this.#objects.get(id);
      if (o?.placed.nodeId !== nodeId) continue;
      held.push({ id, transport: o.transportId === id, transportId: o.transportId });
    }
    return held;
  }

  /** Closes the participant's media on that node only (a move the client did not make). */
  async releaseOn(who: MediaParticipant, nodeId: string): Promise<void> {
    const owned = this.#participants.get(who.participantId);
    let url: string | undefined;
    for (const id of [...(owned?.objects ?? [])]) {
      const o = this.#objects.get(id);
      if (o?.placed.nodeId !== nodeId) continue;
      url = o.placed.url;
      this.#objects.delete(id);
      owned?.objects.delete(id);
    }
    const channel = url ? this.#channels.get(url) : undefined;
    if (channel && !channel.closed) await channel.closeParticipant(who);
  }

  /** The event's producers, each from the node where it was made (the origin, and edges with a classroom on stage). */
  async listProducers(eventId: string): Promise<ProducerInfo[]> {
    const origin = await this.#origin(eventId);
    const edges = await this.#opts.registry.edgesOf(eventId).catch(() => [] as string[]);
    const nodes = edges.length ? await this.#nodes() : [];
    const lists = await Promise.all([
      this.#channelOf(origin).listProducers(eventId),
      ...nodes
        .filter((n) => edges.includes(n.nodeId) && n.nodeId !== origin.nodeId && this.#usable(n))
        .map((n) =>
          this.#channel(n)
            .listProducers(eventId)
            .catch(() => [] as ProducerInfo[]),
        ),
    ]);
    const byId = new Map<string, ProducerInfo>();
    for (const list of lists) for (const p of list) byId.set(p.producerId, p);
    return [...byId.values()];
  }

  async closeEvent(eventId: string): Promise<void> {
    const { registry } = this.#opts;
    const [originId, edges, nodes] = await Promise.all([
      registry.nodeOf(eventId),
      registry.edgesOf(eventId),
      registry.nodes(),
    ]);
    this.#origins.delete(eventId);
    this.#originUrls.delete(eventId);
    for (const key of [...this.#classrooms.keys()])
      if (key.startsWith(`${eventId}/`)) this.#classrooms.delete(key);
    for (const key of [...this.#edges.keys()])
      if (key.startsWith(`${eventId}/`)) this.#edges.delete(key);
    const close = (n: MediaNodeRegistration) =>
      this.#channel(n)
        .closeEvent(eventId)
        .catch((err: unknown) =>
          this.#opts.log.warn({ err, eventId, nodeId: n.nodeId }, 'closing an event failed'),
        );
    // Edges first: an edge whose origin closed first would pipe again from it.
    await Promise.all(
      nodes.filter((n) => n.nodeId !== originId && edges.includes(n.nodeId)).map(close),
    );
    await Promise.all(nodes.filter((n) => n.nodeId === originId).map(close));
    await registry.forget(eventId);
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#reasserting);
    const channels = [...this.#channels.values()];
    this.#channels.clear();
    await Promise.all(channels.map((c) => c.close()));
    await this.#opts.release?.();
  }

  /**
   * For a drain: this instance places no new event origin or classroom on
   * the node (the node's own `draining` flag does the same for every instance).
   */
  exclude(nodeId: string): void {
    this.#excluded.add(nodeId);
  }

  include(nodeId: string): void {
    this.#excluded.delete(nodeId);
  }

  /**
   * Places the classroom again on another node (least loaded, its region
   * first, never `from`) and gets the edge there fed: the classroom's next
   * transports go there, while its media on the former node stays until the
   * client closes it (make-before-break). Resolves with both nodes.
   */
  async moveClassroom(
    eventId: string,
    classroomId: string,
  ): Promise<{ from: string | null; to: string }> {
    const key = classroomKey(eventId, classroomId);
    const from = await this.#opts.registry.classroomNodeOf(eventId, classroomId);
    const placing = this.#placeClassroom(eventId, classroomId, { avoid: from });
    this.#classrooms.set(key, placing);
    placing.catch(() => {
      if (this.#classrooms.get(key) === placing) this.#classrooms.delete(key);
    });
    const placed = await placing;
    await this.#feed(eventId, placed);
    return { from, to: placed.nodeId };
  }

  /**
   * The event's edges this instance has fed, each with the node it fed it
   * from (as set up last): every instance's should be the registry's tree.
   */
  treeOf(eventId: string): Map<string, string> {
    const tree = new Map<string, string>();
    for (const [key, entry] of this.#edges) {
      if (!key.startsWith(`${eventId}/`) || !entry.parent) continue;
      tree.set(key.slice(eventId.length + 1), entry.parent.nodeId);
    }
    return tree;
  }

  /** Where a participant has its media: a classroom's own node, the origin for everyone else. */
  async #placementOf(who: MediaParticipant): Promise<Placement> {
    if (who.role !== 'classroom' || !who.classroomId) return this.#origin(who.eventId);
    const placed = await this.#classroom(who.eventId, who.classroomId);
    await this.#feed(who.eventId, placed);
    return placed;
  }

  async #origin(eventId: string): Promise<Placement> {
    if (this.#closed) throw new AppError('MEDIA_UNAVAILABLE', 'the media plane is closed');
    let placing = this.#origins.get(eventId);
    if (!placing) {
      placing = this.#placeOrigin(eventId);
      this.#origins.set(eventId, placing);
      placing.catch(() => this.#origins.delete(eventId));
    }
    const placed = await placing;
    if (this.#isOpen(placed)) {
      this.#originUrls.set(eventId, placed.url);
      return placed;
    }
    // The node went away since: place the event again.
    if (this.#origins.get(eventId) === placing) this.#origins.delete(eventId);
    return this.#origin(eventId);
  }

  async #classroom(eventId: string, classroomId: string): Promise<Placement> {
    if (this.#closed) throw new AppError('MEDIA_UNAVAILABLE', 'the media plane is closed');
    const key = classroomKey(eventId, classroomId);
    let placing = this.#classrooms.get(key);
    if (!placing) {
      placing = this.#placeClassroom(eventId, classroomId);
      this.#classrooms.set(key, placing);
      placing.catch(() => {
        if (this.#classrooms.get(key) === placing) this.#classrooms.delete(key);
      });
    }
    const placed = await placing;
    if (this.#isOpen(placed)) return placed;
    if (this.#classrooms.get(key) === placing) this.#classrooms.delete(key);
    return this.#classroom(eventId, classroomId);
  }

  async #placeOrigin(eventId: string): Promise<Placement> {
    const { registry, log } = this.#opts;
    const nodes = await this.#nodes();
    const alive = this.#placeable(nodes);
    const current = await registry.nodeOf(eventId);
    const there = alive.find((n) => n.nodeId === current);
    if (there) return this.#open(there);
    const choice = this.#choice(alive, alive);
    const placed = await registry.chooseOrigin(eventId, choice, current);
    if (placed === null) throw this.#refused(nodes, choice, { eventId });
    const node = nodes.find((n) => n.nodeId === placed);
    if (!node) throw new AppError('MEDIA_UNAVAILABLE', 'the event is on a media node that is gone');
    log.info(
      { eventId, nodeId: placed, replacing: current },
      'event origin placed on a media node',
    );
    return this.#open(node);
  }

  async #placeClassroom(
    eventId: string,
    classroomId: string,
    opts: { avoid?: string | null } = {},
  ): Promise<Placement> {
    const { registry, log } = this.#opts;
    const [nodes, current, regions] = await Promise.all([
      this.#nodes(),
      registry.classroomNodeOf(eventId, classroomId),
      this.#regionsOf(classroomId),
    ]);
    const live = this.#placeable(nodes);
    const alive = live.filter((n) => n.nodeId !== opts.avoid);
    const there = opts.avoid === undefined ? alive.find((n) => n.nodeId === current) : undefined;
    if (there) return this.#open(there);
    const local = alive.filter((n) => n.region !== null && regions.includes(norm(n.region)));
    const choice = this.#choice(live, alive, local);
    const placed = await registry.chooseClassroomNode(eventId, classroomId, choice, current);
    if (placed === null) throw this.#refused(nodes, choice, { eventId, classroomId });
    const node = nodes.find((n) => n.nodeId === placed);
    if (!node) {
      throw new AppError('MEDIA_UNAVAILABLE', 'the classroom is on a media node that is gone');
    }
    log.info(
      { eventId, classroomId, nodeId: placed, replacing: current, region: node.region },
      'classroom placed on a media node',
    );
    return this.#open(node);
  }

  /**
   * A classroom's node other than the origin is an edge: it must be fed by a
   * pipe from the origin of now, or from an edge fed from it when the origin
   * already feeds as many edges as its `maxPipes` (a tree, nearest free node
   * first, recorded in Redis so that every instance builds the same one).
   * Made on first need, made again after the origin or the parent changed,
   * checked again every few seconds.
   */
  async #feed(eventId: string, placed: Placement, depth = 0): Promise<void> {
    const origin = await this.#origin(eventId);
    if (origin.nodeId === placed.nodeId) return;
    const key = `${eventId}/${placed.nodeId}`;
    const known = this.#edges.get(key);
    if (
      known &&
      known.origin === origin.nodeId &&
      Date.now() - known.at < EDGE_RECHECK_MS &&
      (known.parent === undefined || this.#isOpen(known.parent))
    ) {
      return known.ready;
    }
    const entry: EdgeEntry = { origin: origin.nodeId, at: Date.now(), ready: Promise.resolve() };
    entry.ready = (async () => {
      const parent = await this.#parentFor(eventId, origin, placed);
      entry.parent = parent;
      if (parent.nodeId !== origin.nodeId) {
        if (depth >= MAX_TREE_DEPTH) {
          throw new AppError(
            'MEDIA_UNAVAILABLE',
            'the media nodes of this event form too deep a tree',
          );
        }
        await this.#feed(eventId, parent, depth + 1);
      }
      const { created, pipeId } = await this.#channelOf(placed).edgeEnsure(eventId, parent);
      if (created) {
        this.#opts.log.info(
          { eventId, edge: placed.nodeId, parent: parent.nodeId, origin: origin.nodeId, pipeId },
          'edge node fed by a pipe',
        );
      }
    })();
    this.#edges.set(key, entry);
    entry.ready.catch(() => {
      if (this.#edges.get(key) === entry) this.#edges.delete(key);
    });
    return entry.ready;
  }

  /**
   * The node that feeds `placed`: the one recorded if it still reaches the
   * origin, else the nearest node to the origin with a pipe to spare, chosen
   * and recorded in one step in the registry (two instances feeding two
   * edges at once would otherwise both take the last free pipe).
   */
  async #parentFor(eventId: string, origin: Placement, placed: Placement): Promise<Placement> {
    const nodes = await this.#nodes();
    const alive = new Map(nodes.filter((n) => this.#usable(n)).map((n) => [n.nodeId, n]));
    const parentId = await this.#opts.registry.chooseParent(eventId, placed.nodeId, origin.nodeId, [
      ...alive.keys(),
    ]);
    if (parentId === origin.nodeId) return origin;
    const parent = alive.get(parentId);
    if (!parent) throw new AppError('MEDIA_UNAVAILABLE', 'the edge feeding this one is gone');
    return this.#open(parent);
  }

  async #regionsOf(classroomId: string): Promise<string[]> {
    const lookup = this.#opts.regionsOf;
    if (!lookup) return [];
    let regions = this.#regions.get(classroomId);
    if (!regions) {
      regions = lookup(classroomId).then(
        (r) => r.map(norm),
        (err: unknown) => {
          this.#opts.log.warn({ err, classroomId }, 'classroom region unknown');
          this.#regions.delete(classroomId);
          return [];
        },
      );
      this.#regions.set(classroomId, regions);
    }
    return regions;
  }

  /**
   * The registered nodes, read at most every NODES_FRESH_MS: a join storm
   * asks for them per classroom (reservations cover what a heartbeat has not
   * counted yet).
   */
  #nodes(): Promise<MediaNodeRegistration[]> {
    const cached = this.#nodesRead;
    if (cached && Date.now() - cached.at < NODES_FRESH_MS) return cached.nodes;
    const nodes = this.#opts.registry.nodes();
    const read = { at: Date.now(), nodes };
    this.#nodesRead = read;
    nodes.catch(() => {
      if (this.#nodesRead === read) this.#nodesRead = undefined;
    });
    return nodes;
  }

  /** Alive as far as this instance knows, and open to new placements. */
  #usable(n: MediaNodeRegistration): boolean {
    return (this.#failed.get(n.nodeId) ?? 0) < Date.now();
  }

  /**
   * What a placement may choose: the registered nodes this instance has not
   * lost lately or, when it lost every one, all of them. A channel dropped for
   * silence may have been a live node starved a moment (it heart-beats on):
   * with the other node dead, avoiding it for 10 s refused every class told
   * to set media up again ('no media node has room', bench:cluster at load
   * 22-25). Its channel is opened anew (#open); one really gone fails there.
   */
  #placeable(nodes: MediaNodeRegistration[]): MediaNodeRegistration[] {
    const usable = nodes.filter((n) => this.#usable(n));
    return usable.length > 0 ? usable : nodes;
  }

  /**
   * What a placement chooses among (the registry weighs their load): `live`
   * as this instance sees them, `open` those of them it may choose, less any
   * excluded here (a drain), `preferred` tried first.
   */
  #choice(
    live: MediaNodeRegistration[],
    open: MediaNodeRegistration[],
    preferred: MediaNodeRegistration[] = [],
  ): NodeChoice {
    const ids = (list: MediaNodeRegistration[]) =>
      list.filter((n) => !this.#excluded.has(n.nodeId)).map((n) => n.nodeId);
    return { live: live.map((n) => n.nodeId), open: ids(open), preferred: ids(preferred) };
  }

  /** A placement that found no node: why, said once in the log, and the refusal to answer. */
  #refused(
    nodes: MediaNodeRegistration[],
    choice: NodeChoice,
    ids: { eventId: string; classroomId?: string },
  ): AppError {
    const { shortfall, error } = placementRefusal(nodes, choice);
    this.#opts.log.warn(
      { ...ids, shortfall, registered: nodes.length, open: choice.open.length },
      `placement refused: ${error.message}`,
    );
    return error;
  }

  async #open(node: MediaNodeRegistration): Promise<Placement> {
    const channel = this.#channel(node);
    try {
      await channel.ready();
    } catch (err) {
      this.#failed.set(node.nodeId, Date.now() + (this.#opts.avoidFailedMs ?? 10_000));
      throw err;
    }
    // Its channel open again: alive, whatever dropped it before.
    this.#failed.delete(node.nodeId);
    return { nodeId: node.nodeId, url: node.url };
  }

  /** The channel is still the node's, open: what came through it is on the node's current run. */
  #isCurrent(placed: Placement, channel: RemoteMediaNode): boolean {
    return this.#channels.get(placed.url) === channel && !channel.closed;
  }

  #isOpen(placed: Placement): boolean {
    const channel = this.#channels.get(placed.url);
    return channel !== undefined && !channel.closed;
  }

  #channelOf(placed: Placement): RemoteMediaNode {
    const channel = this.#channels.get(placed.url);
    if (!channel || channel.closed) {
      throw new AppError('MEDIA_UNAVAILABLE', `the media node ${placed.nodeId} is unreachable`);
    }
    return channel;
  }

  /** The node that made this transport, producer or consumer; else where the participant is placed. */
  async #nodeOfObject(who: MediaParticipant, id: string): Promise<RemoteMediaNode> {
    const placed = this.#objects.get(id)?.placed ?? (await this.#placementOf(who));
    return this.#channelOf(placed);
  }

  #own(who: MediaParticipant, id: string, placed: Placement, transportId: string): void {
    this.#objects.set(id, { placed, transportId });
    let owned = this.#participants.get(who.participantId);
    if (!owned) {
      owned = { who, objects: new Set() };
      this.#participants.set(who.participantId, owned);
    }
    owned.objects.add(id);
  }

  /** The open channels of the nodes where the participant has media objects. */
  #openNodesOf(who: MediaParticipant): RemoteMediaNode[] {
    const urls = new Set<string>();
    for (const id of this.#participants.get(who.participantId)?.objects ?? []) {
      const o = this.#objects.get(id);
      if (o) urls.add(o.placed.url);
    }
    return [...urls]
      .map((url) => this.#channels.get(url))
      .filter((c): c is RemoteMediaNode => c !== undefined && !c.closed);
  }

  async #reassert(): Promise<void> {
    // Thousands of classrooms: one round of writes at a time, sent together.
    if (this.#reassertRunning) return;
    this.#reassertRunning = true;
    try {
      const { registry } = this.#opts;
      await Promise.all([
        this.#writeBack(this.#origins, (eventId, nodeId) => registry.place(eventId, nodeId, null)),
        this.#writeBack(this.#classrooms, (key, nodeId) => {
          const [eventId, classroomId] = key.split('/') as [string, string];
          return registry.placeClassroom(eventId, classroomId, nodeId, null);
        }),
        this.#writeBackTree(),
      ]);
    } finally {
      this.#reassertRunning = false;
    }
  }

  /**
   * The edges this instance fed, each from its parent, where Redis lost them:
   * else the next parent choice would see their parents' pipes free.
   */
  async #writeBackTree(): Promise<void> {
    const { registry } = this.#opts;
    await Promise.all(
      [...this.#edges].map(async ([key, entry]) => {
        if (!entry.parent) return;
        const [eventId, edgeId] = [key.slice(0, key.indexOf('/')), key.slice(key.indexOf('/') + 1)];
        await registry.keepEdge(eventId, edgeId, entry.parent.nodeId).catch(() => {});
      }),
    );
  }

  async #writeBack(
    placements: Map<string, Promise<Placement>>,
    write: (key: string, nodeId: string) => Promise<string>,
  ): Promise<void> {
    await Promise.all(
      [...placements].map(async ([key, placing]) => {
        const placed = await placing.catch(() => null);
        if (!placed) return;
        const now = await write(key, placed.nodeId).catch(() => placed.nodeId);
        if (now === placed.nodeId) return;
        this.#opts.log.warn({ key, was: placed.nodeId, now }, 'placed elsewhere meanwhile');
        if (placements.get(key) === placing) placements.delete(key);
      }),
    );
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
    channel.on('produceradded', ({ eventId, producer }) =>
      this.#producers.set(producer.producerId, { eventId, url: node.url, producer }),
    );
    channel.on('producerclosed', ({ producer }) => this.#producers.delete(producer.producerId));
    for (const event of EVENTS) {
      channel.on(event, (...args: unknown[]) =>
        (this.emit as (e: string, ...a: unknown[]) => boolean)(event, ...args),
      );
    }
    return channel;
  }

  /**
   * Its channel closed: avoid the node until its registration has expired,
   * and close the producers that were on it. Its participants are reported
   * lost by its channel; where it was an event's origin, the event's
   * participants on edges are reported lost too: their edges' pipes went with
   * it, and they set media up again once the speakers have a new origin.
   */
  #nodeLost(nodeId: string, url: string): void {
    this.#failed.set(nodeId, Date.now() + (this.#opts.avoidFailedMs ?? 10_000));
    this.#channels.delete(url);
    this.#forgetObjectsOn(url);
    for (const [id, p] of [...this.#producers]) {
      if (p.url !== url) continue;
      this.#producers.delete(id);
      this.emit('producerclosed', { eventId: p.eventId, producer: p.producer });
    }
    const events = new Set<string>();
    for (const [eventId, originUrl] of this.#originUrls) {
      if (originUrl !== url) continue;
      events.add(eventId);
      this.#originUrls.delete(eventId);
    }
    if (events.size === 0) return;
    const onEdges = [...this.#participants.values()].filter(
      (p) =>
        events.has(p.who.eventId) &&
        [...p.objects].some((id) => this.#objects.get(id)?.placed.url !== url),
    );
    this.#opts.log.warn(
      { nodeId, events: [...events], participants: onEdges.length },
      'origin node lost: its events’ participants on edges set their media up again',
    );
    for (const p of onEdges) this.emit('participantlost', p.who);
  }
}

const norm = (region: string) => region.trim().toLowerCase();
