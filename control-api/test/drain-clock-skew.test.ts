import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MediaNodeSummary } from '@amphi/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ControlApiProcess } from './support/ControlApiProcess.ts';
import { OPERATOR_TOKEN } from './support/harness.ts';
import { type ProcessCluster, startProcessCluster } from './support/processCluster.ts';

// Two control-api processes as deployed, the second on a host whose wall clock
// is 30 s behind the first's (Date.now() shifted in that process alone), and
// one media node. An operator drains the node through one instance, then
// undrains it through the other, and so on: each word must take at once, in
// the order it was said, whichever instance took it and whatever its clock.

const SECRET = 'test-media-node-drain-skew-secret-01234';
const SKEW_MS = -30_000;
const NODE_ID = 'drain-skew-node';
const SKEWED_CLOCK = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  'support',
  'skewedClock.mjs',
);

let cluster: ProcessCluster;
let api1: ControlApiProcess;
let api2: ControlApiProcess;

beforeAll(async () => {
  cluster = await startProcessCluster({
    secret: SECRET,
    nodeIds: [NODE_ID],
    instanceEnv: {
      api2: {
        NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${SKEWED_CLOCK}`.trim(),
        AMPHI_TEST_CLOCK_SKEW_MS: String(SKEW_MS),
      },
    },
  });
  [api1, api2] = cluster.apis;
}, 120_000);

afterAll(async () => {
  await cluster?.close();
});

/** The operator's word through one instance: the node's summary it answers with. */
async function say(
  api: ControlApiProcess,
  word: 'drain' | 'undrain',
): Promise<MediaNodeSummary['state']> {
  const res = await fetch(`${api.url}/api/v1/media-nodes/${NODE_ID}/${word}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${OPERATOR_TOKEN}` },
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as MediaNodeSummary).state;
}

/** The node's state as an instance lists it. */
async function stateOn(api: ControlApiProcess): Promise<MediaNodeSummary['state'] | undefined> {
  const res = await fetch(`${api.url}/api/v1/media-nodes`, {
    headers: { authorization: `Bearer ${OPERATOR_TOKEN}` },
  });
  const list = (await res.json()) as { nodes: MediaNodeSummary[] };
  return list.nodes.find((n) => n.nodeId === NODE_ID)?.state;
}

describe('drain and undrain through instances whose clocks are 30 s apart', () => {
  it('takes each word at once, in the order said, through either instance', async () => {
    const seen: string[] = [];
    const step = async (api: ControlApiProcess, word: 'drain' | 'undrain') => {
      const answered = await say(api, word);
      const other = await stateOn(api === api1 ? api2 : api1);
      seen.push(`${word} via ${api === api1 ? 'api1' : 'api2 (-30 s)'}: ${answered}/${other}`);
      return [answered, other];
    };
    // The node has nobody on it: drained as soon as it is draining.
    const results = [
      await step(api1, 'drain'),
      await step(api2, 'undrain'),
      await step(api2, 'drain'),
      await step(api1, 'undrain'),
    ];
    console.info(`drain words (answer/other instance): ${seen.join('; ')}`);
    expect(results).toEqual([
      ['drained', 'drained'],
      ['active', 'active'],
      ['drained', 'drained'],
      ['active', 'active'],
    ]);
  }, 30_000);
});
