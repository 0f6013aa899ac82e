import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { loadConfig } from './config.ts';
import { startEmbeddedPostgres } from './db/embeddedPostgres.ts';
import { createLogger } from './logger.ts';
import { createMediaNode } from './rtc/createMediaNode.ts';
import { seedDemo } from './seed.ts';
import { startControlPlane } from './server.ts';

/** A secret kept under the data folder so that links survive restarts. */
async function persistentSecret(dataDir: string, name: string): Promise<string> {
  const file = path.join(dataDir, name);
  if (existsSync(file)) return (await readFile(file, 'utf8')).trim();
  const secret = randomBytes(32).toString('base64url');
  await mkdir(dataDir, { recursive: true });
  await writeFile(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config.LOG_LEVEL);
  const dataDir = path.resolve(config.DATA_DIR);
  const stops: (() => Promise<void>)[] = [];

  let databaseUrl = config.DATABASE_URL;
  if (!databaseUrl) {
    const pg = await startEmbeddedPostgres({ dir: path.join(dataDir, 'postgres'), log });
    stops.push(() => pg.stop());
    databaseUrl = pg.url;
    log.info(
      { port: pg.port, dir: path.join(config.DATA_DIR, 'postgres') },
      'embedded PostgreSQL started',
    );
  }
  const joinTokenSecret =
    config.JOIN_TOKEN_SECRET ?? (await persistentSecret(dataDir, 'join-token-secret'));
  const operatorToken =
    config.OPERATOR_TOKEN ?? (await persistentSecret(dataDir, 'operator-token'));
  const publicUrl = config.PUBLIC_URL ?? `http://localhost:${config.PORT}`;
  const media = await createMediaNode(config, log);

  const plane = await startControlPlane({
    databaseUrl,
    redisUrl: config.REDIS_URL,
    joinTokenSecret,
    operatorToken,
    publicUrl,
    host: config.HOST,
    port: config.PORT,
    media,
    limits: config,
    databasePoolSize: config.DATABASE_POOL_SIZE,
    ...(config.INSTANCE_ID ? { instanceId: config.INSTANCE_ID } : {}),
    log,
  });
  stops.unshift(() => plane.close());

  const lines = [
    '',
    `Amphi control-api on ${publicUrl}`,
    `  OpenAPI:   ${publicUrl}/api/openapi.json`,
    `  Operator:  Authorization: Bearer <${config.OPERATOR_TOKEN ? 'OPERATOR_TOKEN' : path.join(config.DATA_DIR, 'operator-token')}>`,
  ];
  if (config.SEED_DEMO) {
    const demo = await seedDemo(plane.sql, plane.services.catalog, plane.tokens, publicUrl);
    lines.push(`  Demo event "${demo.title}" (${demo.eventId}):`);
    for (const { label, link } of demo.links) lines.push(`    ${label.padEnd(34)} ${link.url}`);
  }
  process.stdout.write(`${lines.join('\n')}\n\n`);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    for (const stop of stops)
      await stop().catch((err: unknown) => log.error({ err }, 'stop failed'));
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((err: unknown) => {
  process.stderr.write(`control-api failed to start: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
