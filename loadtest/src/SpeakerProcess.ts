import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { CaptureClock } from './StreamMeter.ts';
import { noUplink, type SpeakerUplink } from './SyntheticSpeaker.ts';
import type { FromSpeaker, ToSpeaker } from './speakerMain.ts';

/**
 * The synthetic speaker run in a child process (speakerMain.ts): its timers
 * are not held up by hundreds of classrooms in the simulator's event loop.
 * Its video sender reports come back over IPC; the monotonic clock is the
 * machine's, so the capture clock they give holds here too.
 */
export class SpeakerProcess {
  readonly #child: ChildProcess;
  #sr: { ntpMs: number; rtpTimestamp: number } | null = null;
  #uplink: SpeakerUplink & { at: number } = { at: 0, ...noUplink() };

  private constructor(child: ChildProcess) {
    this.#child = child;
    child.on('message', (m: FromSpeaker) => {
      if (m.type === 'sr') {
        this.#sr = { ntpMs: m.ntpMs, rtpTimestamp: m.rtpTimestamp };
        this.#uplink = { ...m.uplink, at: m.ntpMs };
      }
    });
  }

  static async start(opts: {
    baseUrl: string;
    eventId: string;
    token: string;
  }): Promise<SpeakerProcess> {
    const child = fork(fileURLToPath(new URL('./speakerMain.ts', import.meta.url)), [], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const speaker = new SpeakerProcess(child);
    await new Promise<void>((resolve, reject) => {
      const onMessage = (m: FromSpeaker) => {
        if (m.type === 'ready') resolve();
        else if (m.type === 'failed') reject(new Error(`the speaker did not start: ${m.message}`));
        else return;
        child.off('message', onMessage);
      };
      child.on('message', onMessage);
      child.once('exit', (code) => reject(new Error(`the speaker process exited (${code})`)));
      child.send({ type: 'start', ...opts } satisfies ToSpeaker);
    });
    return speaker;
  }

  /** What the speaker sent so far, as of its last sender report (every 500 ms; `at` its time). */
  get uplink(): SpeakerUplink & { at: number } {
    return this.#uplink;
  }

  /** The video's capture time of an RTP timestamp, from the last sender report sent. */
  readonly captureClock: CaptureClock = (ts) => {
    const sr = this.#sr;
    if (!sr) return null;
    return sr.ntpMs + (((ts - sr.rtpTimestamp) | 0) / 90_000) * 1000;
  };

  /** Drops the speaker's signaling socket as a cut line would; it comes back and publishes again. */
  dropConnection(): void {
    this.#child.send({ type: 'drop' } satisfies ToSpeaker);
  }

  close(): void {
    if (this.#child.exitCode !== null || !this.#child.connected) return;
    this.#child.send({ type: 'close' } satisfies ToSpeaker);
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 5000);
    this.#child.once('exit', () => clearTimeout(timer));
  }
}
