import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type ConsoleSession, CSRF_HEADER, SESSION_COOKIE } from '@amphi/protocol';
import type { FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import { AccountStore } from '../src/accounts/AccountStore.ts';
import { OperatorAccess } from '../src/accounts/OperatorAccess.ts';
import { SessionStore } from '../src/accounts/SessionStore.ts';
import {
  api,
  createTestDatabase,
  OPERATOR_TOKEN,
  startInstance,
  useControlPlane,
} from './support/harness.ts';

const env = useControlPlane();
type Err = { error: { code: string; message: string; details?: { path: string }[] } };

/** A browser's view of the console: its cookie jar (one cookie) and the CSRF token it was given. */
class Browser {
  cookie: string | null = null;
  csrf: string | null = null;

  /** `base`: another control plane than the file's. */
  constructor(readonly base?: string) {}

  async call<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    opts: { csrf?: string | null } = {},
  ): Promise<{ status: number; body: T; setCookie: string | null }> {
    const headers: Record<string, string> = {};
    if (this.cookie) headers.cookie = this.cookie;
    const csrf = opts.csrf === undefined ? this.csrf : opts.csrf;
    if (csrf) headers[CSRF_HEADER] = csrf;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${this.base ?? env.plane.url}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const setCookie = res.headers.get('set-cookie');
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : null) as T, setCookie };
  }

  async signIn(email: string, password: string) {
    const r = await this.call<ConsoleSession & Err>('POST', '/api/v1/console/session', {
      email,
      password,
    });
    if (r.status === 200) {
      this.cookie = (r.setCookie ?? '').split(';')[0] ?? null;
      this.csrf = r.body.csrfToken;
    }
    return r;
  }
}

async function account(role: 'admin' | 'operator', password = 'correct horse battery') {
  const email = `${role}-${randomUUID().slice(0, 8)}@amphi.test`;
  const created = await new AccountStore(env.plane.sql).create({
    email,
    displayName: role === 'admin' ? 'Anne Admin' : 'Omar Opérateur',
    role,
    password,
  });
  return { ...created, password };
}

async function auditRows(actor: string) {
  return env.plane.sql<{ action: string; statusCode: number | null; details: unknown }[]>`
    select action, status_code, details from operator_audit where actor_label = ${actor}
    order by id`;
}

describe('operator accounts and console sessions', () => {
  it('stores passwords as argon2id hashes, never as given', async () => {
    const a = await account('operator');
    const [row] = await env.plane.sql<{ passwordHash: string }[]>`
      select password_hash from operator_accounts where id = ${a.id}`;
    expect(row?.passwordHash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(row?.passwordHash).not.toContain(a.password);
  });

  it('signs in with an HttpOnly SameSite=Strict cookie kept server-side as a digest, then reads and writes with it', async () => {
    const a = await account('operator');
    const b = new Browser();
    const r = await b.signIn(a.email.toUpperCase(), a.password);
    expect(r.status).toBe(200);
    expect(r.body.account).toMatchObject({ email: a.email, role: 'operator', disabled: false });
    expect(r.setCookie).toMatch(new RegExp(`^${SESSION_COOKIE}=[\\w-]{43};`));
    expect(r.setCookie).toContain('HttpOnly');
    expect(r.setCookie).toContain('SameSite=Strict');
    expect(r.setCookie).toContain('Path=/api/');
    // Plain http on this machine: not Secure (a browser would drop it); Secure behind https (below).
    expect(r.setCookie).not.toContain('Secure');
    const sessionId = (b.cookie ?? '').split('=')[1] ?? '';
    const stored = await env.plane.sql<{ idHash: Buffer }[]>`
      select id_hash from operator_sessions s join operator_accounts a on a.id = s.account_id
      where a.email = ${a.email}`;
    expect(stored).toHaveLength(1);
    expect(stored[0]?.idHash.toString('base64url')).not.toBe(sessionId);

    const events = await b.call('GET', '/api/v1/events');
    expect(events.status).toBe(200);
    const me = await b.call<ConsoleSession>('GET', '/api/v1/console/session');
    expect([me.status, me.body.account.email, me.body.csrfToken]).toEqual([200, a.email, b.csrf]);

    const speaker = { name: 'Léa', job: 'Océanographe', organisation: 'Ifremer' };
    const noToken = await b.call<Err>('POST', '/api/v1/speakers', speaker, { csrf: null });
    expect([noToken.status, noToken.body.error.code]).toEqual([403, 'FORBIDDEN']);
    expect(noToken.body.error.details?.[0]?.path).toBe(`headers.${CSRF_HEADER}`);
    const wrong = await b.call<Err>('POST', '/api/v1/speakers', speaker, { csrf: 'x'.repeat(32) });
    expect([wrong.status, wrong.body.error.code]).toEqual([403, 'FORBIDDEN']);
    const made = await b.call<{ id: string }>('POST', '/api/v1/speakers', speaker);
    expect(made.status).toBe(201);
    const n = await env.plane.sql`select count(*)::int as n from speakers where name = 'Léa'`;
    expect(n[0]?.n).toBe(1);

    const rows = await auditRows(a.email);
    expect(rows.map((x) => [x.action, x.statusCode])).toEqual([
      ['sign-in', null],
      ['POST /api/v1/speakers', 201],
    ]);
  });

  it('marks the cookie Secure when the console is served over https', async () => {
    const sessions = new SessionStore(env.plane.sql);
    const req = (protocol: 'http' | 'https') => ({ protocol }) as FastifyRequest;
    const until = new Date(Date.now() + 60_000);
    const https = new OperatorAccess({ sessions, publicUrl: 'https://amphi.example.org' });
    const http = new OperatorAccess({ sessions, publicUrl: 'http://localhost:8080' });
    expect(https.cookieOptions(req('http'), until).secure).toBe(true);
    // Behind a trusted proxy that terminates TLS (TRUST_PROXY): the request's scheme is https.
    expect(http.cookieOptions(req('https'), until).secure).toBe(true);
    expect(http.cookieOptions(req('http'), until).secure).toBe(false);
    expect(https.cookieOptions(req('http'), null)).toMatchObject({ maxAge: 0, httpOnly: true });
  });

  it('keeps the Bearer credential for automation, audited as such', async () => {
    const r = await api(env.plane.url, 'POST', '/api/v1/speakers', {
      name: 'Script',
      job: 'Robot',
      organisation: 'CI',
    });
    expect(r.status).toBe(201);
    const rows = await auditRows('automation');
    expect(rows.at(-1)).toMatchObject({ action: 'POST /api/v1/speakers', statusCode: 201 });
    const none = await api<Err>(env.plane.url, 'GET', '/api/v1/events', undefined, null);
    expect([none.status, none.body.error.code]).toEqual([401, 'UNAUTHORIZED']);
  });

  it('refuses a wrong password and an unknown address alike, and writes the refusal down', async () => {
    const a = await account('operator');
    const b = new Browser();
    const wrong = await b.signIn(a.email, 'not the password');
    const unknown = await b.signIn('nobody@amphi.test', 'whatever it is');
    expect([wrong.status, wrong.body.error.code]).toEqual([401, 'UNAUTHORIZED']);
    expect([unknown.status, unknown.body.error.code]).toEqual([401, 'UNAUTHORIZED']);
    expect(wrong.body.error.message).toBe(unknown.body.error.message);
    expect(wrong.setCookie).toBeNull();
    expect((await auditRows(a.email)).map((r) => r.action)).toEqual(['sign-in refused']);
  });

  it('holds back guessing: after 5 refused sign-ins the right password waits too', async () => {
    const a = await account('operator');
    const b = new Browser();
    for (let i = 0; i < 5; i++) expect((await b.signIn(a.email, `guess ${i}`)).status).toBe(401);
    const held = await b.signIn(a.email, a.password);
    expect([held.status, held.body.error.code]).toEqual([429, 'RATE_LIMITED']);
    // Another person's address from the same client still signs in.
    const other = await account('operator');
    expect((await new Browser().signIn(other.email, other.password)).status).toBe(200);
  });

  it('signs out: the session ends server-side and the cookie is cleared', async () => {
    const a = await account('operator');
    const b = new Browser();
    await b.signIn(a.email, a.password);
    const kept = b.cookie;
    const noCsrf = await b.call<Err>('DELETE', '/api/v1/console/session', undefined, {
      csrf: null,
    });
    expect(noCsrf.status).toBe(403);
    const out = await b.call('DELETE', '/api/v1/console/session');
    expect(out.status).toBe(204);
    expect(out.setCookie).toMatch(new RegExp(`^${SESSION_COOKIE}=;`));
    b.cookie = kept;
    const after = await b.call<Err>('GET', '/api/v1/events');
    expect([after.status, after.body.error.code]).toEqual([401, 'UNAUTHORIZED']);
    expect((await auditRows(a.email)).map((r) => r.action)).toEqual([
      'sign-in',
      'DELETE /api/v1/console/session',
    ]);
  });

  it('lets admins, and only admins, manage accounts; the last admin stays; disabling ends sessions', async () => {
    const admin = await account('admin');
    const op = await account('operator');
    const adminB = new Browser();
    const opB = new Browser();
    await adminB.signIn(admin.email, admin.password);
    await opB.signIn(op.email, op.password);

    const body = {
      email: `new-${randomUUID().slice(0, 6)}@amphi.test`,
      displayName: 'Nina Nouvelle',
      role: 'operator',
      password: 'a long enough passphrase',
    };
    const denied = await opB.call<Err>('POST', '/api/v1/console/accounts', body);
    expect([denied.status, denied.body.error.code]).toEqual([403, 'FORBIDDEN']);
    const byScript = await api<Err>(env.plane.url, 'POST', '/api/v1/console/accounts', body);
    expect([byScript.status, byScript.body.error.code]).toEqual([401, 'UNAUTHORIZED']);
    const short = await adminB.call<Err>('POST', '/api/v1/console/accounts', {
      ...body,
      password: 'short',
    });
    expect([short.status, short.body.error.details?.[0]?.path]).toEqual([400, 'body.password']);
    const created = await adminB.call<{ id: string }>('POST', '/api/v1/console/accounts', body);
    expect(created.status).toBe(201);
    const twice = await adminB.call<Err>('POST', '/api/v1/console/accounts', body);
    expect([twice.status, twice.body.error.code]).toEqual([409, 'CONFLICT']);
    expect((await new Browser().signIn(body.email, body.password)).status).toBe(200);

    // Every other admin of this database is disabled: this one is the last.
    await env.plane.sql`update operator_accounts set disabled_at = now()
                        where role = 'admin' and id <> ${admin.id}`;
    const demote = await adminB.call<Err>('PATCH', `/api/v1/console/accounts/${admin.id}`, {
      role: 'operator',
    });
    expect([demote.status, demote.body.error.code]).toEqual([409, 'CONFLICT']);

    const disable = await adminB.call('PATCH', `/api/v1/console/accounts/${op.id}`, {
      disabled: true,
    });
    expect(disable.status).toBe(200);
    const ended = await opB.call<Err>('GET', '/api/v1/events');
    expect([ended.status, ended.body.error.code]).toEqual([401, 'UNAUTHORIZED']);
    expect((await new Browser().signIn(op.email, op.password)).status).toBe(401);

    const audit = await adminB.call<{
      items: { actor: string; action: string; details: object }[];
    }>('GET', '/api/v1/console/audit?limit=50');
    const mine = audit.body.items.filter((e) => e.actor === admin.email).map((e) => e.action);
    expect(mine).toEqual([
      'PATCH /api/v1/console/accounts/:id',
      'PATCH /api/v1/console/accounts/:id',
      'POST /api/v1/console/accounts',
      'POST /api/v1/console/accounts',
      'POST /api/v1/console/accounts',
      'sign-in',
    ]);
    // What an account change says, never the password.
    expect(JSON.stringify(audit.body.items)).not.toContain(body.password);
  });

  it('refuses the automation credential on the console’s own session routes', async () => {
    const r = await api<Err>(
      env.plane.url,
      'GET',
      '/api/v1/console/session',
      undefined,
      OPERATOR_TOKEN,
    );
    expect([r.status, r.body.error.code]).toEqual([401, 'UNAUTHORIZED']);
  });

  it('creates the first admin from the command line (npm run operator -- create-admin)', async () => {
    const databaseUrl = await createTestDatabase();
    const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
    const password = 'the very first admin';
    /** `npm run operator -- <args>` with the password in the environment, as an operator runs it. */
    const operatorCli = (args: string[], OPERATOR_PASSWORD = password) =>
      promisify(execFile)('node', ['--import', 'tsx', 'control-api/src/accounts/cli.ts', ...args], {
        cwd: root,
        env: { ...process.env, DATABASE_URL: databaseUrl, OPERATOR_PASSWORD },
      });
    const { stdout } = await operatorCli([
      'create-admin',
      '--email',
      'First@Amphi.test',
      '--name',
      'Première Admin',
    ]);
    expect(stdout).toContain('Created admin first@amphi.test');
    const short = await operatorCli(['create-admin', '--email', 'x@amphi.test'], 'short').catch(
      (err: { code: number; stderr: string }) => err,
    );
    expect(short).toMatchObject({ code: 2 });
    expect((short as { stderr: string }).stderr).toContain('password');
    const listed = await operatorCli(['list']);
    expect(listed.stdout).toMatch(/^admin\s+enabled\s+first@amphi\.test \(Première Admin\)$/m);
    // The refused one was not made.
    expect(listed.stdout).not.toContain('x@amphi.test');
    // And the admin it made signs in to the console with that password.
    const plane = await startInstance({ databaseUrl });
    try {
      const signedIn = await new Browser(plane.url).signIn('first@amphi.test', password);
      expect([signedIn.status, signedIn.body.account?.role]).toEqual([200, 'admin']);
    } finally {
      await plane.close();
    }
  }, 60_000);
});
