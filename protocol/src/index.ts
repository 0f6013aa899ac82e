export * from './catalog.ts';
export * from './common.ts';
export * from './errors.ts';
export * from './live.ts';
export * from './media.ts';
export * from './questions.ts';
export * from './signaling.ts';
export * from './version.ts';
