// The per-packet floor (see send-floor.c): SRTP-like encryption + one loopback
// UDP send per packet, no SFU. The fan-out bench prints it beside the worker's
// cost per packet, as what no worker can go below on this machine.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { access, mkdir, readFile, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);
const SOURCE = fileURLToPath(new URL('./send-floor.c', import.meta.url));

export type FloorCipher = 'gcm' | 'cm';

export type Floor = {
  cipher: FloorCipher;
  packets: number;
  /** CPU time (user + system) per packet sent, microseconds. */
  usPerPacket: number;
};

async function buildSendFloor(binDir = join(tmpdir(), 'amphi-send-floor')): Promise<string> {
  const source = await readFile(SOURCE);
  const dir = join(binDir, createHash('sha1').update(source).digest('hex'));
  const bin = join(dir, 'send-floor');
  try {
    await access(bin);
    return bin;
  } catch {
    // not built yet
  }
  await mkdir(dir, { recursive: true });
  const tmp = `${bin}.${process.pid}.tmp`;
  try {
    await execFileAsync('gcc', ['-O2', '-Wall', '-Wextra', '-o', tmp, SOURCE, '-lcrypto']);
    await rename(tmp, bin);
  } catch (err) {
    await rm(tmp, { force: true });
    throw new Error(`compiling send-floor.c failed: ${(err as Error).message}`);
  }
  return bin;
}

/**
 * Sends `packetsPerSec` for `seconds` to the sink's ports from a process
 * pinned to `cpu`, and returns its CPU time per packet.
 */
export async function measureFloor(opts: {
  firstPort: number;
  ports: number;
  cpu: number;
  packetsPerSec: number;
  seconds: number;
  cipher: FloorCipher;
}): Promise<Floor> {
  const bin = await buildSendFloor();
  const { stdout } = await execFileAsync('taskset', [
    '-c',
    String(opts.cpu),
    bin,
    String(opts.firstPort),
    String(opts.ports),
    String(opts.packetsPerSec),
    String(opts.seconds),
    opts.cipher,
  ]);
  const r = JSON.parse(stdout.trim()) as { packets: number; cpuUs: number; wallUs: number };
  return { cipher: opts.cipher, packets: r.packets, usPerPacket: r.cpuUs / r.packets };
}
