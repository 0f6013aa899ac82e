import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureDebianPackages } from '../../scripts/debian-packages.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Debian's Chromium (installed when missing) and fresh builds of the apps the server serves. */
export default function setup(): void {
  ensureDebianPackages(['chromium']);
  execFileSync('npm', ['run', 'build:apps'], { cwd: ROOT, stdio: 'ignore' });
}
