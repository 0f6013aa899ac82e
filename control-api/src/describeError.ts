/**
 * Anything thrown or rejected, as text for an operator: a stack when there is
 * one, its causes, and something readable for the rest (some packages reject
 * with nothing at all, and reading `.stack` of that hid the real failure).
 */
export function describeError(err: unknown, depth = 0): string {
  if (err instanceof Error) {
    const text = err.stack ?? `${err.name}: ${err.message}`;
    return err.cause === undefined || depth >= 5
      ? text
      : `${text}\nCaused by: ${describeError(err.cause, depth + 1)}`;
  }
  if (err === undefined || err === null) return `rejected with no reason (${String(err)})`;
  if (typeof err === 'string') return err;
  try {
    return JSON.stringify(err) ?? String(err);
  } catch {
    return String(err);
  }
}
