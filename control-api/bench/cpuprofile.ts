// Top functions of a V8 CPU profile (`node --cpu-prof`), optionally within a time window
// (CLOCK_MONOTONIC µs, as the benchmark's `stormWindowUs` gives it). Given a folder, it reads
// the largest profile in it: the main thread's (tsx's loader thread writes a small one).
//
//   node --import tsx control-api/bench/cpuprofile.ts <file or folder> [--from µs --to µs] [--top 20]
//   node --import tsx control-api/bench/cpuprofile.ts <file or folder> --window bench/results/upvotes-….json

import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    from: { type: 'string' },
    to: { type: 'string' },
    window: { type: 'string' },
    top: { type: 'string', default: '20' },
  },
});
const given = positionals[0];
if (!given) {
  process.stderr.write(
    'usage: cpuprofile.ts <file.cpuprofile> [--from µs --to µs | --window result.json]\n',
  );
  process.exit(2);
}

async function largestProfile(dir: string): Promise<string> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.cpuprofile'));
  const sized = await Promise.all(
    files.map(async (f) => ({ f: path.join(dir, f), size: (await stat(path.join(dir, f))).size })),
  );
  const largest = sized.sort((a, b) => b.size - a.size)[0];
  if (!largest) throw new Error(`no .cpuprofile in ${dir}`);
  return largest.f;
}

const file = (await stat(given)).isDirectory() ? await largestProfile(given) : given;
const profile = JSON.parse(await readFile(file, 'utf8')) as Profile;
let from = values.from ? Number(values.from) : Number.NEGATIVE_INFINITY;
let to = values.to ? Number(values.to) : Number.POSITIVE_INFINITY;
if (values.window) {
  const result = JSON.parse(await readFile(values.window, 'utf8')) as {
    stormWindowUs?: { from: number; to: number };
  };
  if (!result.stormWindowUs) throw new Error(`${values.window} has no stormWindowUs`);
  ({ from, to } = result.stormWindowUs);
}

const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

const label = (n: ProfileNode) => {
  const { functionName, url, lineNumber } = n.callFrame;
  const where = url ? `${path.basename(url.replace(/^file:\/\//, ''))}:${lineNumber + 1}` : '';
  return `${functionName || '(anonymous)'}${where ? ` ${where}` : ''}`;
};

const self = new Map<string, number>();
const total = new Map<string, number>();
let t = profile.startTime;
let windowUs = 0;
for (let i = 0; i < profile.samples.length; i++) {
  t += profile.timeDeltas[i] ?? 0;
  const dt = profile.timeDeltas[i + 1] ?? 0;
  if (t < from || t > to) continue;
  windowUs += dt;
  const leaf = byId.get(profile.samples[i] as number);
  if (!leaf) continue;
  self.set(label(leaf), (self.get(label(leaf)) ?? 0) + dt);
  const seen = new Set<string>();
  for (let id: number | undefined = leaf.id; id !== undefined; id = parent.get(id)) {
    const l = label(byId.get(id) as ProfileNode);
    if (seen.has(l)) continue;
    seen.add(l);
    total.set(l, (total.get(l) ?? 0) + dt);
  }
}

const top = Number(values.top);
const ms = (us: number) => (us / 1000).toFixed(0).padStart(7);
const pct = (us: number) => `${((100 * us) / Math.max(1, windowUs)).toFixed(1).padStart(5)}%`;
const print = (title: string, m: Map<string, number>) => {
  process.stdout.write(`${title}\n`);
  for (const [name, us] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    process.stdout.write(`${ms(us)} ms ${pct(us)}  ${name}\n`);
  }
};
const idle = self.get('(idle)') ?? 0;
process.stdout.write(
  `window ${(windowUs / 1e6).toFixed(2)} s, busy ${((windowUs - idle) / 1e6).toFixed(2)} s (${pct(windowUs - idle).trim()})\n`,
);
print('self time:', self);
print('total time (inclusive):', total);
