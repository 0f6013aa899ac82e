import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  localSource,
  resolveSource,
  type SourceArchive,
  type SourcePin,
  type SourceTarball,
} from './worker-sources.mjs';

const sha = (text: string) => createHash('sha256').update(text).digest('hex');

/** An archive as Debian's behaves here: it lists versions whose files may 404. */
function archive(
  listed: Record<
    string,
    { upstream: string; bytes: string; downloads: boolean; indexSha?: string }
  >,
) {
  const attempts: string[] = [];
  const fake: SourceArchive = {
    versions: () => Object.keys(listed),
    tarball(_pkg, version) {
      const v = listed[version];
      if (!v) throw new Error('not listed by the archive');
      return {
        uri: `mirror:${version}`,
        filename: `openssl_${v.upstream}.orig.tar.gz`,
        sha256: v.indexSha ?? sha(v.bytes),
      };
    },
    download(tarball: SourceTarball, dir: string) {
      const version = tarball.uri.slice('mirror:'.length);
      attempts.push(version);
      const v = listed[version];
      if (!v?.downloads) throw new Error(`${tarball.filename}: 404  Not Found`);
      fs.mkdirSync(dir, { recursive: true });
      const file = path.join(dir, tarball.filename);
      fs.writeFileSync(file, v.bytes);
      return file;
    },
  };
  return { fake, attempts };
}

const PIN: SourcePin = {
  package: 'openssl',
  version: '3.5.9-1~deb13u1',
  upstream: '3.5.9',
  sha256: sha('openssl 3.5.9'),
  suites: ['trixie'],
};

describe('worker sources: pinned, with the archive as it really behaves', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'amphi-sources-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('takes the pinned version when it downloads, and tries nothing else', () => {
    const { fake, attempts } = archive({
      '3.5.10-1': { upstream: '3.5.10', bytes: 'openssl 3.5.10', downloads: true },
      '3.5.9-1~deb13u1': { upstream: '3.5.9', bytes: 'openssl 3.5.9', downloads: true },
    });
    const got = resolveSource(PIN, fake, dir);
    expect(got).toMatchObject({ version: '3.5.9-1~deb13u1', upstream: '3.5.9', pinned: true });
    expect(got.sha256).toBe(PIN.sha256);
    expect(attempts).toEqual(['3.5.9-1~deb13u1']);
  });

  it('when the pin is gone, tries the listed versions newest first and says which it used', () => {
    const lines: string[] = [];
    const { fake, attempts } = archive({
      '3.5.9-1~deb13u1': { upstream: '3.5.9', bytes: 'openssl 3.5.9', downloads: false },
      '3.5.8-1': { upstream: '3.5.8', bytes: 'openssl 3.5.8', downloads: false },
      '3.5.7-1~deb13u3': { upstream: '3.5.7', bytes: 'openssl 3.5.7', downloads: true },
      '3.5.7-1~deb13u2': { upstream: '3.5.7', bytes: 'openssl 3.5.7', downloads: true },
    });
    const got = resolveSource(PIN, fake, dir, { log: (l) => lines.push(l) });
    expect(attempts).toEqual(['3.5.9-1~deb13u1', '3.5.8-1', '3.5.7-1~deb13u3']);
    expect(got).toMatchObject({ version: '3.5.7-1~deb13u3', upstream: '3.5.7', pinned: false });
    expect(got.sha256).toBe(sha('openssl 3.5.7'));
    expect(fs.readFileSync(got.file, 'utf8')).toBe('openssl 3.5.7');
    expect(lines.join('\n')).toMatch(/openssl 3\.5\.7 .*instead of the pinned 3\.5\.9/);
  });

  it('an other Debian revision of the same tarball counts as the pin', () => {
    const { fake } = archive({
      '3.5.9-1~deb13u2': { upstream: '3.5.9', bytes: 'openssl 3.5.9', downloads: true },
    });
    expect(resolveSource(PIN, fake, dir)).toMatchObject({
      version: '3.5.9-1~deb13u2',
      pinned: true,
    });
  });

  it('refuses other bytes under the pinned upstream version, and a download that does not match the index', () => {
    const { fake, attempts } = archive({
      '3.5.9-1~deb13u2': { upstream: '3.5.9', bytes: 'tampered 3.5.9', downloads: true },
      '3.5.8-1': {
        upstream: '3.5.8',
        bytes: 'openssl 3.5.8, truncated',
        downloads: true,
        indexSha: sha('openssl 3.5.8'),
      },
      '3.5.7-1': { upstream: '3.5.7', bytes: 'openssl 3.5.7', downloads: true },
    });
    const got = resolveSource(PIN, fake, dir);
    expect(got.version).toBe('3.5.7-1');
    // The tampered tarball is refused on the index's word, before any download.
    expect(attempts).toEqual(['3.5.8-1', '3.5.7-1']);
  });

  it('when nothing downloads, the error names each version tried and what to do', () => {
    const { fake } = archive({
      '3.5.9-1~deb13u1': { upstream: '3.5.9', bytes: 'openssl 3.5.9', downloads: false },
      '3.5.7-1~deb13u3': { upstream: '3.5.7', bytes: 'openssl 3.5.7', downloads: false },
    });
    let message = '';
    try {
      resolveSource(PIN, fake, dir);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain('3.5.9-1~deb13u1 (pinned): openssl_3.5.9.orig.tar.gz: 404');
    expect(message).toContain('3.5.7-1~deb13u3: openssl_3.5.7.orig.tar.gz: 404');
    expect(message).toContain('AMPHI_WORKER_SOURCES');
    expect(message).toContain('MEDIASOUP_WORKER_BIN');
  });

  it('takes a tarball fetched elsewhere from AMPHI_WORKER_SOURCES, checked against the pin', () => {
    expect(localSource(PIN, dir)).toBeNull();
    fs.writeFileSync(path.join(dir, 'openssl_3.5.9.orig.tar.gz'), 'openssl 3.5.9');
    expect(localSource(PIN, dir)).toMatchObject({ upstream: '3.5.9', pinned: true });
    fs.writeFileSync(path.join(dir, 'openssl_3.5.9.orig.tar.gz'), 'something else');
    expect(() => localSource(PIN, dir)).toThrow(/pinned to/);
  });
});
