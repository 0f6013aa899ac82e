import { execFile } from 'node:child_process';
import net, { type AddressInfo } from 'node:net';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * One classroom's own line to a server on loopback, which the test can cut
 * as a school's network goes down: no close, no reset, just silence. The
 * classroom opens the apps through a TCP relay on a port of its own (the
 * other participants use the server's port and keep their line); a cut drops
 * every packet to and from that port and the classroom's media ports (tc on
 * `lo`; this kernel has no netem nor drop action, so the packets go to a
 * class with a zero-length queue). Needs root.
 */
export class ClassroomLine {
  readonly #relay: net.Server;
  readonly #sockets = new Set<net.Socket>();
  #cut = false;

  private constructor(relay: net.Server) {
    this.#relay = relay;
  }

  /** Null (with the reason) when traffic control is not permitted here. */
  static async probe(): Promise<string | null> {
    try {
      await run('tc', ['qdisc', 'show', 'dev', 'lo']);
      if (process.getuid?.() !== 0) return 'cutting a line on lo needs root';
      return null;
    } catch (err) {
      return `tc is not usable: ${(err as Error).message}`;
    }
  }

  /** A relay to the server at `target` (http://127.0.0.1:port). */
  static async open(target: string): Promise<ClassroomLine> {
    const { hostname, port } = new URL(target);
    const relay = net.createServer();
    const line = new ClassroomLine(relay);
    relay.on('connection', (client) => {
      const server = net.connect(Number(port), hostname);
      for (const s of [client, server]) {
        line.#sockets.add(s);
        s.on('close', () => line.#sockets.delete(s));
        s.on('error', () => {});
      }
      client.pipe(server).pipe(client);
      client.on('close', () => server.destroy());
      server.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
    return line;
  }

  get port(): number {
    return (this.#relay.address() as AddressInfo).port;
  }

  /** The server as the classroom reaches it (localhost: a secure context). */
  get url(): string {
    return `http://localhost:${this.port}`;
  }

  /**
   * Cuts the line: the relay's port (unless `signaling` is false: the media
   * alone is cut) and these ports, both ways, go silent.
   */
  async cut({
    signaling = true,
    udp = [],
    tcp = [],
  }: {
    signaling?: boolean;
    udp?: number[];
    tcp?: number[];
  }): Promise<void> {
    const tc = (args: string) => run('tc', args.split(' '));
    await tc('qdisc replace dev lo root handle 1: htb default 10');
    this.#cut = true;
    await tc('class add dev lo parent 1: classid 1:10 htb rate 20gbit');
    await tc('class add dev lo parent 1: classid 1:30 htb rate 8bit ceil 8bit');
    await tc('qdisc add dev lo parent 1:30 handle 30: pfifo limit 0');
    const drop = async (protocol: number, port: number) => {
      for (const side of ['dport', 'sport']) {
        await tc(
          `filter add dev lo protocol ip parent 1: prio 1 u32 match ip protocol ${protocol} 0xff match ip ${side} ${port} 0xffff flowid 1:30`,
        );
      }
    };
    if (signaling) await drop(6, this.port);
    for (const port of tcp) await drop(6, port);
    for (const port of udp) await drop(17, port);
  }

  /** Packets dropped by the cut so far (the line really was silent). */
  async dropped(): Promise<number> {
    const { stdout } = await run('tc', ['-s', 'class', 'show', 'dev', 'lo', 'classid', '1:30']);
    return Number(/dropped (\d+)/.exec(stdout)?.[1] ?? 0);
  }

  /** The line is back. */
  async restore(): Promise<void> {
    if (!this.#cut) return;
    this.#cut = false;
    await run('tc', ['qdisc', 'del', 'dev', 'lo', 'root']).catch(() => {});
  }

  async close(): Promise<void> {
    await this.restore();
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => this.#relay.close(() => resolve()));
  }
}
