import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
// The constant alone (its module imports nothing at run time), not the media server.
import { KEY_FRAME_REQUEST_DELAY_MS } from '../../media-server/src/mediaCodecs.ts';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      srv.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/**
 * Amphi as `npm start` runs it (control-api, embedded PostgreSQL, mediasoup
 * workers), in its own process so that /proc tells its CPU apart from the
 * simulator's, with a database of its own in a fresh folder (removed at
 * stop); the demo is off and the REST rate limit raised, the simulator being
 * one address that issues hundreds of links.
 */
export class LocalServer {
  readonly url: string;
  readonly operatorToken: string;
  /** The speakers' producers' key-frame request delay it runs with. */
  readonly keyFrameRequestDelayMs: number;
  readonly #child: ChildProcess;
  #output = '';

  readonly #dataDir: string;

  private constructor(
    child: ChildProcess,
    url: string,
    operatorToken: string,
    dataDir: string,
    keyFrameRequestDelayMs: number,
  ) {
    this.#child = child;
    this.#dataDir = dataDir;
    this.url = url;
    this.operatorToken = operatorToken;
    this.keyFrameRequestDelayMs = keyFrameRequestDelayMs;
  }

  get pid(): number {
    return this.#child.pid as number;
  }

  static async start(
    opts: { workers?: number; keyFrameRequestDelayMs?: number } = {},
  ): Promise<LocalServer> {
    const port = await freePort();
    // Its own folder (two runs, or two test files, never share a database), removed at stop.
    await mkdir(join(tmpdir(), 'amphi-loadtest'), { recursive: true });
    const dataDir = await mkdtemp(join(tmpdir(), 'amphi-loadtest', 'server-'));
    const operatorToken = randomBytes(24).toString('base64url');
    const keyFrameRequestDelayMs =
      opts.keyFrameRequestDelayMs ??
      Number(process.env.MEDIA_KEY_FRAME_REQUEST_DELAY_MS ?? KEY_FRAME_REQUEST_DELAY_MS);
    const child = spawn(process.execPath, ['--import', 'tsx', 'control-api/src/main.ts'], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        HOST: '127.0.0.1',
        PORT: String(port),
        DATA_DIR: dataDir,
        OPERATOR_TOKEN: operatorToken,
        SEED_DEMO: 'false',
        LOG_LEVEL: process.env.LOADTEST_SERVER_LOG_LEVEL ?? 'warn',
        API_RATE_PER_MINUTE: '100000',
        ...(opts.workers ? { MEDIA_WORKERS: String(opts.workers) } : {}),
        MEDIA_KEY_FRAME_REQUEST_DELAY_MS: String(keyFrameRequestDelayMs),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const server = new LocalServer(
      child,
      `http://127.0.0.1:${port}`,
      operatorToken,
      dataDir,
      keyFrameRequestDelayMs,
    );
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(new Error(`the server did not start in 120 s:\n${server.#output.slice(-2000)}`)),
        120_000,
      );
      const onData = (chunk: Buffer) => {
        server.#output = (server.#output + chunk.toString()).slice(-20_000);
        if (server.#output.includes('Amphi control-api on')) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the server exited (${code}):\n${server.#output.slice(-2000)}`));
      });
    });
    return server;
  }

  /**
   * Signals it to stop without waiting (what a dying simulator can still do,
   * from its 'exit' handler, so that no server outlives it).
   */
  signalStop(): void {
    if (this.#child.exitCode === null) this.#child.kill('SIGTERM');
  }

  /** Stops it as Ctrl-C would (the database is shut down cleanly). */
  async stop(): Promise<void> {
    if (this.#child.exitCode === null) {
      const exited = new Promise((r) => this.#child.once('exit', r));
      this.#child.kill('SIGTERM');
      const timer = setTimeout(() => this.#child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    }
    await rm(this.#dataDir, { recursive: true, force: true });
  }
}
