import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * A weak school downlink for one browser on loopback: an HTB class at
 * `kbit` for the UDP packets sent to one local port (the classroom's ICE
 * candidate), everything else untouched. Needs root (tc on `lo`). This
 * kernel has no netem, so the link is slow rather than lossy: packets queue,
 * then drop, as on a saturated school line.
 */
export class WeakDownlink {
  #applied = false;

  private constructor() {}

  /** Null (with the reason) when traffic shaping is not permitted here. */
  static async probe(): Promise<string | null> {
    try {
      await run('tc', ['qdisc', 'show', 'dev', 'lo']);
      if (process.getuid?.() !== 0) return 'traffic shaping on lo needs root';
      return null;
    } catch (err) {
      return `tc is not usable: ${(err as Error).message}`;
    }
  }

  static async limit(port: number, kbit: number): Promise<WeakDownlink> {
    const link = new WeakDownlink();
    const tc = (args: string) => run('tc', args.split(' '));
    await tc('qdisc replace dev lo root handle 1: htb default 10');
    link.#applied = true;
    await tc('class add dev lo parent 1: classid 1:10 htb rate 20gbit');
    await tc(`class add dev lo parent 1: classid 1:20 htb rate ${kbit}kbit ceil ${kbit}kbit`);
    // A short queue (about 400 ms at this rate), then drops.
    const limitBytes = Math.max(3000, Math.round((kbit * 1000 * 0.4) / 8));
    await tc(`qdisc add dev lo parent 1:20 handle 20: bfifo limit ${limitBytes}`);
    await tc(
      `filter add dev lo protocol ip parent 1: prio 1 u32 match ip protocol 17 0xff match ip dport ${port} 0xffff flowid 1:20`,
    );
    return link;
  }

  /** Bytes and drops of the shaped class (to show the link really was the bottleneck). */
  async stats(): Promise<{ sentBytes: number; dropped: number }> {
    const { stdout } = await run('tc', ['-s', 'class', 'show', 'dev', 'lo', 'classid', '1:20']);
    const m = /Sent (\d+) bytes \d+ pkt \(dropped (\d+)/.exec(stdout);
    return { sentBytes: Number(m?.[1] ?? 0), dropped: Number(m?.[2] ?? 0) };
  }

  /** The network is fine again. */
  async release(): Promise<void> {
    if (!this.#applied) return;
    this.#applied = false;
    await run('tc', ['qdisc', 'del', 'dev', 'lo', 'root']).catch(() => {});
  }
}
