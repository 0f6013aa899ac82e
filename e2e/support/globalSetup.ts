import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureDebianPackages } from '../../scripts/debian-packages.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Debian's Chromium (installed when missing) and fresh production builds of the apps the server serves. */
export default function setup(): void {
  ensureDebianPackages(['chromium']);
  // As `npm start` builds them: vitest sets NODE_ENV=test, which would give React's
  // development build to the browsers under test instead of the one schools get.
  execFileSync('npm', ['run', 'build:apps'], {
    cwd: ROOT,
    stdio: 'ignore',
    env: { ...process.env, NODE_ENV: 'production' },
  });
}
