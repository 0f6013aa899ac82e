// The sources of the mediasoup worker's crypto (OpenSSL, libsrtp), pinned and
// fetched from Debian's archive, so that every machine builds the same bytes.
//
// Each pin names a Debian source version and the sha256 of its upstream
// tarball (Debian's .orig.tar.gz is upstream's release tarball; only that is
// built, not Debian's packaging). The archive drops old versions and does not
// serve every file its index lists, so when the pinned version cannot be
// downloaded, the other versions the archive lists (newest first, main and
// security suites) are tried; the tarball's sha256 is checked against the
// signed index, and the worker's cache is keyed by what was actually used.
//
// AMPHI_WORKER_SOURCES=<dir> holds tarballs fetched elsewhere (same file
// names as Debian's, e.g. openssl_3.5.7.orig.tar.gz): a machine without
// Debian's archive builds from those, checked against the pins.

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/**
 * What the worker's crypto is built from. `suites`: the Debian releases whose
 * versions may stand in when the pinned one is gone (their -security suites too).
 */
export const WORKER_SOURCES = {
  // Debian 12's OpenSSL 3.0 crashes on current Chromium's DTLS ClientHello:
  // only the next release's 3.5 line may stand in.
  openssl: {
    package: 'openssl',
    version: '3.5.7-1~deb13u2',
    upstream: '3.5.7',
    sha256: 'a8c0d28a529ca480f9f36cf5792e2cd21984552a3c8e4aa11a24aa31aeac98e8',
    suites: ['trixie'],
  },
  libsrtp: {
    package: 'libsrtp2',
    version: '2.5.0-3',
    upstream: '2.5.0',
    sha256: '8a43ef8e9ae2b665292591af62aa1a4ae41e468b6d98d8258f91478735da4e09',
    suites: ['bookworm', 'trixie'],
  },
};

export function sha256File(file) {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** The upstream version in a Debian source version: epoch and revision stripped. */
export function upstreamOf(debianVersion) {
  return debianVersion.replace(/^\d+:/, '').replace(/-[^-]*$/, '');
}

const ORIG_TARBALL = /^(.+)_(.+)\.orig\.tar\.(gz|xz|bz2)$/;

/**
 * Picks the source to build: the pin first, then every other version the
 * archive lists, newest first. Returns the downloaded, verified tarball and
 * whether it is the pinned one; throws an error naming each version tried.
 *
 * `archive`: { versions(pkg) -> string[] newest first, tarball(pkg, version) ->
 * { uri, filename, sha256 }, download(tarball, dir) -> file path }.
 */
export function resolveSource(pin, archive, dir, { log = () => {} } = {}) {
  const listed = archive.versions(pin.package);
  const candidates = [pin.version, ...listed.filter((v) => v !== pin.version)];
  const tried = [];
  for (const version of candidates) {
    const label = version === pin.version ? `${version} (pinned)` : version;
    let tarball;
    try {
      tarball = archive.tarball(pin.package, version);
    } catch (err) {
      tried.push(`${label}: ${err.message}`);
      continue;
    }
    const upstream = ORIG_TARBALL.exec(tarball.filename)?.[2] ?? upstreamOf(version);
    // Same upstream version, other bytes: never build that under the pin's name.
    if (upstream === pin.upstream && tarball.sha256 !== pin.sha256) {
      tried.push(`${label}: its tarball's sha256 ${tarball.sha256} is not the pinned one`);
      continue;
    }
    let file;
    try {
      file = archive.download(tarball, dir);
    } catch (err) {
      tried.push(`${label}: ${err.message}`);
      continue;
    }
    const sha256 = sha256File(file);
    if (sha256 !== tarball.sha256) {
      tried.push(`${label}: downloaded sha256 ${sha256}, the index says ${tarball.sha256}`);
      continue;
    }
    const pinned = sha256 === pin.sha256;
    log(
      pinned
        ? `${pin.package} ${upstream}: the pinned tarball (Debian ${version}, sha256 ${sha256.slice(0, 12)}…)`
        : `${pin.package} ${upstream} (Debian ${version}, sha256 ${sha256}) instead of the pinned ${pin.upstream} (${pin.version}), which could not be downloaded; tried: ${tried.join('; ')}`,
    );
    return { package: pin.package, version, upstream, sha256, file, pinned };
  }
  throw new Error(
    [
      `no ${pin.package} source could be downloaded from Debian's archive. Tried:`,
      ...tried.map((t) => `  - ${t}`),
      `  (listed by the archive: ${listed.join(', ') || 'none'})`,
      'What to do: update the pin in scripts/worker-sources.mjs to a version that downloads;',
      `or fetch ${pin.package}_${pin.upstream}.orig.tar.gz (sha256 ${pin.sha256}) elsewhere into a folder and set AMPHI_WORKER_SOURCES to it;`,
      'or build the worker on another machine and set MEDIASOUP_WORKER_BIN to its path.',
    ].join('\n'),
  );
}

/** A pinned tarball from AMPHI_WORKER_SOURCES, or null when that folder has none. */
export function localSource(pin, dir) {
  if (!dir) return null;
  const file = ['gz', 'xz', 'bz2']
    .map((ext) => path.join(dir, `${pin.package}_${pin.upstream}.orig.tar.${ext}`))
    .find((f) => fs.existsSync(f));
  if (!file) return null;
  const sha256 = sha256File(file);
  if (sha256 !== pin.sha256) {
    throw new Error(`${file}: sha256 ${sha256}, but ${pin.package} is pinned to ${pin.sha256}`);
  }
  return {
    package: pin.package,
    version: pin.version,
    upstream: pin.upstream,
    sha256,
    file,
    pinned: true,
  };
}

/**
 * Debian's archive seen through a private apt state (the system's own apt
 * configuration is read, never changed): the deb-src lines of the given
 * suites and their -security suites, on the archive the system already uses.
 */
export class DebianSourceArchive {
  constructor(workDir, suites) {
    this.dir = path.join(workDir, 'apt');
    const { main, security, signedBy } = systemArchive();
    const stanza = (uri, names) =>
      `Types: deb-src\nURIs: ${uri}\nSuites: ${names.join(' ')}\nComponents: main\nSigned-By: ${signedBy}\n`;
    const stanzas = [stanza(main, suites)];
    if (security)
      stanzas.push(
        stanza(
          security,
          suites.map((s) => `${s}-security`),
        ),
      );
    fs.mkdirSync(path.join(this.dir, 'lists', 'partial'), { recursive: true });
    fs.mkdirSync(path.join(this.dir, 'sources.list.d'), { recursive: true });
    fs.writeFileSync(path.join(this.dir, 'sources.list'), '');
    fs.writeFileSync(
      path.join(this.dir, 'sources.list.d', 'amphi-src.sources'),
      stanzas.join('\n'),
    );
    this.opts = [
      '-o',
      `Dir::Etc::SourceList=${path.join(this.dir, 'sources.list')}`,
      '-o',
      `Dir::Etc::SourceParts=${path.join(this.dir, 'sources.list.d')}`,
      '-o',
      `Dir::State::Lists=${path.join(this.dir, 'lists')}`,
      '-o',
      'APT::Sandbox::User=root',
    ];
    aptRun('apt-get', [...this.opts, '-qq', 'update']);
  }

  versions(pkg) {
    const out = aptRun('apt-cache', [...this.opts, 'madison', pkg]);
    const versions = [
      ...new Set(
        out
          .split('\n')
          .filter((l) => /Sources\s*$/.test(l))
          .map((l) => l.split('|')[1]?.trim())
          .filter(Boolean),
      ),
    ];
    return versions.sort((a, b) => (debianVersionGreater(a, b) ? -1 : 1));
  }

  tarball(pkg, version) {
    let out;
    try {
      out = aptRun('apt-get', [...this.opts, '-qq', 'source', '--print-uris', `${pkg}=${version}`]);
    } catch {
      throw new Error('not listed by the archive');
    }
    for (const line of out.split('\n')) {
      const m = /^'([^']+)'\s+(\S+)\s+\d+\s+SHA256:([0-9a-f]{64})/.exec(line);
      if (m && ORIG_TARBALL.test(m[2])) return { uri: m[1], filename: m[2], sha256: m[3] };
    }
    throw new Error('no upstream tarball (or no SHA256) in its source package');
  }

  download(tarball, dir) {
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, tarball.filename);
    if (fs.existsSync(file) && sha256File(file) === tarball.sha256) return file;
    try {
      // apt's own downloader: the system's proxy settings, and the index's hash checked.
      aptRun('/usr/lib/apt/apt-helper', [
        ...this.opts,
        'download-file',
        tarball.uri,
        file,
        `SHA256:${tarball.sha256}`,
      ]);
    } catch (err) {
      const reason = /(\d{3}\s+[A-Za-z ]+?)\s*\[|Hash Sum mismatch|Could not resolve[^\n]*/.exec(
        err.message,
      );
      throw new Error(
        `${tarball.filename}: ${reason ? (reason[1] ?? reason[0]) : 'download failed'}`,
      );
    }
    return file;
  }
}

function aptRun(cmd, args) {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    throw new Error(`${path.basename(cmd)} failed: ${err.stderr || err.message}`);
  }
}

function debianVersionGreater(a, b) {
  try {
    execFileSync('dpkg', ['--compare-versions', a, 'gt', b], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** The Debian archive and security archive URIs (and keyring) the system's apt uses. */
function systemArchive() {
  const found = {
    main: null,
    security: null,
    signedBy: '/usr/share/keyrings/debian-archive-keyring.gpg',
  };
  const consider = (uri, signedBy) => {
    if (found[uri.includes('security') ? 'security' : 'main'] === null) {
      found[uri.includes('security') ? 'security' : 'main'] = uri;
      if (signedBy) found.signedBy = signedBy;
    }
  };
  const dir = '/etc/apt/sources.list.d';
  for (const f of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
    if (!f.endsWith('.sources')) continue;
    for (const s of fs.readFileSync(path.join(dir, f), 'utf8').split(/\n\s*\n/)) {
      const signedBy = /^Signed-By:\s*(\S+)/m.exec(s)?.[1];
      if (!/^Types:.*\bdeb\b/m.test(s) || !signedBy?.includes('debian-archive-keyring')) continue;
      for (const uri of /^URIs:\s*(.+)$/m.exec(s)?.[1].split(/\s+/) ?? []) consider(uri, signedBy);
    }
  }
  if (fs.existsSync('/etc/apt/sources.list')) {
    for (const l of fs.readFileSync('/etc/apt/sources.list', 'utf8').split('\n')) {
      const m = /^deb\s+(?:\[[^\]]*\]\s+)?(\S*debian\S*)\s/.exec(l);
      if (m) consider(m[1]);
    }
  }
  if (!found.main) {
    throw new Error(
      "no Debian archive in this system's apt sources: set AMPHI_WORKER_SOURCES or MEDIASOUP_WORKER_BIN",
    );
  }
  return found;
}
