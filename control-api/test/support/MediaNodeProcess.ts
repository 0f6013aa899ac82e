import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** One `npm run media-node` process as an operator runs it on a host; its output kept. */
export class MediaNodeProcess {
  out = '';
  readonly exited: Promise<void>;

  private constructor(readonly child: ChildProcess) {
    const keep = (chunk: Buffer) => {
      this.out += chunk.toString();
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  /** Starts it and waits for its start-up line (it is registered by then). */
  static async start(env: Record<string, string>): Promise<MediaNodeProcess> {
    const child = spawn(process.execPath, ['--import', 'tsx', 'control-api/src/mediaNodeMain.ts'], {
      cwd: ROOT,
      env: {
        ...process.env,
        MEDIA_NODE_PORT: '0',
        MEDIA_WORKERS: '1',
        LOG_LEVEL: 'warn',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const node = new MediaNodeProcess(child);
    const deadline = Date.now() + 30_000;
    while (!/Amphi media node \S+ on ws:/.test(node.out)) {
      if (child.exitCode !== null || Date.now() > deadline)
        throw new Error(`the media node did not start:\n${node.out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return node;
  }

  /** kill -9, as a host going away would. */
  async crash(): Promise<void> {
    this.child.kill('SIGKILL');
    await this.exited;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    await this.exited;
  }
}
