import { backoffDelay } from '@amphi/protocol';
import type { HandlerContext } from './context.ts';

/** The first try after a join found no media, then twice as long each time, up to the last. */
const RETRY_MS = { initialMs: 1_000, maxMs: 10_000, jitter: 0 };
const waiting = new WeakSet<HandlerContext>();

/**
 * A join found no media: in a cluster, no media node was reachable (Redis or
 * the nodes restarting). Rather than leave the class without a picture until
 * its socket reconnects, the media plane is asked again in the background
 * and, once it answers, the client is told to set its media up
 * (`media.reconnect`, `media_ready`): what it does after a lost node. Stops
 * when the socket is gone or the media plane is closed for good.
 */
export function awaitMedia(ctx: HandlerContext, attempt = 0): void {
  // One wait per socket, however many times its client joins meanwhile.
  if (attempt === 0 && waiting.has(ctx)) return;
  waiting.add(ctx);
  const { services, self } = ctx;
  const delay = backoffDelay(attempt, RETRY_MS);
  setTimeout(async () => {
    const member = () => services.hub.member(self.eventId, self.participantId);
    if (services.media.closed || !member()) {
      waiting.delete(ctx);
      return;
    }
    try {
      await services.media.getRouterRtpCapabilities(self.eventId);
    } catch {
      awaitMedia(ctx, attempt + 1);
      return;
    }
    waiting.delete(ctx);
    ctx.log.info({ attempt }, 'media available again: asking the client to set it up');
    member()?.push('media.reconnect', {
      reason: 'media_ready',
      message: 'media is available again: setting it up',
    });
  }, delay).unref();
}
