import type { MediaResume } from '@amphi/protocol';
import { AppError } from '../errors.ts';
import type { ResumeOutcome } from '../metrics/ControlMetrics.ts';
import type { HandlerContext } from './context.ts';

/**
 * The first join of a socket opened with a resume token: the participant's
 * media, kept by its media node since its last socket dropped, is adopted by
 * this socket (its producers are this participant's again here); or the
 * refusal, with its code, after which the client sets its media up in full.
 * Null when the socket did not ask, or asked already.
 */
export async function resumeMedia(ctx: HandlerContext): Promise<MediaResume | null> {
  const claim = ctx.self.resume;
  if (!claim) return null;
  ctx.self.resume = null;
  const answer = await adopt(ctx, claim);
  ctx.services.metrics?.resumed(outcomeOf(answer));
  return answer;
}

/** Operators count resumes by what became of them (`amphi_media_resumes_total`). */
function outcomeOf(answer: MediaResume): ResumeOutcome {
  if (answer.status === 'resumed') return 'resumed';
  switch (answer.error.code) {
    case 'RESUME_INVALID':
      return 'invalid';
    case 'RESUME_EXPIRED':
      return 'expired';
    case 'RESUME_UNKNOWN':
      return 'unknown';
    case 'RESUME_SUPERSEDED':
      return 'superseded';
    default:
      return 'failed';
  }
}

async function adopt(
  ctx: HandlerContext,
  claim: NonNullable<HandlerContext['self']['resume']>,
): Promise<MediaResume> {
  const { services, log } = ctx;
  if (claim.status === 'invalid') {
    log.info('resume refused: the token does not verify for this join link');
    return refused('RESUME_INVALID', 'this resume token is not valid for this join link');
  }
  try {
    const generation = (await claim.generation) ?? null;
    // Media this socket makes from now holds its generation (set up anew after a refusal).
    ctx.media.generation = generation;
    const media = await services.media.adoptParticipant(ctx.media, generation);
    if (media.producerIds.length > 0) {
      const open = await services.media.listProducers(ctx.self.eventId);
      for (const p of open) {
        if (media.producerIds.includes(p.producerId)) ctx.producers.set(p.producerId, p);
      }
    }
    log.info(
      {
        transports: media.transports.length,
        producers: media.producerIds.length,
        consumers: media.consumerIds.length,
      },
      'media resumed',
    );
    return { status: 'resumed', media };
  } catch (err) {
    if (err instanceof AppError) {
      log.info({ code: err.code }, 'resume refused');
      // Its media is a newer socket's: this one gives way, as told by the bus.
      if (err.code === 'RESUME_SUPERSEDED') ctx.handOver();
      return { status: 'refused', error: err.toBody() };
    }
    log.warn({ err }, 'resume failed');
    return refused('MEDIA_ERROR', 'the media session could not be resumed');
  }
}

function refused(code: 'RESUME_INVALID' | 'MEDIA_ERROR', message: string): MediaResume {
  return { status: 'refused', error: { code, message } };
}
