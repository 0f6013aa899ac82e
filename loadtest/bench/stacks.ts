// Which Node WebRTC stack holds the most receive-only classrooms per core:
// node-datachannel (libdatachannel), @roamhq/wrtc (libwebrtc) and werift (pure
// TypeScript), each in its own process (stackPeers.ts) against a real mediasoup
// worker, measured in one run. CPU is the peers' process only (the worker is
// another process), less the same process's CPU with the broadcast alone.
//
//   npm run bench:stacks -w loadtest -- --peers 40 --seconds 10
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import type { StackName } from './stackPeers.ts';

const execFileAsync = promisify(execFile);
const STACKS: StackName[] = ['node-datachannel', '@roamhq/wrtc', 'werift'];

interface StackResult {
  stack: StackName;
  peers: number;
  connected: number;
  receiving: number;
  failed: number;
  error?: string;
  cpuPerPeerPct: number;
  peersPerCore: number | null;
  rssPerPeerMb: number;
  packetsPerPeerPerSec: number;
  setupP50Ms: number | null;
}

async function runStack(stack: StackName, peers: number, seconds: number) {
  const script = fileURLToPath(new URL('./stackPeers.ts', import.meta.url));
  try {
    const { stdout } = await execFileAsync(
      process.execPath,
      [
        '--import',
        'tsx',
        script,
        '--stack',
        stack,
        '--peers',
        String(peers),
        '--seconds',
        String(seconds),
      ],
      { timeout: (seconds * 3 + 60) * 1000, maxBuffer: 1 << 20 },
    );
    const line = stdout.trim().split('\n').at(-1) ?? '';
    return JSON.parse(line) as StackResult;
  } catch (err) {
    // A stack that does not install or crashes is reported as such, not skipped.
    return { stack, failedToRun: String((err as Error).message).split('\n')[0] };
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      peers: { type: 'string', default: '40' },
      seconds: { type: 'string', default: '10' },
      out: { type: 'string' },
    },
  });
  const peers = Number(values.peers);
  const seconds = Number(values.seconds);
  const results = [];
  for (const stack of STACKS) results.push(await runStack(stack, peers, seconds));

  const rows = results.map((r) =>
    'failedToRun' in r
      ? `| ${r.stack} | did not run: ${r.failedToRun} | | | | | |`
      : `| ${r.stack} | ${r.receiving}/${r.peers} | ${r.cpuPerPeerPct.toFixed(2)} | ${r.peersPerCore ? Math.round(r.peersPerCore) : '-'} | ${r.rssPerPeerMb.toFixed(1)} | ${Math.round(r.packetsPerPeerPerSec)} | ${r.setupP50Ms?.toFixed(0) ?? '-'} |`,
  );
  const ok = results.filter(
    (r): r is StackResult => !('failedToRun' in r) && r.peersPerCore !== null,
  );
  const best = ok.sort((a, b) => (b.peersPerCore ?? 0) - (a.peersPerCore ?? 0))[0];
  const ref = best?.peersPerCore ?? 1;
  process.stdout.write(
    [
      `Receive-only peers, VP8 ~300 kb/s + Opus, ${seconds} s window, one run`,
      '| stack | receiving | CPU % per peer | peers per core | RSS MB per peer | packets/s per peer | set-up p50 ms |',
      '|---|---|---|---|---|---|---|',
      ...rows,
      '',
      ...ok.map((r) => `${r.stack}: ${((r.peersPerCore ?? 0) / ref).toFixed(2)} x the best`),
      '',
    ].join('\n'),
  );
  const out = values.out ?? fileURLToPath(new URL('./results/stacks.json', import.meta.url));
  await mkdir(dirname(out), { recursive: true });
  await writeFile(out, `${JSON.stringify({ peers, seconds, results }, null, 2)}\n`);
  process.stdout.write(
    `stacks best=${best?.stack ?? 'none'} peers_per_core=${best?.peersPerCore ? Math.round(best.peersPerCore) : 0} ${ok
      .map((r) => `${r.stack.replace(/^@roamhq\//, '')}=${Math.round(r.peersPerCore ?? 0)}`)
      .join(' ')}\n`,
  );
}

void main();
