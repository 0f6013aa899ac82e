import { type ChildProcess, spawn } from 'node:child_process';
import { getFreePort } from '../../src/ports.ts';
import { listening } from './listening.ts';

/**
 * A redis-server of one test file's own, on a spare loopback port, that the
 * test kills (as a crash: no shutdown) and starts again on the same port. No
 * persistence, as in the tests' shared one: a restart comes back empty.
 */
export class RedisProcess {
  #proc: ChildProcess | undefined;
  private constructor(readonly port: number) {}

  static async start(): Promise<RedisProcess> {
    const redis = new RedisProcess(await getFreePort());
    await redis.start();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.#proc !== undefined && this.#proc.exitCode === null && !this.#proc.signalCode;
  }

  async start(): Promise<void> {
    this.#proc = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    const deadline = Date.now() + 10_000;
    while (!(await listening(this.port))) {
      if (Date.now() > deadline) throw new Error(`redis-server not listening on ${this.port}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** kill -9: whatever was in memory is gone. */
  async kill(): Promise<void> {
    const proc = this.#proc;
    if (!proc || proc.exitCode !== null || proc.signalCode) return;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGKILL');
    await exited;
  }
}
