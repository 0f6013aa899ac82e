import dgram from 'node:dgram';

/**
 * A UDP relay on the egress's side: the media server's plain transport sends
 * to its port (the OS picks it, and it stays the egress's for its life), and
 * it forwards each datagram to `ip:to`, where FFmpeg listens. FFmpeg binds its
 * own ports, which another program may take before it does; the relay lets
 * the egress start FFmpeg again on other ports (`forwardTo`) without asking
 * the media server for new transports. Nothing is forwarded before a target.
 */
export class UdpRelay {
  readonly #socket: dgram.Socket;
  readonly #ip: string;
  #to: number | undefined;
  #closed = false;

  private constructor(socket: dgram.Socket, ip: string) {
    this.#socket = socket;
    this.#ip = ip;
  }

  /**
   * Listens on `ip` (a port the OS picks); `inspect` sees each datagram with
   * its arrival time and says whether it goes on.
   */
  static async start(
    ip: string,
    inspect?: (msg: Buffer, at: number) => boolean,
  ): Promise<UdpRelay> {
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, ip, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    const relay = new UdpRelay(socket, ip);
    socket.on('error', () => {});
    socket.on('message', (msg) => {
      if (inspect && !inspect(msg, Date.now())) return;
      if (relay.#to !== undefined) socket.send(msg, relay.#to, relay.#ip);
    });
    return relay;
  }

  /** The port the media server sends to. */
  get port(): number {
    return this.#socket.address().port;
  }

  /** Where the datagrams go from now on (FFmpeg's port on `ip`). */
  forwardTo(port: number): void {
    this.#to = port;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#socket.close();
  }
}
