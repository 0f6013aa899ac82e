import { randomBytes, randomUUID } from 'node:crypto';
import net from 'node:net';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import {
  api,
  type ControlPlaneFixture,
  key,
  refusal,
  TestClient,
  useControlPlane,
} from './support/harness.ts';

/** Every line the instance logs, parsed; a test filters what it needs. */
function capturedLog() {
  const lines: Record<string, unknown>[] = [];
  const log = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s)) });
  return { log, lines };
}

/**
 * A WebSocket client written on the bare TCP socket, as a hostile one would
 * be: it never answers the server's close frame and keeps writing frames,
 * which the `ws` client refuses to do.
 */
class RawSocket {
  readonly texts: string[] = [];
  /** The server's close frame: when it came, with its code and reason. */
  closeFrame: { at: number; code: number; reason: string } | null = null;
  /** When the server cut the TCP connection. */
  closedAt: number | null = null;
  sentAfterClose = 0;
  readonly #socket: net.Socket;
  #buffer = Buffer.alloc(0);

  private constructor(socket: net.Socket, rest: Buffer) {
    this.#socket = socket;
    socket.on('data', (chunk: Buffer) => this.#read(chunk));
    socket.on('close', () => {
      this.closedAt ??= performance.now();
    });
    socket.on('error', () => {});
    this.#read(rest);
  }

  static open(wsUrl: string): Promise<RawSocket> {
    const url = new URL(wsUrl);
    return new Promise((resolve, reject) => {
      const socket = net.connect(Number(url.port), url.hostname);
      let head = Buffer.alloc(0);
      const onData = (chunk: Buffer) => {
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf('\r\n\r\n');
        if (end === -1) return;
        socket.off('data', onData);
        const status = head.subarray(0, end).toString().split('\r\n')[0] ?? '';
        if (!status.includes(' 101 ')) {
          socket.destroy();
          reject(new Error(`upgrade refused: ${status}`));
          return;
        }
        resolve(new RawSocket(socket, head.subarray(end + 4)));
      };
      socket.on('data', onData);
      socket.once('error', reject);
      socket.write(
        `GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\n` +
          `Connection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\n` +
          'Sec-WebSocket-Version: 13\r\n\r\n',
      );
    });
  }

  get open(): boolean {
    return this.closedAt === null;
  }

  /** Writes one masked text frame, whatever the state of the conversation. */
  sendText(text: string): void {
    if (!this.open) return;
    const payload = Buffer.from(text);
    const mask = randomBytes(4);
    const len = payload.length;
    const head =
      len < 126
        ? Buffer.from([0x81, 0x80 | len])
        : Buffer.from([0x81, 0x80 | 126, len >> 8, len & 0xff]);
    for (let i = 0; i < len; i++) payload[i] = (payload[i] as number) ^ (mask[i % 4] as number);
    this.#socket.write(Buffer.concat([head, mask, payload]));
    if (this.closeFrame) this.sentAfterClose++;
  }

  destroy(): void {
    this.#socket.destroy();
  }

  async waitFor(check: () => boolean, timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (!check() && performance.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  }

  /** Server frames are not masked; only text and close frames matter here. */
  #read(chunk: Buffer): void {
    this.#buffer = Buffer.concat([this.#buffer, chunk]);
    for (;;) {
      const b = this.#buffer;
      if (b.length < 2) return;
      const opcode = (b[0] as number) & 0x0f;
      let len = (b[1] as number) & 0x7f;
      let offset = 2;
      if (len === 126) {
        if (b.length < 4) return;
        len = b.readUInt16BE(2);
        offset = 4;
      } else if (len === 127) {
        if (b.length < 10) return;
        len = Number(b.readBigUInt64BE(2));
        offset = 10;
      }
      if (b.length < offset + len) return;
      const payload = b.subarray(offset, offset + len);
      this.#buffer = b.subarray(offset + len);
      if (opcode === 0x1) this.texts.push(payload.toString());
      if (opcode === 0x8 && !this.closeFrame) {
        this.closeFrame = {
          at: performance.now(),
          code: payload.length >= 2 ? payload.readUInt16BE(0) : 1005,
          reason: payload.subarray(2).toString(),
        };
      }
    }
  }
}

/** Connects a raw client and returns it with its participant id (from the welcome). */
async function rawConnect(f: ControlPlaneFixture, token: string) {
  const raw = await RawSocket.open(TestClient.url(f.plane.url, f.ev.eventId, token));
  await raw.waitFor(() => raw.texts.length > 0, 5000);
  const welcome = JSON.parse(raw.texts[0] as string) as {
    event: string;
    data: { self: { participantId: string } };
  };
  expect(welcome.event).toBe('welcome');
  return { raw, participantId: welcome.data.self.participantId };
}

/**
 * Keeps writing `message()` until the server cuts the connection or `ms`
 * passes, as fast as a small loop on one core goes.
 */
async function flood(raw: RawSocket, message: () => string, ms: number): Promise<void> {
  const until = performance.now() + ms;
  while (raw.open && performance.now() < until) {
    for (let i = 0; i < 50; i++) raw.sendText(message());
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A server that has closed a socket gives up on it this long after its close frame, at most. */
const CUT_WITHIN_MS = 2500;

describe('a socket the server is closing is no longer served', () => {
  const capture = capturedLog();
  const strict = useControlPlane({
    limits: {
      WS_MESSAGES_PER_SECOND: 5,
      WS_MESSAGE_BURST: 10,
      ABUSE_MAX_STRIKES: 20,
      QUESTION_BURST: 10_000,
      QUESTION_RATE_PER_MINUTE: 10_000,
    },
    log: capture.log,
    seed: { classrooms: 2, status: 'live' },
  });

  it('an abusive client that ignores the close frame is dropped unparsed, logged once, and cut within the grace', async () => {
    const { raw, participantId } = await rawConnect(
      strict,
      strict.ev.tokens.classrooms[0] as string,
    );
    const mine = () => capture.lines.filter((l) => l.participantId === participantId);
    try {
      await flood(raw, () => 'not json', 10_000);
      expect(raw.closeFrame).toMatchObject({
        code: 4008,
        reason: 'too many invalid or excessive messages',
      });
      // It went on writing after the close, as the hostile client did.
      expect(raw.sentAfterClose).toBeGreaterThan(100);
      const cutAfter = (raw.closedAt ?? Number.POSITIVE_INFINITY) - (raw.closeFrame?.at ?? 0);
      expect(cutAfter, 'TCP connection cut after the close frame (ms)').toBeLessThan(CUT_WITHIN_MS);
      // Nothing parsed once closing: from the close on, a handful of lines, not one per message.
      await raw.waitFor(() => false, 200);
      const lines = mine();
      const closing = lines.findIndex((l) => l.msg === 'closing participant socket');
      expect(closing).toBeGreaterThanOrEqual(0);
      const after = lines.slice(closing + 1).map((l) => l.msg);
      expect(
        after.length,
        `lines logged after the close: ${after.slice(0, 5).join(' | ')}`,
      ).toBeLessThanOrEqual(3);
      expect(after).toContain('participant disconnected');
    } finally {
      raw.destroy();
    }
  }, 20_000);

  it('a removed classroom that ignores the close can no longer submit questions', async () => {
    const classroomId = strict.ev.classroomIds[1] as string;
    const { raw } = await rawConnect(strict, strict.ev.tokens.classrooms[1] as string);
    try {
      const moderator = await strict.connect(strict.ev.tokens.moderator);
      await moderator.request('participant.remove', { classroomId });
      await raw.waitFor(() => raw.closeFrame !== null, 5000);
      expect(raw.closeFrame).toMatchObject({ code: 4003 });
      let n = 0;
      await flood(
        raw,
        () =>
          JSON.stringify({
            id: ++n,
            type: 'question.submit',
            data: { idempotencyKey: key(), text: 'Encore une question ?', category: 'other' },
          }),
        3000,
      );
      expect(raw.sentAfterClose).toBeGreaterThan(50);
      const cutAfter = (raw.closedAt ?? Number.POSITIVE_INFINITY) - (raw.closeFrame?.at ?? 0);
      expect(cutAfter, 'TCP connection cut after the close frame (ms)').toBeLessThan(CUT_WITHIN_MS);
      const [row] =
        await strict.db`select count(*)::int as n from questions where classroom_id = ${classroomId}`;
      expect(row?.n, 'questions stored after the removal').toBe(0);
    } finally {
      raw.destroy();
    }
  }, 20_000);
});

describe('bad upgrade requests and bad input get a 4xx with a stable code, no stack trace', () => {
  const capture = capturedLog();
  const env = useControlPlane({ log: capture.log, seed: { classrooms: 1, status: 'live' } });
  const wsUrl = (query: string) =>
    `${env.plane.url.replace(/^http/, 'ws')}/v1/events/${env.ev.eventId}/ws?${query}`;
  const errorLines = () => capture.lines.filter((l) => (l.level as number) >= 50 || 'err' in l);

  it('a protocol version that is not a number', async () => {
    const token = encodeURIComponent(env.ev.tokens.moderator);
    const r = await refusal(TestClient.connectUrl(wsUrl(`v=x&token=${token}`)));
    expect([r.status, r.code]).toEqual([400, 'PROTOCOL_VERSION_UNSUPPORTED']);
  });

  it('a token over 4,096 characters, or given twice', async () => {
    const long = await refusal(TestClient.connectUrl(wsUrl(`v=1&token=${'a'.repeat(4097)}`)));
    expect([long.status, long.code]).toEqual([401, 'TOKEN_INVALID']);
    const twice = await refusal(TestClient.connectUrl(wsUrl('v=1&token=a&token=b')));
    expect([twice.status, twice.code]).toEqual([401, 'TOKEN_INVALID']);
  });

  it('a NUL byte in a question, on the socket and through the registration link', async () => {
    const token = env.ev.tokens.classrooms[0] as string;
    const c = await env.connect(token);
    const r = await c.send('question.submit', {
      idempotencyKey: key(),
      text: 'Combien\u0000 gagnez-vous ?',
      category: 'other',
    });
    expect(r).toMatchObject({
      ok: false,
      error: { code: 'INVALID_MESSAGE', details: [{ path: 'data.text' }] },
    });
    const rest = await api<{ error: { code: string; details: { path: string }[] } }>(
      env.plane.url,
      'POST',
      '/api/v1/registration/questions',
      { idempotencyKey: key(), text: 'Combien\u0000 gagnez-vous ?', category: 'other' },
      token,
    );
    expect(rest.status).toBe(400);
    expect(rest.body.error).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: [{ path: 'body.text' }],
    });
    // Line breaks and tabs are still text.
    const ok = await c.request('question.submit', {
      idempotencyKey: key(),
      text: 'Première ligne\n\tet la suite ?',
      category: 'other',
    });
    expect(ok.question.text).toBe('Première ligne\n\tet la suite ?');
  });

  it('participant.remove of a classroom that is not in the event', async () => {
    const moderator = await env.connect(env.ev.tokens.moderator);
    expect(await moderator.errorOf('participant.remove', { classroomId: randomUUID() })).toBe(
      'NOT_FOUND',
    );
  });

  it('logged no stack trace for any of them', () => {
    expect(errorLines()).toEqual([]);
  });
});

describe('bad upgrades meet the per-address limit first', () => {
  const capture = capturedLog();
  const env = useControlPlane({
    log: capture.log,
    limits: { CONNECT_BURST_PER_IP: 20, CONNECT_RATE_PER_IP_PER_SECOND: 1 },
    seed: { classrooms: 1, status: 'live' },
  });

  it('gets 400 up to the burst, then 429, and logs no stack trace', async () => {
    const url = `${env.plane.url.replace(/^http/, 'ws')}/v1/events/${env.ev.eventId}/ws?v=x`;
    const statuses: number[] = [];
    const started = performance.now();
    for (let i = 0; i < 60; i++) {
      const r = await refusal(TestClient.connectUrl(url));
      statuses.push(r.status);
    }
    // The burst, plus one a second refilled while the loop ran.
    const refilled = Math.ceil((performance.now() - started) / 1000);
    const count = (s: number) => statuses.filter((x) => x === s).length;
    expect(count(400)).toBeGreaterThanOrEqual(20);
    expect(count(400)).toBeLessThanOrEqual(20 + refilled);
    expect(count(429)).toBe(60 - count(400));
    expect(statuses.at(-1)).toBe(429);
    expect(capture.lines.filter((l) => (l.level as number) >= 50 || 'err' in l)).toEqual([]);
  });
});
