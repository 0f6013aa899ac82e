/**
 * What `probe` gives once it gives something (not null, nor a throw), asked
 * every 100 ms for up to `ms`: for a test that waits on a state it cannot be
 * told of (a node re-registered, a placement written back) and needs the value.
 */
export async function within<T>(ms: number, probe: () => Promise<T | null>): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const got = await probe().catch(() => null);
    if (got !== null) return got;
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Resolves once `test()` holds, asked every 20 ms for up to `ms`: for a test
 * that waits on what its own clients count (reconnections, a socket's status).
 */
export async function until(ms: number, test: () => boolean): Promise<void> {
  const deadline = Date.now() + ms;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
