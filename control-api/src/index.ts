export { type AppDeps, buildApp } from './app.ts';
export { type GrantInput, type JoinGrant, JoinTokens } from './auth/JoinTokens.ts';
export type { Bus, BusHandler } from './bus/Bus.ts';
export { BusMessage } from './bus/BusMessage.ts';
export { LocalBus } from './bus/LocalBus.ts';
export { RedisBus, type RedisBusOptions } from './bus/RedisBus.ts';
export { CatalogStore, type ClassroomInfo } from './catalog/CatalogStore.ts';
export { type Config, ConfigSchema, defaultLimits, type Limits, loadConfig } from './config.ts';
export { connectDatabase, migrate, type Sql } from './db/Database.ts';
export { type EmbeddedPostgresHandle, startEmbeddedPostgres } from './db/embeddedPostgres.ts';
export { AppError } from './errors.ts';
export { createLogger, type Logger } from './logger.ts';
export { getFreePort } from './ports.ts';
export type {
  ConsumeParams,
  MediaNode,
  MediaParticipant,
  ProduceParams,
} from './rtc/MediaNode.ts';
export { UnavailableMediaNode } from './rtc/UnavailableMediaNode.ts';
export { type ControlPlane, type ControlPlaneOptions, startControlPlane } from './server.ts';
