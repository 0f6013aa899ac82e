// Who may do what, written once: the server, the media plane and the apps call these.
export * from './backstage.ts';
export * from './eventStatus.ts';
export * from './liveView.ts';
export * from './media.ts';
export * from './networkCheck.ts';
export * from './questionTransitions.ts';
export * from './queueOrder.ts';
export * from './resume.ts';
