import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { getFreePort } from '../../src/ports.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/**
 * One `node control-api/src/main.ts` process as an operator runs it, its
 * output kept; crashed with kill -9 or stopped.
 */
export class ControlApiProcess {
  out = '';
  readonly exited: Promise<number | null>;
  private constructor(
    readonly child: ChildProcess,
    readonly url: string,
  ) {
    const keep = (chunk: Buffer) => {
      this.out += chunk.toString();
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  /** `env` adds to or overrides the defaults (loopback, a spare port, one worker, no demo pattern). */
  static async start(env: Record<string, string>, args: string[] = []): Promise<ControlApiProcess> {
    const port = await getFreePort();
    const child = spawn(process.execPath, ['--import', 'tsx', 'control-api/src/main.ts', ...args], {
      cwd: ROOT,
      env: {
        ...process.env,
        PORT: String(port),
        HOST: '127.0.0.1',
        DEMO_TEST_PATTERN: 'false',
        MEDIA_WORKERS: '1',
        LOG_LEVEL: 'warn',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, so the tests can kill it with its children.
      detached: true,
    });
    return new ControlApiProcess(child, `http://127.0.0.1:${port}`);
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Ms until /healthz answers 200; throws with the output if it exits or times out. */
  async healthyWithin(timeoutMs: number): Promise<number> {
    const started = Date.now();
    while (Date.now() - started < timeoutMs) {
      if (!this.running) throw new Error(`exited (${this.child.exitCode}):\n${this.out}`);
      try {
        if ((await fetch(`${this.url}/healthz`)).status === 200) return Date.now() - started;
      } catch {}
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`no healthy /healthz after ${timeoutMs} ms:\n${this.out}`);
  }

  /** Resolves once the start-up banner (it ends with a blank line) is printed. */
  async banner(): Promise<string> {
    const deadline = Date.now() + 10_000;
    while (!/Amphi control-api on [^\n]*\n[\s\S]*\n\n/.test(this.out) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    return this.out;
  }

  /** kill -9 of the control-api process alone, as a crash or the OOM killer would. */
  async crash(): Promise<void> {
    this.child.kill('SIGKILL');
    await this.exited;
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    await this.exited;
  }

  /** Whatever is left of its process group. */
  killGroup(): void {
    try {
      process.kill(-(this.child.pid as number), 'SIGKILL');
    } catch {}
  }
}
