import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ffmpegAvailable } from '@amphi/media-server';
import { loadConfig, turnSettings } from './config.ts';
import { startEmbeddedPostgres } from './db/embeddedPostgres.ts';
import { describeError } from './describeError.ts';
import { createLogger, type Logger } from './logger.ts';
import { createMediaNode } from './rtc/createMediaNode.ts';
import { DemoTestPattern } from './rtc/DemoTestPattern.ts';
import { InProcessMediaNode } from './rtc/InProcessMediaNode.ts';
import type { MediaNode } from './rtc/MediaNode.ts';
import { ClusterMediaNode } from './rtc/remote/ClusterMediaNode.ts';
import { demoLinks, seedDemo } from './seed.ts';
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

/** The demo's stand-in speaker, and the start-up line that says what became of it. */
async function startDemoTestPattern(
  media: MediaNode,
  eventId: string,
  log: Logger,
): Promise<{ running?: DemoTestPattern; line: string }> {
  if (!(media instanceof InProcessMediaNode)) {
    return { line: 'Test pattern: off (no media on this server)' };
  }
  if (!(await ffmpegAvailable())) {
    return {
      line: 'Test pattern: off: install FFmpeg (e.g. apt-get install ffmpeg) to see video before a speaker joins',
    };
  }
  try {
    const running = await DemoTestPattern.start({
      broadcast: await media.broadcast(eventId),
      log,
    });
    return {
      running,
      line: 'Test pattern: FFmpeg plays the demo speaker, so classroom links show video before anyone speaks (DEMO_TEST_PATTERN=false to turn off)',
    };
  } catch (err) {
    log.warn({ err }, 'test pattern did not start');
    return { line: `Test pattern: off: it did not start (${(err as Error).message})` };
  }
}

/** The start-up line about media: where it listens, and what to set for other machines. */
function mediaLine(media: MediaNode): string {
  if (media instanceof ClusterMediaNode) {
    return 'Media:     the media nodes registered in Redis (MEDIA_PLANE=remote; npm run media-node on each host)';
  }
  if (!(media instanceof InProcessMediaNode)) {
    return 'Media:     unavailable (see the log): media requests answer MEDIA_UNAVAILABLE';
  }
  const { listenIp, announcedAddress } = media.transportOptions;
  const workers = `${media.pool.workers.length} mediasoup worker(s)`;
  if (announcedAddress)
    return `Media:     ${workers} on ${listenIp}, announced as ${announcedAddress}`;
  const loopback = listenIp === '127.0.0.1' || listenIp === '::1';
  return loopback
    ? `Media:     ${workers} on ${listenIp}, this machine only (MEDIA_LISTEN_IP=0.0.0.0 MEDIA_ANNOUNCED_ADDRESS=<address> for others)`
    : `Media:     ${workers} on ${listenIp}`;
}

async function main(): Promise<void> {
  // `npm start -- --links`: issue and print the demo's join links again (they are printed
  // at its first start only: each is a credential, the moderator's above all).
  const { values: flags } = parseArgs({ options: { links: { type: 'boolean', default: false } } });
  const config = loadConfig();
  const turn = turnSettings(config);
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
  const metricsToken = config.METRICS_TOKEN ?? (await persistentSecret(dataDir, 'metrics-token'));
  const publicUrl = config.PUBLIC_URL ?? `http://localhost:${config.PORT}`;
  const media = await createMediaNode(config, log, process.env, databaseUrl);

  const plane = await startControlPlane({
    databaseUrl,
    redisUrl: config.REDIS_URL,
    joinTokenSecret,
    joinTokenPreviousSecrets: config.JOIN_TOKEN_PREVIOUS_SECRETS,
    operatorToken,
    operatorPreviousTokens: config.OPERATOR_PREVIOUS_TOKENS,
    metricsToken,
    metricsPreviousTokens: config.METRICS_PREVIOUS_TOKENS,
    publicUrl,
    host: config.HOST,
    port: config.PORT,
    media,
    limits: config,
    retention: config,
    databasePoolSize: config.DATABASE_POOL_SIZE,
    trustProxy: config.TRUST_PROXY,
    ...(config.INSTANCE_ID ? { instanceId: config.INSTANCE_ID } : {}),
    drainPacing: {
      batchSize: config.MEDIA_DRAIN_BATCH,
      intervalMs: config.MEDIA_DRAIN_INTERVAL_MS,
    },
    turn,
    log,
  });
  stops.unshift(() => plane.close());

  const lines = [
    '',
    `Amphi control-api on ${publicUrl}`,
    `  Apps:      ${publicUrl}/studio/ (speakers, moderators), ${publicUrl}/viewer/ (classrooms): open the links below`,
    `  OpenAPI:   ${publicUrl}/api/openapi.json`,
    `  ${mediaLine(media)}`,
    `  Relay:     ${turn ? turn.urls.join(', ') : 'none (TURN_SECRET unset: classrooms reach the media workers directly)'}`,
    `  Operator:  Authorization: Bearer <${config.OPERATOR_TOKEN ? 'OPERATOR_TOKEN' : path.join(config.DATA_DIR, 'operator-token')}>`,
    `  Metrics:   ${publicUrl}/metrics, Authorization: Bearer <${config.METRICS_TOKEN ? 'METRICS_TOKEN' : path.join(config.DATA_DIR, 'metrics-token')}> (docs/metrics.md)`,
  ];
  if (config.SEED_DEMO) {
    const demo = await seedDemo(plane.sql, plane.services.catalog);
    if (demo.created || flags.links) {
      lines.push(`  Demo event "${demo.title}" (${demo.eventId}):`);
      const links = await demoLinks(plane.services.catalog, plane.tokens, publicUrl, demo.eventId);
      for (const { label, link } of links) lines.push(`    ${label.padEnd(34)} ${link.url}`);
    } else {
      lines.push(
        `  Demo event "${demo.title}" (${demo.eventId}): links printed at its first start; new ones: npm start -- --links`,
      );
    }
    if (config.DEMO_TEST_PATTERN) {
      const pattern = await startDemoTestPattern(media, demo.eventId, log);
      const { running } = pattern;
      if (running) stops.unshift(() => running.close());
      lines.push(`  ${pattern.line}`);
    }
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
  process.stderr.write(`control-api failed to start: ${describeError(err)}\n`);
  process.exit(1);
});
