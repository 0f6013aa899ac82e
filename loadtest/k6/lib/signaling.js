// Amphi's signaling over k6's WebSocket (protocol/src/signaling.ts, served as
// JSON Schema at /api/signaling.json): one socket per participant at
// /v1/events/:eventId/ws?v=1&token=…; each request { id, type, data } gets one
// response { id, ok, result | error }; the server pushes { event, data }.
import { clearTimeout, setTimeout } from 'k6/timers';
import { WebSocket } from 'k6/websockets';

/** Protocol version this client speaks (protocol/src/version.ts). */
export const PROTOCOL_VERSION = 1;

const REQUEST_TIMEOUT_MS = 10000;

export function wsUrl(baseUrl, eventId, token) {
  const base = baseUrl.replace(/^http/, 'ws');
  return `${base}/v1/events/${eventId}/ws?v=${PROTOCOL_VERSION}&token=${encodeURIComponent(token)}`;
}

/** Resolves after `ms` on k6's event loop. */
export function delay(ms) {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

/**
 * Opens the socket and sends `join`. Resolves with { session, join, ms } once
 * the join is answered (ms: from opening the socket to the answer), or with
 * { session: null, error, ms } when the socket fails or closes first.
 * `onEvent(name, data)` receives the server's pushes.
 */
export function joinEvent(url, { tags, onEvent }) {
  return new Promise((resolve) => {
    const started = Date.now();
    const ws = new WebSocket(url, null, { tags });
    const pending = new Map();
    let nextId = 1;
    let settled = false;
    const settle = (value) => {
      if (settled) return;
      settled = true;
      resolve({ ...value, ms: Date.now() - started });
    };

    const session = {
      /** Resolves with the response and how long it took: { ok, result | error, ms }. */
      request(type, data = {}) {
        const id = nextId++;
        const sent = Date.now();
        return new Promise((done) => {
          const timer = setTimeout(() => {
            pending.delete(id);
            done({
              ok: false,
              error: { code: 'TIMEOUT', message: `${type}: no answer` },
              ms: Date.now() - sent,
            });
          }, REQUEST_TIMEOUT_MS);
          pending.set(id, (msg) => {
            clearTimeout(timer);
            done({ ...msg, ms: Date.now() - sent });
          });
          try {
            ws.send(JSON.stringify({ id, type, data }));
          } catch (err) {
            clearTimeout(timer);
            pending.delete(id);
            done({ ok: false, error: { code: 'CLOSED', message: String(err) }, ms: 0 });
          }
        });
      },
      close() {
        ws.close();
      },
    };

    ws.addEventListener('open', () => {
      session.request('join').then((join) => {
        if (join.ok) settle({ session, join });
        else {
          settle({ session: null, error: join.error });
          ws.close();
        }
      });
    });
    ws.addEventListener('message', (e) => {
      const msg = JSON.parse(e.data);
      if (msg.id !== undefined && msg.id !== null && pending.has(msg.id)) {
        const answer = pending.get(msg.id);
        pending.delete(msg.id);
        answer(msg);
      } else if (msg.event && onEvent) {
        onEvent(msg.event, msg.data);
      }
    });
    ws.addEventListener('error', (e) =>
      settle({ session: null, error: { code: 'SOCKET', message: String(e.error) } }),
    );
    ws.addEventListener('close', (e) => {
      for (const answer of pending.values())
        answer({ ok: false, error: { code: 'CLOSED', message: `socket closed (${e.code})` } });
      pending.clear();
      settle({
        session: null,
        error: { code: 'CLOSED', message: `socket closed (${e.code}) before the join` },
      });
    });
  });
}
