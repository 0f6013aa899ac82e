// npm run plan -- --classrooms 10000 --kbps 1100 [--per-core N] [--node-cores 16]
//   [--reserved-cores 1] [--nic-gbps 10] [--cpu-headroom 0.3] [--nic-headroom 0.2]
//   [--overhead 0.05] [--json]
// Prints the assumptions, a table of node shapes (the chosen one marked) and a
// last summary line. docs/capacity.md explains each figure.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  type NodePlan,
  type NodeShape,
  nicBoundAboveKbps,
  type Plan,
  planEvent,
  planNodes,
} from './plan.ts';
import { latestPerCore, type PerCoreFigure } from './planFigures.ts';

const RESULTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bench/results');

/** Common media-server shapes, for the table beside the chosen one. */
const SHAPES: NodeShape[] = [
  { cores: 8, reservedCores: 1, nicGbps: 10 },
  { cores: 16, reservedCores: 1, nicGbps: 10 },
  { cores: 32, reservedCores: 1, nicGbps: 10 },
  { cores: 32, reservedCores: 1, nicGbps: 25 },
  { cores: 64, reservedCores: 2, nicGbps: 25 },
  { cores: 64, reservedCores: 2, nicGbps: 100 },
];

export interface PlanArgs {
  classrooms: number;
  kbps: number;
  perCore: PerCoreFigure;
  node: NodeShape;
  cpuHeadroom: number;
  nicHeadroom: number;
  overhead: number;
  json: boolean;
}

function number(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new UsageError(`--${name} takes a number (got "${value}")`);
  return n;
}

export class UsageError extends Error {}

export function readArgs(argv: string[], resultsDir = RESULTS): PlanArgs {
  const { values } = parseArgs({
    args: argv,
    options: {
      classrooms: { type: 'string' },
      kbps: { type: 'string' },
      'per-core': { type: 'string' },
      'node-cores': { type: 'string' },
      'reserved-cores': { type: 'string' },
      'nic-gbps': { type: 'string' },
      'cpu-headroom': { type: 'string' },
      'nic-headroom': { type: 'string' },
      overhead: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const perCoreFlag = values['per-core'];
  const perCore: PerCoreFigure =
    perCoreFlag === undefined
      ? latestPerCore(resultsDir)
      : { perCore: number('per-core', perCoreFlag, 0), kind: 'assumed', source: '--per-core' };
  return {
    classrooms: number('classrooms', values.classrooms, 10_000),
    kbps: number('kbps', values.kbps, 1_100),
    perCore,
    node: {
      cores: number('node-cores', values['node-cores'], 16),
      reservedCores: number('reserved-cores', values['reserved-cores'], 1),
      nicGbps: number('nic-gbps', values['nic-gbps'], 10),
    },
    cpuHeadroom: number('cpu-headroom', values['cpu-headroom'], 0.3),
    nicHeadroom: number('nic-headroom', values['nic-headroom'], 0.2),
    overhead: number('overhead', values.overhead, 0.05),
    json: values.json ?? false,
  };
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const pct = (share: number) => `${Math.round(share * 100)} %`;
const shapeName = (s: NodeShape) => `${s.cores}c/${s.nicGbps}G`;

export function formatTable(rows: { plan: NodePlan; chosen: boolean }[]): string[] {
  const header = [
    'node',
    'worker cores',
    'by CPU',
    'by NIC',
    'limit',
    'per node',
    'nodes',
    'cores',
    'Gbps/node',
    'NIC-bound above',
  ];
  const cells = rows.map(({ plan: p, chosen }) => [
    `${chosen ? '*' : ' '}${shapeName(p.node)}`,
    String(p.workerCores),
    int(p.cpuClassrooms),
    int(p.nicClassrooms),
    p.limit.toUpperCase(),
    int(p.perNode),
    String(p.nodes),
    String(p.totalCores),
    p.egressPerNodeGbps.toFixed(2),
    `${p.nicBoundAboveCores.toFixed(1)} cores`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => c.padStart(widths[i] ?? 0)).join('  ');
  return [line(header), ...cells.map(line)];
}

export function summaryLine(plan: Plan, chosen: NodePlan): string {
  return (
    `plan classrooms=${plan.input.classrooms} kbps=${plan.input.kbps} per_core=${plan.input.perCore} ` +
    `cores=${plan.coresNeeded} nodes=${chosen.nodes} node=${shapeName(chosen.node)} ` +
    `limit=${chosen.limit} egress_gbps=${plan.egressGbps.toFixed(2)} ` +
    `nic_bound_above_cores=${chosen.nicBoundAboveCores.toFixed(1)}`
  );
}

export function report(args: PlanArgs): { lines: string[]; plan: Plan; chosen: NodePlan } {
  const plan = planEvent({
    classrooms: args.classrooms,
    kbps: args.kbps,
    perCore: args.perCore.perCore,
    cpuHeadroom: args.cpuHeadroom,
    nicHeadroom: args.nicHeadroom,
    overhead: args.overhead,
  });
  const chosen = planNodes(plan, args.node);
  const same = (s: NodeShape) => s.cores === args.node.cores && s.nicGbps === args.node.nicGbps;
  const shapes = SHAPES.some(same) ? SHAPES : [...SHAPES, args.node];
  const rows = shapes.map((s) => ({
    plan: same(s) ? chosen : planNodes(plan, s),
    chosen: same(s),
  }));
  const lines = [
    `Capacity plan for ${int(plan.input.classrooms)} classrooms at ${int(plan.input.kbps)} kbit/s each`,
    '',
    'Assumptions (flags override):',
    `  per core      ${int(plan.input.perCore)} classrooms, ${args.perCore.kind} (${args.perCore.source})`,
    `  CPU headroom  ${pct(plan.input.cpuHeadroom)} kept free: ${int(plan.usablePerCore)} classrooms per worker core`,
    `  overhead      ${pct(plan.input.overhead)} (IP/UDP/RTP/SRTP): ${int(plan.wireKbps)} kbit/s per classroom on the wire`,
    `  NIC           ${args.node.nicGbps} Gbit/s line rate, ${pct(plan.input.nicHeadroom)} kept free`,
    `  node          ${args.node.cores} cores, ${args.node.reservedCores} reserved (OS, node process), one worker per other core`,
    '',
    `Worker cores needed: ${plan.coresNeeded}; egress to classrooms: ${plan.egressGbps.toFixed(2)} Gbit/s`,
    '',
    ...formatTable(rows),
    '',
    chosen.limit === 'nic'
      ? `On ${shapeName(chosen.node)} the NIC is the limit: it fills at ${int(chosen.nicClassrooms)} classrooms, ` +
        `while the cores would hold ${int(chosen.cpuClassrooms)} (NIC-bound above ` +
        `${chosen.nicBoundAboveCores.toFixed(1)} worker cores, or above ` +
        `${int(nicBoundAboveKbps(plan, chosen.node))} kbit/s per classroom).`
      : `On ${shapeName(chosen.node)} the CPU is the limit; its NIC would fill only above ` +
        `${chosen.nicBoundAboveCores.toFixed(1)} worker cores, or above ` +
        `${int(nicBoundAboveKbps(plan, chosen.node))} kbit/s per classroom.`,
    summaryLine(plan, chosen),
  ];
  return { lines, plan, chosen };
}

function main(): void {
  let args: PlanArgs;
  try {
    args = readArgs(process.argv.slice(2));
    const { lines, plan, chosen } = report(args);
    if (args.json) console.log(JSON.stringify({ plan, chosen, perCore: args.perCore }, null, 2));
    else for (const l of lines) console.log(l);
  } catch (err) {
    if (err instanceof UsageError || err instanceof RangeError || isParseArgsError(err)) {
      console.error(`plan: ${(err as Error).message}`);
      process.exit(2);
    }
    throw err;
  }
}

function isParseArgsError(err: unknown): boolean {
  return err instanceof TypeError && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
