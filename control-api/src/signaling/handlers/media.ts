import {
  mayConsume,
  mayProduce,
  NOT_ON_STAGE,
  PRODUCER_SOURCES,
  type ProducerInfo,
  type RequestData,
  SENDING_ROLES,
  stageProduce,
} from '@amphi/protocol';
import { AppError } from '../../errors.ts';
import type { HandlerContext, HandlerTable } from '../context.ts';
import { ALL_ROLES } from '../context.ts';

type ProduceRequest = RequestData<'media.produce'>;

/** Media node failures reach the client as MEDIA_ERROR unless they carry their own code. */
async function media<T>(ctx: HandlerContext, what: string, fn: () => Promise<T>): Promise<T> {
  if (ctx.services.media.closed) {
    throw new AppError('MEDIA_UNAVAILABLE', 'media is not available on this server right now');
  }
  try {
    return await fn();
  } catch (err) {
    if (err instanceof AppError) throw err;
    ctx.log.warn({ err, op: what }, 'media operation failed');
    throw new AppError('MEDIA_ERROR', `${what} failed: ${(err as Error).message ?? 'media error'}`);
  }
}

async function liveOnStage(ctx: HandlerContext): Promise<boolean> {
  const { self, services } = ctx;
  return self.classroomId !== null && services.stage.isLiveOnStage(self.eventId, self.classroomId);
}

async function requireLiveOnStage(ctx: HandlerContext): Promise<void> {
  if (!(await liveOnStage(ctx))) throw new AppError(NOT_ON_STAGE.code, NOT_ON_STAGE.message);
}

/** Opens a producer and keeps it as this participant's (the media node announces it). */
async function produce(ctx: HandlerContext, data: ProduceRequest): Promise<string> {
  const { self } = ctx;
  const { producerId } = await media(ctx, 'produce', () =>
    ctx.services.media.produce(ctx.media, {
      transportId: data.transportId,
      kind: data.kind,
      rtpParameters: data.rtpParameters,
      appData: { source: data.source },
    }),
  );
  const info: ProducerInfo = {
    producerId,
    participantId: self.participantId,
    role: self.role,
    kind: data.kind,
    source: data.source,
    classroomId: self.classroomId,
    name: self.name,
  };
  ctx.producers.set(producerId, info);
  ctx.log.info({ producerId, kind: data.kind, source: data.source }, 'producer opened');
  return producerId;
}

/**
 * A classroom's camera or microphone for its stage turn (minors' media). One
 * at a time per classroom: within the turn's cap, and checked again once made,
 * because the turn may end while the producer is being made and its end
 * closes only the producers recorded by then.
 */
function produceOnStage(ctx: HandlerContext, classroomId: string, data: ProduceRequest) {
  const { eventId } = ctx.self;
  return ctx.services.stage.exclusive(eventId, classroomId, async () => {
    const [live, open] = await Promise.all([
      liveOnStage(ctx),
      media(ctx, 'list producers', () => ctx.services.media.listProducers(eventId)),
    ]);
    const turn = stageProduce({
      liveOnStage: live,
      kind: data.kind,
      participantId: ctx.self.participantId,
      open: open.filter((p) => p.classroomId === classroomId && p.source === 'stage'),
    });
    if (!turn.ok) throw new AppError(turn.code, turn.message);
    for (const producerId of turn.replace) {
      const owner = open.find((p) => p.producerId === producerId) as ProducerInfo;
      // An owner already leaving takes its producers with it: nothing to wait for.
      await ctx.services.media
        .closeProducer({ ...ctx.media, participantId: owner.participantId }, producerId)
        .catch((err: unknown) =>
          ctx.log.debug({ err, producerId }, 'replaced producer already gone'),
        );
      ctx.log.info(
        { producerId, from: owner.participantId },
        'stage producer replaced by a newer socket',
      );
    }
    const producerId = await produce(ctx, data);
    if (!(await liveOnStage(ctx))) {
      await closeOwnProducer(ctx, producerId);
      ctx.log.info({ producerId }, 'stage turn ended while its producer was made: closed');
      throw new AppError('NOT_ON_STAGE', 'the stage turn ended before the camera started');
    }
    return producerId;
  });
}

/** Closes one of this participant's producers (the media node announces it). */
export async function closeOwnProducer(ctx: HandlerContext, producerId: string): Promise<void> {
  if (!ctx.producers.delete(producerId)) {
    throw new AppError('NOT_FOUND', 'no such producer of yours');
  }
  await media(ctx, 'close producer', () => ctx.services.media.closeProducer(ctx.media, producerId));
}

export const mediaHandlers: Pick<
  HandlerTable,
  | 'media.createTransport'
  | 'media.connectTransport'
  | 'media.produce'
  | 'media.consume'
  | 'media.resumeConsumer'
  | 'media.setPreferredLayers'
  | 'media.setAudioOnly'
  | 'media.closeProducer'
  | 'media.closeTransport'
  | 'media.close'
> = {
  'media.createTransport': {
    roles: ALL_ROLES,
    async handle(ctx, data) {
      if (data.direction === 'send') {
        if (!SENDING_ROLES.includes(ctx.self.role)) {
          throw new AppError('FORBIDDEN', `a ${ctx.self.role} does not send media`);
        }
        if (ctx.self.role === 'classroom') await requireLiveOnStage(ctx);
      }
      return media(ctx, 'create transport', () =>
        ctx.services.media.createWebRtcTransport(ctx.media, data.direction),
      );
    },
  },
  'media.connectTransport': {
    roles: ALL_ROLES,
    async handle(ctx, data) {
      await media(ctx, 'connect transport', () =>
        ctx.services.media.connectTransport(ctx.media, data.transportId, data.dtlsParameters),
      );
      return {};
    },
  },
  'media.produce': {
    roles: SENDING_ROLES,
    async handle(ctx, data) {
      const { self } = ctx;
      if (!mayProduce(self.role, data.source)) {
        throw new AppError(
          'FORBIDDEN',
          `a ${self.role} produces only ${PRODUCER_SOURCES[self.role].join(' or ')}`,
        );
      }
      if (self.role !== 'classroom') return { producerId: await produce(ctx, data) };
      if (!self.classroomId) throw new AppError(NOT_ON_STAGE.code, NOT_ON_STAGE.message);
      return { producerId: await produceOnStage(ctx, self.classroomId, data) };
    },
  },
  'media.consume': {
    roles: ALL_ROLES,
    async handle(ctx, data) {
      const producers = await media(ctx, 'list producers', () =>
        ctx.services.media.listProducers(ctx.self.eventId),
      );
      const producer = producers.find((p) => p.producerId === data.producerId);
      if (!producer) throw new AppError('NOT_FOUND', 'no such producer in this event');
      if (!mayConsume(ctx.self.role, producer.role)) {
        throw new AppError(
          'FORBIDDEN',
          "a classroom's camera goes only to speakers and moderators",
        );
      }
      return media(ctx, 'consume', () =>
        ctx.services.media.consume(ctx.media, {
          transportId: data.transportId,
          producerId: data.producerId,
          rtpCapabilities: data.rtpCapabilities,
        }),
      );
    },
  },
  'media.resumeConsumer': {
    roles: ALL_ROLES,
    async handle(ctx, data) {
      await media(ctx, 'resume consumer', () =>
        ctx.services.media.resumeConsumer(ctx.media, data.consumerId),
      );
      return {};
    },
  },
  'media.setPreferredLayers': {
    roles: ALL_ROLES,
    async handle(ctx, data) {
      await media(ctx, 'set preferred layers', () =>
        ctx.services.media.setPreferredLayers(ctx.media, data.consumerId, {
          spatialLayer: data.spatialLayer,
          ...(data.temporalLayer === undefined ? {} : { temporalLayer: data.temporalLayer }),
        }),
      );
      return {};
    },
  },
  'media.setAudioOnly': {
    roles: ALL_ROLES,
    async handle(ctx, data) {
      await media(ctx, 'set audio only', () =>
        ctx.services.media.setAudioOnly(ctx.media, data.audioOnly),
      );
      return {};
    },
  },
  'media.closeProducer': {
    roles: SENDING_ROLES,
    async handle(ctx, data) {
      await closeOwnProducer(ctx, data.producerId);
      return {};
    },
  },
  'media.closeTransport': {
    roles: ALL_ROLES,
    async handle(ctx, data) {
      await media(ctx, 'close transport', () =>
        ctx.services.media.closeTransport(ctx.media, data.transportId),
      );
      // A send transport takes its producers with it: forget them here too.
      if (ctx.producers.size > 0) {
        const open = new Set(
          (await ctx.services.media.listProducers(ctx.self.eventId)).map((p) => p.producerId),
        );
        for (const producerId of [...ctx.producers.keys()]) {
          if (!open.has(producerId)) ctx.producers.delete(producerId);
        }
      }
      return {};
    },
  },
  'media.close': {
    roles: ALL_ROLES,
    async handle(ctx) {
      for (const producerId of [...ctx.producers.keys()]) {
        await closeOwnProducer(ctx, producerId).catch(() => {});
      }
      await media(ctx, 'close media', () => ctx.services.media.closeParticipant(ctx.media));
      return {};
    },
  },
};
