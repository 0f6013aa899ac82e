/**
 * A k6 duration in milliseconds: '30s', '1m30s', '500ms', '2h', '1.5s'; a bare
 * number is seconds, as k6 reads it in scenario options.
 */
export function parseDuration(value: string | number | undefined, fallbackMs?: number): number {
  if (value === undefined || value === '') {
    if (fallbackMs === undefined) throw new Error('a duration is required');
    return fallbackMs;
  }
  if (typeof value === 'number') return value * 1000;
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let total = 0;
  let matched = 0;
  for (let m = re.exec(value); m; m = re.exec(value)) {
    total += Number(m[1]) * (units[m[2] as string] as number);
    matched = re.lastIndex;
  }
  if (matched !== value.length || matched === 0) {
    if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
    throw new Error(`"${value}" is not a k6 duration (e.g. 30s, 1m30s, 500ms)`);
  }
  return total;
}

/** k6's way of printing a duration: 1m30s, 2.5s, 120ms. */
export function formatDuration(ms: number): string {
  if (ms < 1) return `${(ms * 1000).toFixed(0)}µs`;
  if (ms < 1000) return `${Number(ms.toFixed(2))}ms`;
  if (ms < 60_000) return `${Number((ms / 1000).toFixed(2))}s`;
  const m = Math.floor(ms / 60_000);
  const s = Number(((ms % 60_000) / 1000).toFixed(1));
  return s ? `${m}m${s}s` : `${m}m`;
}
