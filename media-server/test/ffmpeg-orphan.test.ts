import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ffmpegAvailable } from '../src/ingest/FfmpegTestSource.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const sockets: dgram.Socket[] = [];
let orphan: number | undefined;

afterAll(() => {
  for (const s of sockets) s.close();
  if (orphan && running(orphan)) process.kill(orphan, 'SIGKILL');
});

/** Whether the process runs (a zombie nobody reaped does not). */
function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

async function udpPort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  sockets.push(s);
  return s.address().port;
}

describe.runIf(await ffmpegAvailable())('FfmpegTestSource', () => {
  it('an FFmpeg that runs for as long as its server dies with it when the server is killed (SIGKILL: no exit hook)', async () => {
    const server = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        path.join(here, 'support/ffmpegParent.ts'),
        ...[await udpPort(), await udpPort()].map(String),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const pid = await new Promise<number>((resolve, reject) => {
      server.stdout.once('data', (d) => resolve(JSON.parse(String(d)).pid));
      server.once('exit', (code) => reject(new Error(`server exited first (${code})`)));
    });
    orphan = pid;
    // FFmpeg runs and keeps running (a second is plenty to exit if it would).
    await new Promise((r) => setTimeout(r, 1000));
    expect(running(pid)).toBe(true);

    server.kill('SIGKILL');
    await expect.poll(() => running(pid), { timeout: 3000, interval: 100 }).toBe(false);
  });
});
