import { mediaConfigFromEnv } from '@amphi/media-server';
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import { InProcessMediaNode } from './InProcessMediaNode.ts';
import type { MediaNode } from './MediaNode.ts';
import { UnavailableMediaNode } from './UnavailableMediaNode.ts';

/**
 * The seam where main.ts gets its media plane: mediasoup workers in this
 * process, set by media-server's variables (MEDIA_WORKERS, MEDIA_LISTEN_IP,
 * MEDIA_ANNOUNCED_ADDRESS, MEDIA_RTC_PORT_BASE, MEDIA_LOG_LEVEL). If the workers
 * cannot start, the rest of the event still runs and media requests answer
 * MEDIA_UNAVAILABLE. A remote node, chosen by config, will sit here too.
 */
export async function createMediaNode(
  _config: Config,
  log: Logger,
  env: NodeJS.ProcessEnv = process.env,
): Promise<MediaNode> {
  const mediaLog = log.child({ component: 'media' });
  const mediaConfig = mediaConfigFromEnv(env);
  try {
    const node = await InProcessMediaNode.create(mediaConfig, mediaLog);
    mediaLog.info(
      {
        workers: mediaConfig.MEDIA_WORKERS,
        listenIp: mediaConfig.MEDIA_LISTEN_IP,
        announcedAddress: mediaConfig.MEDIA_ANNOUNCED_ADDRESS,
        rtcPortBase: mediaConfig.MEDIA_RTC_PORT_BASE,
      },
      'in-process media node ready',
    );
    return node;
  } catch (err) {
    mediaLog.error(
      { err },
      'mediasoup workers did not start: media requests will answer MEDIA_UNAVAILABLE',
    );
    return new UnavailableMediaNode();
  }
}
