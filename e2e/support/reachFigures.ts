import { readFile, writeFile } from 'node:fs/promises';

/**
 * The reach figures of one `npm run bench:reach` (e2e/bench/reach.ts): each
 * test file adds its own to the JSON file the bench names in
 * AMPHI_REACH_RESULTS; outside the bench, nothing is written.
 */
export async function recordReachFigures(figures: Record<string, number>): Promise<void> {
  const out = process.env.AMPHI_REACH_RESULTS;
  if (!out || Object.keys(figures).length === 0) return;
  const before = JSON.parse(await readFile(out, 'utf8').catch(() => '{}')) as Record<
    string,
    number
  >;
  await writeFile(out, `${JSON.stringify({ ...before, ...figures }, null, 2)}\n`);
}
