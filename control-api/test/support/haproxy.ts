import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureDebianPackages } from '../../../scripts/debian-packages.mjs';
import { getFreePort } from '../../src/ports.ts';
import { listening } from './listening.ts';

const CONFIG = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../../deploy/haproxy/haproxy.cfg',
);

/** Debian's HAProxy running the deployment's own config (deploy/haproxy/haproxy.cfg). */
export interface Balancer {
  readonly url: string;
  /** What HAProxy printed (warnings: servers going down and up). */
  readonly output: () => string;
  close(): Promise<void>;
}

/** Starts HAProxy in front of two control-api instances (`host:port` each). */
export async function startBalancer(instances: [string, string]): Promise<Balancer> {
  ensureDebianPackages(['haproxy']);
  const port = await getFreePort();
  let out = '';
  const child: ChildProcess = spawn('haproxy', ['-db', '-f', CONFIG], {
    env: {
      ...process.env,
      AMPHI_LISTEN: `127.0.0.1:${port}`,
      AMPHI_API_1: instances[0],
      AMPHI_API_2: instances[1],
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (c: Buffer) => {
    out += c;
  });
  child.stderr?.on('data', (c: Buffer) => {
    out += c;
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 10_000;
  while (!(await listening(port))) {
    if (child.exitCode !== null || Date.now() > deadline)
      throw new Error(`HAProxy did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `http://127.0.0.1:${port}`,
    output: () => out,
    close: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
