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
  const list = async () => {
    const res = await fetch(`${base}/api/v1/media-nodes`, { headers });
    return res.status === 200 ? MediaNodeList.parse(await res.json()) : null;
  };
  const before = await list();
  if (before?.plane !== 'remote') {
    return { available: false, note: 'not available: this build has no drain of a media node' };
  }
  const busiest = [...before.nodes].sort((a, b) => b.classrooms - a.classrooms)[0];
  if (!busiest) return { available: false, note: 'not available: no media node listed' };
  const { nodeId } = busiest;
  const started = monoMs();
  const res = await fetch(`${base}/api/v1/media-nodes/${encodeURIComponent(nodeId)}/drain`, {
    method: 'POST',
    headers,
  });
  if (res.status !== 200) {
    return { available: false, note: `drain refused: ${res.status} ${await res.text()}` };
  }
  let left = busiest.classrooms;
  while (monoMs() - started < 60_000) {
    left = (await list())?.nodes.find((n) => n.nodeId === nodeId)?.classrooms ?? 0;
    if (left === 0) break;
    await sleep(200);
  }
  const tookMs = Math.round(monoMs() - started);
  // Let the last moves settle before the gaps are read.
  await sleep(3_000);
  await fetch(`${base}/api/v1/media-nodes/${encodeURIComponent(nodeId)}/undrain`, {
    method: 'POST',
    headers,
  });
  return {
    available: true,
    note: `${nodeId}: ${busiest.classrooms} classrooms moved off in ${tookMs} ms, ${left} left`,
    nodeId,
    tookMs,
    left,
  };
}
