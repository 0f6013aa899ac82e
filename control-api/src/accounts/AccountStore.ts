import { randomUUID } from 'node:crypto';
import type {
  CreateAccountBody,
  OperatorAccount,
  OperatorRole,
  UpdateAccountBody,
} from '@amphi/protocol';
import type { Sql } from '../db/Database.ts';
import { AppError, pgErrorCode } from '../errors.ts';
import { hashPassword } from './passwords.ts';

interface AccountRow {
  id: string;
  email: string;
  displayName: string;
  role: OperatorRole;
  passwordHash: string;
  disabledAt: Date | null;
  createdAt: Date;
}

function accountOut(r: AccountRow): OperatorAccount {
  return {
    id: r.id,
    email: r.email,
    displayName: r.displayName,
    role: r.role,
    disabled: r.disabledAt !== null,
    createdAt: r.createdAt.toISOString(),
  };
}

/** Operator accounts: who may sign in to the console, as admin or operator. */
export class AccountStore {
  readonly #sql: Sql;

  constructor(sql: Sql) {
    this.#sql = sql;
  }

  async create(body: CreateAccountBody): Promise<OperatorAccount> {
    const passwordHash = await hashPassword(body.password);
    try {
      const [row] = await this.#sql<AccountRow[]>`
        insert into operator_accounts (id, email, display_name, role, password_hash)
        values (${randomUUID()}, ${body.email}, ${body.displayName}, ${body.role}, ${passwordHash})
        returning *`;
      if (!row) throw new AppError('INTERNAL', 'the database returned no row');
      return accountOut(row);
    } catch (err) {
      if (pgErrorCode(err) === '23505') {
        throw new AppError('CONFLICT', 'an account with this e-mail address already exists', [
          { path: 'body.email', message: 'already used' },
        ]);
      }
      throw err;
    }
  }

  async list(): Promise<OperatorAccount[]> {
    const rows = await this.#sql<AccountRow[]>`
      select * from operator_accounts order by lower(email)`;
    return rows.map(accountOut);
  }

  async get(id: string): Promise<OperatorAccount | null> {
    const [row] = await this.#sql<AccountRow[]>`select * from operator_accounts where id = ${id}`;
    return row ? accountOut(row) : null;
  }

  /** The account and its hash, for checking a password: enabled accounts only. */
  async forSignIn(email: string): Promise<{ account: OperatorAccount; hash: string } | null> {
    const [row] = await this.#sql<AccountRow[]>`
      select * from operator_accounts
      where lower(email) = lower(${email}) and disabled_at is null`;
    return row ? { account: accountOut(row), hash: row.passwordHash } : null;
  }

  async count(): Promise<number> {
    const [row] = await this.#sql<
      { n: number }[]
    >`select count(*)::int as n from operator_accounts`;
    return row?.n ?? 0;
  }

  /**
   * Changes an account. The last enabled admin can be neither demoted nor
   * disabled (nobody could manage accounts any more): CONFLICT. Disabling or
   * a new password ends the account's sessions.
   */
  async update(id: string, body: UpdateAccountBody): Promise<OperatorAccount> {
    const passwordHash = body.password === undefined ? null : await hashPassword(body.password);
    return this.#sql.begin(async (tx) => {
      // Serialises changes to admins: two admins demoting each other at once leave one.
      await tx`select pg_advisory_xact_lock(727140006)`;
      const [before] = await tx<AccountRow[]>`
        select * from operator_accounts where id = ${id} for update`;
      if (!before) throw new AppError('NOT_FOUND', `no account ${id}`);
      const losesAdmin =
        before.role === 'admin' &&
        before.disabledAt === null &&
        (body.role === 'operator' || body.disabled === true);
      if (losesAdmin) {
        const [others] = await tx<{ n: number }[]>`
          select count(*)::int as n from operator_accounts
          where role = 'admin' and disabled_at is null and id <> ${id}`;
        if ((others?.n ?? 0) === 0) {
          throw new AppError('CONFLICT', 'the last admin cannot be demoted or disabled');
        }
      }
      const disabledAt =
        body.disabled === undefined
          ? before.disabledAt
          : body.disabled
            ? (before.disabledAt ?? new Date())
            : null;
      const [row] = await tx<AccountRow[]>`
        update operator_accounts set
          display_name = ${body.displayName ?? before.displayName},
          role = ${body.role ?? before.role},
          disabled_at = ${disabledAt},
          password_hash = ${passwordHash ?? before.passwordHash},
          updated_at = now()
        where id = ${id} returning *`;
      if (!row) throw new AppError('NOT_FOUND', `no account ${id}`);
      if (body.disabled === true || passwordHash !== null) {
        await tx`delete from operator_sessions where account_id = ${id}`;
      }
      return accountOut(row);
    }) as Promise<OperatorAccount>;
  }
}
