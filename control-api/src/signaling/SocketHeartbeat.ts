import type { WebSocket } from 'ws';

/**
 * Ends a socket whose client has gone silent. A cut school line sends no
 * close, and the kernel keeps such a connection for minutes: the classroom
 * would stay in presence, « bonne qualité », long after it is gone. The server
 * pings it a few times per `timeoutMs` (browsers and `ws` answer pings by
 * themselves, even a background tab); a pong or any message counts. After
 * `timeoutMs` with neither, `onSilent` runs once. Returns the function that
 * stops watching (the socket closed).
 */
export function watchSilence(
  socket: WebSocket,
  timeoutMs: number,
  onSilent: (silentMs: number) => void,
): () => void {
  let heard = Date.now();
  const hear = () => {
    heard = Date.now();
  };
  socket.on('pong', hear);
  socket.on('message', hear);
  const timer = setInterval(
    () => {
      const silent = Date.now() - heard;
      if (silent >= timeoutMs) {
        stop();
        onSilent(silent);
        return;
      }
      if (socket.readyState === socket.OPEN) socket.ping();
    },
    Math.max(50, Math.round(timeoutMs / 4)),
  );
  timer.unref();
  const stop = () => {
    clearInterval(timer);
    socket.off('pong', hear);
    socket.off('message', hear);
  };
  return stop;
}
