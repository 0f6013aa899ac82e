import { z } from 'zod';
import { ErrorBody } from './errors.ts';
import { TransportDirection } from './media.ts';

/**
 * Media session resume. A participant's socket can drop while its media flows
 * on (a control-api instance killed, a school line blinking): the media node
 * keeps the participant's transports, producers and consumers for a grace
 * period, and the client's next socket, wherever the balancer sends it,
 * takes them over instead of setting media up again.
 *
 * Each `join` gives the client a resume token: its participant id and an HMAC
 * (the server's key) over the event, the join link's id and that participant
 * id. The next socket's URL carries it (`&resume=<token>`); an instance that
 * verifies it against that socket's own join token gives the socket the same
 * participant id, and its first `join` adopts the media (`JoinResume.media`).
 * A token that does not verify, or a session no longer held, is refused with
 * its code and the client sets its media up in full, as before.
 */

/** `<participantId>.<HMAC-SHA256, base64url>`: not guessable, bound to one join link. */
export const ResumeToken = z
  .string()
  .max(200)
  .regex(/^[A-Za-z0-9-]{1,100}\.[A-Za-z0-9_-]{43}$/, 'a resume token');
export type ResumeToken = z.infer<typeof ResumeToken>;

const ObjectId = z.string().min(1).max(128);

/** What a media node hands over to the socket that resumed: the participant's media objects. */
export const AdoptedMedia = z.object({
  transports: z.array(z.object({ transportId: ObjectId, direction: TransportDirection })),
  producerIds: z.array(ObjectId),
  consumerIds: z.array(ObjectId),
});
export type AdoptedMedia = z.infer<typeof AdoptedMedia>;

/** How the media of the socket this join came on was resumed, if it asked to. */
export const MediaResume = z.discriminatedUnion('status', [
  /** Kept as it was: the client keeps its transports; producers not listed are gone. */
  z.object({ status: z.literal('resumed'), media: AdoptedMedia }),
  /**
   * Not resumed (RESUME_INVALID, RESUME_EXPIRED, RESUME_UNKNOWN, MEDIA_UNAVAILABLE): set up anew.
   * RESUME_SUPERSEDED: a newer socket holds the media; this one is handed over (4012).
   */
  z.object({ status: z.literal('refused'), error: ErrorBody }),
]);
export type MediaResume = z.infer<typeof MediaResume>;

/** In each join result. */
export const JoinResume = z.object({
  /** Presented by the next socket (URL `resume=`) to take this participant's media over. */
  token: ResumeToken,
  /** The outcome for this socket's media: null when it did not ask (a first socket). */
  media: MediaResume.nullable(),
});
export type JoinResume = z.infer<typeof JoinResume>;
