#!/usr/bin/env node
// Installs the Debian packages Amphi needs on a fresh machine (redis-server for
// the control-api tests, build tools for the mediasoup worker), only when they
// are missing. Plain Node ESM, no dependencies, so any script can import it:
//
//   import { ensureDebianPackages } from './debian-packages.mjs';
//   ensureDebianPackages(['redis-server']);
//
// or run it directly: node scripts/debian-packages.mjs [--wanted] redis-server [more...]

import { execFileSync } from 'node:child_process';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

/** Whether dpkg reports the package as installed. */
export function isDebianPackageInstalled(pkg) {
  try {
    // dpkg-query's own ${Status} field, not a JS template.
    const format = ['-f=$', '{Status}'].join('');
    const status = execFileSync('dpkg-query', ['-W', format, pkg], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    return status.trim().endsWith(' installed');
  } catch {
    return false;
  }
}

function hasCommand(cmd) {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Makes sure every package in `pkgs` is installed, running `apt-get update` then
 * `apt-get install -y` for the missing ones. Needs root (or passwordless sudo);
 * otherwise throws an error naming the packages and the command to run by hand.
 * Returns the list of packages it installed (empty when nothing was missing).
 */
export function ensureDebianPackages(
  pkgs,
  { log = (line) => process.stderr.write(`${line}\n`) } = {},
) {
  if (
    !Array.isArray(pkgs) ||
    pkgs.some((p) => typeof p !== 'string' || !/^[a-z0-9][a-z0-9+.-]*$/.test(p))
  ) {
    throw new TypeError(
      `ensureDebianPackages: expected Debian package names, got ${JSON.stringify(pkgs)}`,
    );
  }
  if (!hasCommand('dpkg-query')) {
    throw new Error(
      `This machine has no dpkg: install ${pkgs.join(', ')} with your system's package manager.`,
    );
  }
  const missing = pkgs.filter((p) => !isDebianPackageInstalled(p));
  if (missing.length === 0) return [];

  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const prefix = isRoot ? [] : hasCommand('sudo') ? ['sudo', '-n'] : null;
  const manual = `apt-get update && apt-get install -y ${missing.join(' ')}`;
  if (prefix === null) {
    throw new Error(`Missing Debian packages: ${missing.join(', ')}. Run as root: ${manual}`);
  }
  const run = (args) => {
    const [cmd, ...rest] = [...prefix, ...args];
    execFileSync(cmd, rest, {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  };
  log(`Installing missing Debian packages: ${missing.join(', ')}`);
  try {
    run(['apt-get', 'update']);
    run(['apt-get', 'install', '-y', '--no-install-recommends', ...missing]);
  } catch (err) {
    throw new Error(
      `Could not install ${missing.join(', ')} (${err instanceof Error ? err.message : String(err)}). Run as root: ${manual}`,
    );
  }
  const still = missing.filter((p) => !isDebianPackageInstalled(p));
  if (still.length > 0) {
    throw new Error(
      `apt-get finished but ${still.join(', ')} is still not installed. Run: ${manual}`,
    );
  }
  return missing;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  // --wanted: install when possible, but a machine that cannot (no root) goes on without them.
  const wanted = process.argv[2] === '--wanted';
  const pkgs = process.argv.slice(wanted ? 3 : 2);
  try {
    const installed = ensureDebianPackages(pkgs);
    process.stdout.write(
      installed.length ? `installed: ${installed.join(' ')}\n` : 'nothing to install\n',
    );
  } catch (err) {
    if (!wanted) throw err;
    process.stderr.write(`warning: going on without ${pkgs.join(', ')}: ${err.message}\n`);
  }
}
