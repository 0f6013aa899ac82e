import { MediaNodeList } from '@amphi/protocol';
import { monoMs } from '../../../loadtest/src/clock.ts';
import { OPERATOR_TOKEN } from './harness.ts';

// A media node drained on the hosts rig by the operator's route, written once
// for the rig test and bench:cluster.

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Drains the media node carrying the most classrooms (POST
 * /api/v1/media-nodes/:nodeId/drain) and waits until none is left on it (an
 * event's origin stays until the event ends), at most a minute; then undrains it.
 */
export async function drainBusiestNode(
  base: string,
): Promise<{ available: boolean; note: string; nodeId?: string; tookMs?: number; left?: number }> {
  const headers = { authorization: `Bearer ${OPERATOR_TOKEN}` };
  // Through HAProxy on a starved machine a request may fail now and then
  // (fetch failed): asked again, not the end of the run and its figures.
  const list = async () => {
    try {
      const res = await fetch(`${base}/api/v1/media-nodes`, { headers });
      return res.status === 200 ? MediaNodeList.parse(await res.json()) : null;
    } catch {
      return null;
    }
  };
  const post = async (path: string): Promise<Response> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fetch(`${base}${path}`, { method: 'POST', headers });
      } catch (err) {
        if (attempt >= 3) throw err;
        await sleep(500);
      }
    }
  };
  let before = await list();
  for (let attempt = 1; !before && attempt < 3; attempt++) {
    await sleep(500);
    before = await list();
  }
  if (!before) {
    return { available: false, note: 'not measured: the media node list did not answer (3 tries)' };
  }
  if (before.plane !== 'remote') {
    return { available: false, note: 'not available: this build has no drain of a media node' };
  }
  const busiest = [...before.nodes].sort((a, b) => b.classrooms - a.classrooms)[0];
  if (!busiest) return { available: false, note: 'not available: no media node listed' };
  const { nodeId } = busiest;
  const started = monoMs();
  const res = await post(`/api/v1/media-nodes/${encodeURIComponent(nodeId)}/drain`);
  if (res.status !== 200) {
    return { available: false, note: `drain refused: ${res.status} ${await res.text()}` };
  }
  let left = busiest.classrooms;
  while (monoMs() - started < 60_000) {
    const now = await list();
    if (now) left = now.nodes.find((n) => n.nodeId === nodeId)?.classrooms ?? 0;
    if (left === 0) break;
    await sleep(200);
  }
  const tookMs = Math.round(monoMs() - started);
  // Let the last moves settle before the gaps are read.
  await sleep(3_000);
  await post(`/api/v1/media-nodes/${encodeURIComponent(nodeId)}/undrain`).catch(() => {});
  return {
    available: true,
    note: `${nodeId}: ${busiest.classrooms} classrooms moved off in ${tookMs} ms, ${left} left`,
    nodeId,
    tookMs,
    left,
  };
}
