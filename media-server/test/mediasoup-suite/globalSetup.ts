// Before mediasoup's suite runs: make sure its test files and the worker binary it
// will spawn exist, and write the DTLS certificate and key that test-Worker.js passes to
// createWorker(), which the npm package does not ship.
import { execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { ensureDebianPackages } from '../../../scripts/debian-packages.mjs';
import { mediasoupTestDataDir, mediasoupTestDir } from './paths.ts';

const require = createRequire(import.meta.url);

/**
 * Among other projects, one that finds no test file passes silently: fail instead if
 * a mediasoup upgrade stops shipping its compiled tests where vitest.config.ts looks.
 */
function assertTestFiles(): void {
  const files = existsSync(mediasoupTestDir)
    ? readdirSync(mediasoupTestDir).filter((f) => /^test-.*\.js$/.test(f))
    : [];
  if (files.length === 0) {
    throw new Error(
      `mediasoup's compiled test suite not found: no test-*.js in ${mediasoupTestDir}`,
    );
  }
}

function assertWorkerBinary(): void {
  const { workerBin } = require('mediasoup') as { workerBin: string };
  try {
    accessSync(workerBin, constants.X_OK);
  } catch {
    throw new Error(
      `mediasoup worker binary missing or not executable: ${workerBin}. ` +
        'Build it with `node scripts/mediasoup-worker.mjs` (or set MEDIASOUP_WORKER_BIN).',
    );
  }
}

/** A self-signed P-256 certificate, like the one in mediasoup's repository. */
function writeDtlsCertificate(): void {
  ensureDebianPackages(['openssl']);
  mkdirSync(mediasoupTestDataDir, { recursive: true });
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=mediasoup-test',
      '-keyout',
      path.join(mediasoupTestDataDir, 'dtls-key.pem'),
      '-out',
      path.join(mediasoupTestDataDir, 'dtls-cert.pem'),
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
}

export default function setup(): void {
  assertTestFiles();
  assertWorkerBinary();
  writeDtlsCertificate();
}
