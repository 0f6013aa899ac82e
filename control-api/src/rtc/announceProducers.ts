import type { Bus } from '../bus/Bus.ts';
import type { BusMessage } from '../bus/BusMessage.ts';
import type { Logger } from '../logger.ts';
import type { MediaNode, MediaNodeEvents } from './MediaNode.ts';

type Announced = MediaNodeEvents['produceradded'][0];

/**
 * The one place producers are announced: what the media node reports opening
 * and closing goes on the bus, and every instance's rooms tell the members
 * allowed to receive it. Returns the unsubscribe.
 */
export function announceProducers(media: MediaNode, bus: Bus, log: Logger): () => void {
  const publish = (message: BusMessage) => {
    try {
      bus
        .publish(message)
        .catch((err: unknown) => log.warn({ err, kind: message.kind }, 'bus publish failed'));
    } catch (err) {
      log.warn({ err, kind: message.kind }, 'bus publish failed');
    }
  };
  const added = ({ eventId, producer }: Announced) =>
    publish({ kind: 'media.producerAdded', eventId, producer });
  const closed = ({ eventId, producer }: Announced) =>
    publish({
      kind: 'media.producerClosed',
      eventId,
      producerId: producer.producerId,
      role: producer.role,
    });
  media.on('produceradded', added);
  media.on('producerclosed', closed);
  return () => {
    media.off('produceradded', added);
    media.off('producerclosed', closed);
  };
}
