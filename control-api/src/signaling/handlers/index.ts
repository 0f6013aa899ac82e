import type { HandlerTable } from '../context.ts';
import { backstageHandlers } from './backstage.ts';
import { eventHandlers } from './event.ts';
import { mediaHandlers } from './media.ts';
import { questionHandlers } from './questions.ts';
import { sessionHandlers } from './session.ts';
import { stageHandlers } from './stage.ts';

/** Every request type, its allowed roles and its handler, in one place. */
export const handlers: HandlerTable = {
  ...sessionHandlers,
  ...eventHandlers,
  ...questionHandlers,
  ...stageHandlers,
  ...mediaHandlers,
  ...backstageHandlers,
};
