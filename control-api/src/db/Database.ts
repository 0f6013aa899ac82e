import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import type { Logger } from '../logger.ts';

export type Sql = postgres.Sql;

export const MIGRATIONS_DIR = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../migrations',
);

/** Arbitrary constant: serialises migrations when several instances start together. */
const MIGRATION_LOCK_KEY = 727_140_001;

export function connectDatabase(url: string, options: { max?: number } = {}): Sql {
  return postgres(url, {
    max: options.max ?? 10,
    onnotice: () => {},
    // Columns come back camelCased; `sql(obj)` helpers take camelCase keys.
    transform: postgres.camel,
    connection: { application_name: 'amphi-control-api' },
  });
}

interface Migration {
  version: number;
  name: string;
  sql: string;
}

export async function loadMigrations(dir = MIGRATIONS_DIR): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => /^\d+_[\w-]+\.sql$/.test(f)).sort();
  const migrations: Migration[] = [];
  for (const file of files) {
    const version = Number.parseInt(file, 10);
    if (migrations.some((m) => m.version === version)) {
      throw new Error(`two migrations share version ${version}`);
    }
    migrations.push({ version, name: file, sql: await readFile(path.join(dir, file), 'utf8') });
  }
  return migrations;
}

/**
 * Applies the versioned SQL migrations not yet applied, each in its own
 * transaction, under an advisory lock so concurrent instances do it once.
 * Returns the versions it applied.
 */
export async function migrate(sql: Sql, log?: Logger, dir = MIGRATIONS_DIR): Promise<number[]> {
  const migrations = await loadMigrations(dir);
  const reserved = await sql.reserve();
  const applied: number[] = [];
  try {
    await reserved`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`;
    await reserved`
      create table if not exists schema_migrations (
        version integer primary key,
        name text not null,
        applied_at timestamptz not null default now()
      )`;
    const done = new Set(
      (await reserved<{ version: number }[]>`select version from schema_migrations`).map(
        (r) => r.version,
      ),
    );
    for (const m of migrations) {
      if (done.has(m.version)) continue;
      await reserved`begin`;
      try {
        await reserved.unsafe(m.sql);
        await reserved`insert into schema_migrations (version, name) values (${m.version}, ${m.name})`;
        await reserved`commit`;
      } catch (err) {
        await reserved`rollback`;
        throw new Error(`migration ${m.name} failed: ${(err as Error).message}`, { cause: err });
      }
      applied.push(m.version);
      log?.info({ version: m.version, migration: m.name }, 'migration applied');
    }
  } finally {
    await reserved`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`.catch(() => {});
    reserved.release();
  }
  return applied;
}
