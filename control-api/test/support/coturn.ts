import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ensureDebianPackages } from '../../../scripts/debian-packages.mjs';
import { getFreePort } from '../../src/ports.ts';
import { type TurnSettings, turnUrls } from '../../src/rtc/turnCredentials.ts';

const run = promisify(execFile);

export interface CoturnOptions {
  /** Address it listens and relays on (default loopback). */
  listenIp?: string;
  /** TURN over UDP/TCP (default: a spare port). */
  port?: number;
  /** TURN over TLS (default: a spare port). */
  tlsPort?: number;
}

/** A running coturn with the control-api's shared secret, and what a client needs. */
export interface Coturn {
  readonly listenIp: string;
  readonly port: number;
  readonly tlsPort: number;
  /** What the control-api is configured with: the secret and the two URLs. */
  readonly settings: TurnSettings;
  /** The test certificate (self-signed, for `listenIp`) its TLS listener presents. */
  readonly certPath: string;
  /** base64 SHA-256 of the certificate's public key: what a test browser is told to trust. */
  readonly certSpkiSha256: string;
  /** What coturn has logged so far. */
  log(): Promise<string>;
  close(): Promise<void>;
}

/**
 * Debian's coturn (installed when missing), as docs/turn.md configures it
 * (shared-secret REST credentials, TLS), on spare ports with a certificate
 * made for the test by openssl. Loopback peers are allowed here only: the
 * media workers of the test listen there.
 */
export async function startCoturn(opts: CoturnOptions = {}): Promise<Coturn> {
  ensureDebianPackages(['coturn']);
  const listenIp = opts.listenIp ?? '127.0.0.1';
  const port = opts.port ?? (await getFreePort());
  const tlsPort = opts.tlsPort ?? (await getFreePort());
  const relayBase = 40_000 + Math.floor(Math.random() * 20_000);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'amphi-coturn-'));
  const certPath = path.join(dir, 'cert.pem');
  const keyPath = path.join(dir, 'key.pem');
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    keyPath,
    '-out',
    certPath,
    '-days',
    '1',
    '-subj',
    `/CN=${listenIp}`,
    '-addext',
    `subjectAltName=IP:${listenIp}`,
  ]);
  // What a browser trusts this certificate by (Chromium's --ignore-certificate-errors-spki-list).
  const { stdout: spki } = await run('sh', [
    '-c',
    `openssl x509 -pubkey -noout -in '${certPath}' | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64`,
  ]);
  const secret = randomBytes(24).toString('hex');
  const logPath = path.join(dir, 'turn.log');
  const conf = [
    `listening-ip=${listenIp}`,
    `relay-ip=${listenIp}`,
    `listening-port=${port}`,
    `tls-listening-port=${tlsPort}`,
    `min-port=${relayBase}`,
    `max-port=${relayBase + 200}`,
    'use-auth-secret',
    `static-auth-secret=${secret}`,
    'realm=amphi.test',
    `cert=${certPath}`,
    `pkey=${keyPath}`,
    'no-cli',
    'no-dtls',
    'no-multicast-peers',
    ...(listenIp.startsWith('127.') ? ['allow-loopback-peers'] : []),
    `userdb=${path.join(dir, 'turndb')}`,
    `pidfile=${path.join(dir, 'turn.pid')}`,
    `log-file=${logPath}`,
    'simple-log',
    'no-stdout-log',
  ];
  await writeFile(path.join(dir, 'turnserver.conf'), `${conf.join('\n')}\n`);
  const proc: ChildProcess = spawn('turnserver', ['-c', path.join(dir, 'turnserver.conf')], {
    stdio: 'ignore',
  });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const close = async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGTERM');
      const stopped = await Promise.race([
        exited.then(() => true),
        new Promise<boolean>((r) => setTimeout(() => r(false), 3000)),
      ]);
      if (!stopped) proc.kill('SIGKILL');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitForTcp(listenIp, tlsPort, 10_000, () => proc.exitCode !== null);
  } catch (err) {
    const log = await readFile(logPath, 'utf8').catch(() => '');
    await close();
    throw new Error(`coturn did not start: ${(err as Error).message}\n${log.slice(-2000)}`);
  }
  return {
    listenIp,
    port,
    tlsPort,
    settings: { secret, urls: turnUrls(listenIp, port, tlsPort) },
    certPath,
    certSpkiSha256: spki.trim(),
    log: () => readFile(logPath, 'utf8').catch(() => ''),
    close,
  };
}

async function waitForTcp(
  host: string,
  port: number,
  timeoutMs: number,
  gone: () => boolean,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (gone()) throw new Error('turnserver exited');
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, host, () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listening on ${host}:${port} after ${timeoutMs} ms`);
}

/**
 * Whether coturn grants an allocation with these credentials, asked with its
 * own client (turnutils_uclient, which the package ships), over UDP or TLS.
 */
export async function allocates(
  turn: Coturn,
  credentials: { username: string; credential: string },
  over: 'udp' | 'tls',
): Promise<boolean> {
  const args = [
    ...(over === 'tls' ? ['-t', '-S', '-p', String(turn.tlsPort)] : ['-p', String(turn.port)]),
    '-y',
    '-c',
    '-n',
    '1',
    '-m',
    '1',
    '-u',
    credentials.username,
    '-w',
    credentials.credential,
    turn.listenIp,
  ];
  const { stdout, stderr } = await run('turnutils_uclient', args, { timeout: 20_000 }).catch(
    (err: { stdout?: string; stderr?: string }) => ({
      stdout: err.stdout ?? '',
      stderr: err.stderr ?? '',
    }),
  );
  const out = `${stdout}\n${stderr}`;
  if (/Cannot complete Allocation|error 401|error 438/i.test(out)) return false;
  if (/Total lost packets/.test(out)) return true;
  throw new Error(`turnutils_uclient said neither yes nor no:\n${out.slice(-1500)}`);
}
