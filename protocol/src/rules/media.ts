import type { Role } from '../common.ts';
import type { MediaKind, ProducerSource } from '../media.ts';
import type { Refusal } from './questionTransitions.ts';

/**
 * What each role may send: a speaker its camera and its screen, a classroom
 * the camera of its stage turn, a moderator nothing.
 */
export const PRODUCER_SOURCES: Readonly<Record<Role, readonly ProducerSource[]>> = {
  speaker: ['camera', 'screen'],
  classroom: ['stage'],
  moderator: [],
};

/** Roles that send media at all (may open a send transport, may produce). */
export const SENDING_ROLES: readonly Role[] = (
  ['speaker', 'classroom', 'moderator'] as const
).filter((role) => PRODUCER_SOURCES[role].length > 0);

export function mayProduce(role: Role, source: ProducerSource): boolean {
  return PRODUCER_SOURCES[role].includes(source);
}

/** Whose media a source carries: the stage is a classroom's camera, the rest a speaker's. */
export function producerRoleOf(source: ProducerSource): Role {
  return source === 'stage' ? 'classroom' : 'speaker';
}

/**
 * Who may receive whose media: everybody receives the speakers; a classroom's
 * camera (minors, on stage) goes only to speakers and moderators, never to
 * another classroom.
 */
export function mayConsume(consumer: Role, producer: Role): boolean {
  if (producer === 'speaker') return true;
  return consumer === 'speaker' || consumer === 'moderator';
}

/** A classroom sends media only in its stage turn: live on stage, after consenting. */
export const NOT_ON_STAGE: Refusal = {
  ok: false,
  code: 'NOT_ON_STAGE',
  message: 'a classroom sends its camera only while it is on stage, after accepting the invitation',
};

/** A stage turn sends at most this many producers of each kind at a time: one microphone, one camera. */
export const STAGE_TURN_PRODUCERS: Readonly<Record<MediaKind, number>> = { audio: 1, video: 1 };

/**
 * Whether a classroom may open one more producer of this kind in its stage
 * turn, given the classroom's open ones: only while live on stage, within the
 * cap. What another socket of the classroom sends (the class reconnected, or
 * moved to another machine) is replaced by the new one: the newest device
 * wins, and the turn still sends one of each kind.
 */
export function stageProduce(args: {
  liveOnStage: boolean;
  kind: MediaKind;
  participantId: string;
  open: readonly { producerId: string; participantId: string; kind: MediaKind }[];
}): Refusal | { ok: true; replace: string[] } {
  if (!args.liveOnStage) return NOT_ON_STAGE;
  const sameKind = args.open.filter((p) => p.kind === args.kind);
  const own = sameKind.filter((p) => p.participantId === args.participantId);
  const limit = STAGE_TURN_PRODUCERS[args.kind];
  if (own.length >= limit) {
    return {
      ok: false,
      code: 'TOO_MANY_PRODUCERS',
      message: `a classroom on stage sends at most ${limit} ${args.kind} producer at a time`,
    };
  }
  return {
    ok: true,
    replace: sameKind
      .filter((p) => p.participantId !== args.participantId)
      .map((p) => p.producerId),
  };
}
