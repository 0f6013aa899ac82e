import type { MediaNodeRegistration, MediaNodeSummary } from '@amphi/protocol';
import { AppError } from '../../errors.ts';
import type { RoomMember } from '../../live/EventRoom.ts';
import type { Logger } from '../../logger.ts';
import type { MediaParticipant } from '../MediaNode.ts';
import type { HeldObject } from '../remote/ClusterMediaNode.ts';
import type { NodeDrains } from './NodeDrains.ts';

/** What the drain needs of the cluster's media plane (`ClusterMediaNode`). */
export interface DrainableMedia {
  /** This instance places nothing new on the node / may again. */
  exclude(nodeId: string): void;
  include(nodeId: string): void;
  /** This instance's participants with media open on the node. */
  participantsOn(nodeId: string): MediaParticipant[];
  /** Places the classroom on another node, its edge fed there: its next transports go there. */
  moveClassroom(eventId: string, classroomId: string): Promise<{ from: string | null; to: string }>;
  /** Closes the participant's media on that node only. */
  releaseOn(who: MediaParticipant, nodeId: string): Promise<void>;
  /** What keeps the participant counted on the node (said in the warning of a move not made). */
  heldOn?(participantId: string, nodeId: string): HeldObject[];
}

/** What the drain reads of the registry (`MediaNodeRegistry`). */
export interface DrainRegistry {
  nodes(): Promise<MediaNodeRegistration[]>;
  classroomNodeOf(eventId: string, classroomId: string): Promise<string | null>;
  classroomsOn(nodeId: string): Promise<{ eventId: string; classroomId: string }[]>;
  /** Events whose origin is on the node. */
  originsOn(nodeId: string): Promise<string[]>;
}

/**
 * The drain's default pace, per instance (MEDIA_DRAIN_BATCH, MEDIA_DRAIN_INTERVAL_MS):
 * 5 classrooms every 250 ms. 103 classes on one instance moved in 5.0 s, longest
 * gap under 300 ms as at 500 ms, which took 10 s; 10 per 500 ms had gaps up to 447 ms.
 */
export const DRAIN_PACING = { batchSize: 5, intervalMs: 250 } as const;

export interface NodeDrainerOptions {
  drains: NodeDrains;
  media: DrainableMedia;
  registry: DrainRegistry;
  /** This instance's socket of a participant (the live hub's). */
  member: (eventId: string, participantId: string) => RoomMember | undefined;
  log: Logger;
  /** Classrooms asked to move per tick, ticks every `intervalMs` (default: DRAIN_PACING). */
  batchSize?: number;
  intervalMs?: number;
  /** A classroom still on the node this long after it was asked to move is set up anew (default 10 s). */
  moveTimeoutMs?: number;
}

interface Move {
  who: MediaParticipant;
  nodeId: string;
  since: number;
}

/**
 * Drains media nodes for maintenance, in every control-api instance alike:
 * the operators' records (`NodeDrains`, in Redis) say which nodes drain; this
 * instance places nothing new there, and moves its own sockets' classrooms
 * off them, a few per tick so that the new nodes' pipes and the speakers'
 * key frames are not asked all at once. A move is make-before-break: the
 * classroom is placed on another node (its edge fed there first), its client
 * is told (`media.move`), receives from the new node, swaps its tracks and
 * closes its old transport, which lets go of the old node. A client still on
 * the node after `moveTimeoutMs` (an old client, a failed move) has its media
 * there closed and sets it up anew (`media.reconnect`). A node is drained
 * once nobody has media on it; an event whose origin it is keeps it until the
 * event ends.
 */
export class NodeDrainer {
  readonly #opts: NodeDrainerOptions;
  readonly #moving = new Map<string, Move>();
  /** Nodes this instance has seen draining, so that it says once when each is drained. */
  readonly #draining = new Set<string>();
  #timer: ReturnType<typeof setInterval> | null = null;
  #ticking = false;
  #closed = false;

  constructor(opts: NodeDrainerOptions) {
    this.#opts = opts;
  }

  start(): void {
    if (this.#timer || this.#closed) return;
    this.#timer = setInterval(
      () => void this.tick(),
      this.#opts.intervalMs ?? DRAIN_PACING.intervalMs,
    );
    this.#timer.unref();
  }

  close(): void {
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    this.#moving.clear();
  }

  /** Moves in flight from this instance. */
  get moving(): number {
    return this.#moving.size;
  }

  /** An operator drains the node (or stops draining it): every instance follows within a tick. */
  async setDraining(nodeId: string, draining: boolean): Promise<MediaNodeSummary> {
    const { registry, drains, log } = this.#opts;
    const known = (await registry.nodes()).some((n) => n.nodeId === nodeId);
    if (!known && !drains.known(nodeId)) {
      throw new AppError('NOT_FOUND', `no media node ${nodeId} is registered`);
    }
    await drains.set(nodeId, draining);
    log.info({ nodeId, draining }, draining ? 'media node drain asked' : 'media node drain ended');
    await this.tick();
    const summary = (await this.summaries()).find((n) => n.nodeId === nodeId);
    if (!summary) throw new AppError('NOT_FOUND', `media node ${nodeId} stopped heart-beating`);
    return summary;
  }

  /** Every node alive, with its drain state. */
  async summaries(): Promise<MediaNodeSummary[]> {
    const { registry, drains } = this.#opts;
    const [nodes, records] = await Promise.all([registry.nodes(), drains.read()]);
    return Promise.all(
      nodes
        .sort((a, b) => a.nodeId.localeCompare(b.nodeId))
        .map(async (n) => {
          const record = records.get(n.nodeId);
          const draining = n.draining || record?.draining === true;
          const [classrooms, origins] = await Promise.all([
            registry.classroomsOn(n.nodeId),
            registry.originsOn(n.nodeId),
          ]);
          return {
            nodeId: n.nodeId,
            region: n.region,
            capacity: n.capacity,
            load: n.load,
            state: !draining ? 'active' : n.load === 0 ? 'drained' : 'draining',
            classrooms: classrooms.length,
            origins,
            drainingSince: record?.draining === true ? new Date(record.at).toISOString() : null,
            seenAt: new Date(n.at).toISOString(),
          } satisfies MediaNodeSummary;
        }),
    );
  }

  /** One step: follow the records, settle the moves in flight, start the next few. */
  async tick(): Promise<void> {
    if (this.#ticking || this.#closed) return;
    this.#ticking = true;
    try {
      await this.#step();
    } catch (err) {
      // Redis away: the exclusions stay as they were, the next tick tries again.
      this.#opts.log.debug({ err }, 'drain step skipped');
    } finally {
      this.#ticking = false;
    }
  }

  async #step(): Promise<void> {
    const { drains, media, log } = this.#opts;
    const records = await drains.reassert();
    const draining = new Set<string>();
    for (const [nodeId, record] of records) {
      if (record.draining) {
        draining.add(nodeId);
        media.exclude(nodeId);
      } else {
        media.include(nodeId);
      }
    }
    const now = Date.now();
    for (const [participantId, move] of [...this.#moving]) {
      const still = media
        .participantsOn(move.nodeId)
        .some((p) => p.participantId === participantId);
      if (!still || !draining.has(move.nodeId)) {
        this.#moving.delete(participantId);
        if (!still)
          log.info(
            { ...ids(move.who), nodeId: move.nodeId, ms: now - move.since },
            'classroom moved off a draining node',
          );
      } else if (now - move.since > (this.#opts.moveTimeoutMs ?? 10_000)) {
        this.#moving.delete(participantId);
        void this.#setUpAnew(move);
      }
    }
    let budget = this.#opts.batchSize ?? DRAIN_PACING.batchSize;
    const inFlightCap = 4 * budget;
    for (const nodeId of draining) {
      const left = media.participantsOn(nodeId);
      const classrooms = left.filter((p) => p.role === 'classroom' && p.classroomId);
      if (left.length === 0 && this.#draining.has(nodeId)) {
        log.info({ nodeId }, 'media node drained of this instance’s participants');
        this.#draining.delete(nodeId);
      } else if (left.length > 0) {
        this.#draining.add(nodeId);
      }
      for (const who of classrooms) {
        if (budget === 0 || this.#moving.size >= inFlightCap) return;
        if (this.#moving.has(who.participantId)) continue;
        const member = this.#opts.member(who.eventId, who.participantId);
        // Its socket is gone: closing it closes its media there too.
        if (!member) continue;
        budget--;
        const move = { who, nodeId, since: Date.now() };
        this.#moving.set(who.participantId, move);
        void this.#move(move, member);
      }
    }
  }

  async #move(move: Move, member: RoomMember): Promise<void> {
    const { registry, media, log } = this.#opts;
    const { who, nodeId } = move;
    const classroomId = who.classroomId as string;
    try {
      // Another instance (another socket of the class) may have placed it elsewhere already.
      if ((await registry.classroomNodeOf(who.eventId, classroomId)) === nodeId) {
        const { to } = await media.moveClassroom(who.eventId, classroomId);
        log.info({ ...ids(who), from: nodeId, to }, 'classroom placed off a draining node');
      }
      move.since = Date.now();
      member.push('media.move', {
        reason: 'drain',
        message: 'the media server is being drained: moving to another one',
      });
    } catch (err) {
      // No other node has room (or is reachable): tried again next tick.
      log.warn({ err, ...ids(who), nodeId }, 'moving a classroom off a draining node failed');
      if (this.#moving.get(who.participantId) === move) this.#moving.delete(who.participantId);
    }
  }

  /** The client did not move in time: its media there is closed, and it sets it up anew. */
  async #setUpAnew(move: Move): Promise<void> {
    const { media, log } = this.#opts;
    log.warn(
      {
        ...ids(move.who),
        nodeId: move.nodeId,
        held: media.heldOn?.(move.who.participantId, move.nodeId) ?? [],
      },
      'classroom did not move in time: set up anew',
    );
    await media.releaseOn(move.who, move.nodeId).catch(() => {});
    this.#opts.member(move.who.eventId, move.who.participantId)?.mediaLost();
  }
}

const ids = (who: MediaParticipant) => ({
  eventId: who.eventId,
  classroomId: who.classroomId,
  participantId: who.participantId,
});
