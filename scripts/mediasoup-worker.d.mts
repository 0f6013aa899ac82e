export type WorkerProfile =
  | 'tuned'
  | 'tuned-history'
  | 'tuned-reap'
  | 'tuned-no-reap'
  | 'tuned-tcc'
  | 'tuned-unpatched'
  | 'stock'
  | 'debian-srtp';
/** Where the worker binary for a profile is cached (built or not). */
export function cachedWorkerPath(profile: WorkerProfile): string;
/** The cached worker binary for a profile, built first when missing. */
export function ensureWorker(profile: WorkerProfile): Promise<string>;
/** A worker that could not be built: its message says why and what to do. */
export class WorkerBuildError extends Error {}
