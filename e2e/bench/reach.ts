// npm run bench:reach: a classroom in Chromium on a simulated school network
// (e2e/test/reach.test.ts: a network namespace, nftables as the school's
// firewall, coturn on the host) reaching the talk each way, and the first
// decoded frame after opening the link for each path. Needs root. Prints a
// table, writes JSON to bench/results/, and ends with one line:
//
//   reach udp_ms=A tcp_ms=B turn_tls_ms=C turn_tls_remembered_ms=D
//
// turn_tls_ms is a school's first join (the direct rung given up first);
// turn_tls_remembered_ms the next one, which starts on the relay it remembered.

import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const PATHS = ['udp_ms', 'tcp_ms', 'turn_tls_ms', 'turn_tls_remembered_ms'] as const;

const tmp = await mkdtemp(path.join(os.tmpdir(), 'amphi-reach-'));
const out = path.join(tmp, 'figures.json');
try {
  const run = spawnSync('npx', ['vitest', 'run', '--project', 'e2e', 'test/reach.test.ts'], {
    cwd: ROOT,
    stdio: 'inherit',
    env: { ...process.env, AMPHI_REACH_RESULTS: out },
  });
  const figures = JSON.parse(await readFile(out, 'utf8').catch(() => '{}')) as Record<
    string,
    number
  >;
  const dir = path.join(ROOT, 'bench/results');
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `reach-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  const line = `reach ${PATHS.map((k) => `${k}=${figures[k] ?? 'NA'}`).join(' ')}`;
  await writeFile(
    file,
    `${JSON.stringify({ figures, testsPassed: run.status === 0, line }, null, 2)}\n`,
  );
  console.log(`\nwritten: ${path.relative(ROOT, file)}`);
  console.log(line);
  process.exitCode = run.status ?? 1;
} finally {
  await rm(tmp, { recursive: true, force: true });
}
