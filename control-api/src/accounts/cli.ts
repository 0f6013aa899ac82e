import path from 'node:path';
import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import { CreateAccountBody } from '@amphi/protocol';
import { loadConfig } from '../config.ts';
import { connectDatabase, migrate } from '../db/Database.ts';
import { startEmbeddedPostgres } from '../db/embeddedPostgres.ts';
import { createLogger } from '../logger.ts';
import { AccountStore } from './AccountStore.ts';
import { AuditLog } from './AuditLog.ts';

const USAGE = `Operator accounts of the console (/console/).

  npm run operator -- create-admin --email anne@example.org --name "Anne Martin"
  npm run operator -- list

The password is read from OPERATOR_PASSWORD, else asked on the terminal
(12 characters at least). With DATABASE_URL unset, the embedded PostgreSQL
under DATA_DIR is used: stop the control-api first.`;

/** Reads one line from the terminal (the password), or from piped input. */
async function ask(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: false });
  process.stderr.write(question);
  for await (const line of rl) {
    rl.close();
    return line;
  }
  return '';
}

async function main(): Promise<number> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      email: { type: 'string' },
      name: { type: 'string' },
      role: { type: 'string', default: 'admin' },
      help: { type: 'boolean', default: false },
    },
  });
  const command = positionals[0];
  if (values.help || (command !== 'create-admin' && command !== 'list')) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  const config = loadConfig();
  const log = createLogger('warn');
  let databaseUrl = config.DATABASE_URL;
  let stop = async () => {};
  if (!databaseUrl) {
    const pg = await startEmbeddedPostgres({
      dir: path.join(path.resolve(config.DATA_DIR), 'postgres'),
      log,
    });
    databaseUrl = pg.url;
    stop = () => pg.stop();
  }
  const sql = connectDatabase(databaseUrl, { max: 2 });
  try {
    await migrate(sql, log);
    const accounts = new AccountStore(sql);
    if (command === 'list') {
      for (const a of await accounts.list()) {
        console.log(
          `${a.role.padEnd(8)} ${a.disabled ? 'disabled' : 'enabled '} ${a.email} (${a.displayName})`,
        );
      }
      return 0;
    }
    const password =
      process.env.OPERATOR_PASSWORD ?? (await ask('Password (12 characters at least): '));
    const body = CreateAccountBody.safeParse({
      email: values.email,
      displayName: values.name ?? values.email,
      role: values.role,
      password,
    });
    if (!body.success) {
      for (const issue of body.error.issues)
        console.error(`${issue.path.join('.')}: ${issue.message}`);
      return 2;
    }
    const account = await accounts.create(body.data);
    await new AuditLog(sql).record({
      actorAccountId: null,
      actorLabel: 'command line',
      action: 'account created',
      details: { accountId: account.id, email: account.email, role: account.role },
    });
    console.log(`Created ${account.role} ${account.email}: sign in at /console/`);
    return 0;
  } finally {
    await sql.end({ timeout: 5 });
    await stop();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error((err as Error).message);
    process.exit(1);
  },
);
