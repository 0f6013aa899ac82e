import fs from 'node:fs';
import * as mediasoup from 'mediasoup';

export type WorkerCrypto = {
  workerBin: string;
  /** OpenSSL version linked into the worker (DTLS, and SRTP's ciphers); null when linked dynamically. */
  openssl: string | null;
  /** libsrtp version linked into the worker; null when linked dynamically. */
  libsrtp: string | null;
};

let cached: WorkerCrypto | undefined;

/**
 * The crypto libraries the worker binary carries, read from the binary itself
 * (their version strings are linked in statically): what it really runs,
 * whoever built it, for the start-up log.
 */
export function workerCrypto(workerBin: string = mediasoup.workerBin): WorkerCrypto {
  if (cached?.workerBin === workerBin) return cached;
  const text = fs.readFileSync(workerBin).toString('latin1');
  cached = {
    workerBin,
    openssl: /OpenSSL (\d+\.\d+\.\d+[a-z]?)\s/.exec(text)?.[1] ?? null,
    libsrtp: /libsrtp2? (\d+\.\d+\.\d+)/.exec(text)?.[1] ?? null,
  };
  return cached;
}
