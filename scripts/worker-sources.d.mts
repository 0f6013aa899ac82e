export type SourcePin = {
  package: string;
  version: string;
  upstream: string;
  sha256: string;
  suites: string[];
};
export type SourceTarball = { uri: string; filename: string; sha256: string };
export type ResolvedSource = {
  package: string;
  version: string;
  upstream: string;
  sha256: string;
  file: string;
  pinned: boolean;
};
export type SourceArchive = {
  versions(pkg: string): string[];
  tarball(pkg: string, version: string): SourceTarball;
  download(tarball: SourceTarball, dir: string): string;
};
export const WORKER_SOURCES: { openssl: SourcePin; libsrtp: SourcePin };
export function sha256File(file: string): string;
export function upstreamOf(debianVersion: string): string;
export function resolveSource(
  pin: SourcePin,
  archive: SourceArchive,
  dir: string,
  options?: { log?: (line: string) => void },
): ResolvedSource;
export function localSource(pin: SourcePin, dir: string | undefined): ResolvedSource | null;
