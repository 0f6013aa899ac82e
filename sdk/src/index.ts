export * from './backoff.ts';
export * from './Emitter.ts';
export * from './errors.ts';
export * from './joinLink.ts';
export * from './MediaClient.ts';
export * from './networkQuality.ts';
export * from './SignalingClient.ts';
