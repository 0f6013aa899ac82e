import fs from 'node:fs';
import path from 'node:path';
import * as mediasoup from 'mediasoup';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { WorkerPool } from '../src/WorkerPool.ts';
import { workerCrypto } from '../src/workerCrypto.ts';

// Which crypto the worker runs is read from the binary itself, and logged when
// the pool starts: an operator can tell at a glance, whoever built it.

describe('the worker binary names its crypto', () => {
  it('reads the OpenSSL and libsrtp versions linked into the worker', () => {
    const crypto = workerCrypto();
    expect(crypto.openssl).toMatch(/^3\.\d+\.\d+/);
    expect(crypto.libsrtp).toMatch(/^2\.\d+\.\d+$/);
    // Built by scripts/mediasoup-worker.mjs: the versions are the sources it recorded.
    const record = path.join(path.dirname(fs.realpathSync(mediasoup.workerBin)), 'build.json');
    if (fs.existsSync(record)) {
      const { sources } = JSON.parse(fs.readFileSync(record, 'utf8')) as {
        sources: { package: string; upstream: string }[];
      };
      const built = Object.fromEntries(sources.map((s) => [s.package, s.upstream]));
      expect(crypto.openssl).toBe(built.openssl);
      expect(crypto.libsrtp).toBe(built.libsrtp2);
    }
  });

  it('logs them when the worker pool starts', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = pino({ level: 'info' }, { write: (l: string) => lines.push(JSON.parse(l)) });
    const pool = await WorkerPool.create({ size: 1, listenIp: '127.0.0.1', logger });
    pool.close();
    const line = lines.find((l) => l.msg === 'mediasoup worker binary');
    expect(line).toMatchObject({
      workerBin: mediasoup.workerBin,
      openssl: workerCrypto().openssl,
      libsrtp: workerCrypto().libsrtp,
    });
  });
});
