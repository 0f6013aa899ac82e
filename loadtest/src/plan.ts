// Capacity planning for a national event: how many cores, media nodes and how
// much egress N classrooms need, from a measured classrooms-per-core figure.
// Pure arithmetic, so that every figure docs/capacity.md quotes is tested.

/** What one plan is computed from; every field is an assumption the output states. */
export interface PlanInput {
  /** Classrooms watching at once. */
  classrooms: number;
  /** What one classroom receives, in kbit/s of media (the video layer it is sent + Opus). */
  kbps: number;
  /** Classrooms one core's mediasoup worker holds (bench:fanout's figure). */
  perCore: number;
  /** Share of CPU kept free (join storms, key frames, a worker restarting elsewhere): 0.3 = 30 %. */
  cpuHeadroom: number;
  /** Share of the NIC's line rate kept free (key-frame bursts, retransmissions): 0.2 = 20 %. */
  nicHeadroom: number;
  /** Bytes the packets add to the media (IP, UDP, RTP header and extensions, SRTP tag), as a share. */
  overhead: number;
}

/** A media node's shape: its cores and its NIC. */
export interface NodeShape {
  cores: number;
  /** Cores not running a media worker (the OS, the node process). */
  reservedCores: number;
  /** NIC line rate, Gbit/s. */
  nicGbps: number;
}

export type Limit = 'cpu' | 'nic';

export interface NodePlan {
  node: NodeShape;
  /** Cores that run media workers. */
  workerCores: number;
  /** Classrooms one node holds by its CPU, headroom kept. */
  cpuClassrooms: number;
  /** Classrooms one node holds by its NIC, headroom kept. */
  nicClassrooms: number;
  /** The smaller of the two decides. */
  limit: Limit;
  perNode: number;
  nodes: number;
  /** Worker cores across the nodes (what is bought, not what is busy). */
  totalCores: number;
  /** Egress of one node, full, Gbit/s on the wire. */
  egressPerNodeGbps: number;
  /**
   * Worker cores above which this NIC, not the CPU, is the limit (headroom kept
   * on both sides); fractional.
   */
  nicBoundAboveCores: number;
}

export interface Plan {
  input: PlanInput;
  /** kbit/s one classroom costs on the wire (media + packet overhead). */
  wireKbps: number;
  /** Total egress towards the classrooms, Gbit/s on the wire. */
  egressGbps: number;
  /** Classrooms one core holds with the CPU headroom kept. */
  usablePerCore: number;
  /** Worker cores the audience needs, whatever the node shape. */
  coresNeeded: number;
}

/** kbit/s of one classroom on the wire. */
export function wireKbps(input: Pick<PlanInput, 'kbps' | 'overhead'>): number {
  return input.kbps * (1 + input.overhead);
}

export function planEvent(input: PlanInput): Plan {
  validate(input);
  const wire = wireKbps(input);
  const usablePerCore = input.perCore * (1 - input.cpuHeadroom);
  return {
    input,
    wireKbps: wire,
    egressGbps: (input.classrooms * wire) / 1e6,
    usablePerCore,
    coresNeeded: Math.ceil(input.classrooms / usablePerCore),
  };
}

/** How a given node shape serves the plan: which of CPU and NIC limits it, and how many nodes. */
export function planNodes(plan: Plan, node: NodeShape): NodePlan {
  if (!(node.cores > node.reservedCores) || node.reservedCores < 0) {
    throw new RangeError(
      `a node needs more cores (${node.cores}) than it reserves (${node.reservedCores})`,
    );
  }
  if (!(node.nicGbps > 0)) throw new RangeError('the NIC line rate must be positive');
  const workerCores = node.cores - node.reservedCores;
  const cpuClassrooms = Math.floor(plan.usablePerCore * workerCores);
  const nicKbps = node.nicGbps * 1e6 * (1 - plan.input.nicHeadroom);
  const nicClassrooms = Math.floor(nicKbps / plan.wireKbps);
  const limit: Limit = nicClassrooms < cpuClassrooms ? 'nic' : 'cpu';
  const perNode = Math.min(cpuClassrooms, nicClassrooms);
  if (perNode < 1) throw new RangeError('one node holds no classroom with these figures');
  const nodes = Math.ceil(plan.input.classrooms / perNode);
  return {
    node,
    workerCores,
    cpuClassrooms,
    nicClassrooms,
    limit,
    perNode,
    nodes,
    totalCores: nodes * workerCores,
    egressPerNodeGbps: (perNode * plan.wireKbps) / 1e6,
    nicBoundAboveCores: nicKbps / plan.wireKbps / plan.usablePerCore,
  };
}

/** The per-classroom bitrate above which a node's NIC fills before its cores (headroom kept). */
export function nicBoundAboveKbps(plan: Plan, node: NodeShape): number {
  const nicKbps = node.nicGbps * 1e6 * (1 - plan.input.nicHeadroom);
  const cpuClassrooms = plan.usablePerCore * (node.cores - node.reservedCores);
  return nicKbps / cpuClassrooms / (1 + plan.input.overhead);
}

function validate(input: PlanInput): void {
  const positive = ['classrooms', 'kbps', 'perCore'] as const;
  for (const k of positive) {
    if (!(input[k] > 0)) throw new RangeError(`${k} must be positive (got ${input[k]})`);
  }
  for (const k of ['cpuHeadroom', 'nicHeadroom'] as const) {
    if (!(input[k] >= 0 && input[k] < 1)) throw new RangeError(`${k} must be in [0, 1)`);
  }
  if (!(input.overhead >= 0)) throw new RangeError('overhead must be >= 0');
}
