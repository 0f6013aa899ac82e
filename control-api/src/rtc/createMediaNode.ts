import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import type { MediaNode } from './MediaNode.ts';
import { UnavailableMediaNode } from './UnavailableMediaNode.ts';

/**
 * The seam where main.ts gets its media plane. To be filled with the
 * in-process implementation over @amphi/media-server (and later a remote one
 * chosen by config). Until then, media requests answer MEDIA_UNAVAILABLE.
 */
export async function createMediaNode(_config: Config, log: Logger): Promise<MediaNode> {
  log.warn('no media node configured: media requests will answer MEDIA_UNAVAILABLE');
  return new UnavailableMediaNode();
}
