import { afterAll, beforeAll, expect, test } from 'vitest';
import { ClassroomPeer } from '../src/ClassroomPeer.ts';
import { Deployment, type TestEvent } from '../src/Deployment.ts';
import { LocalServer } from '../src/LocalServer.ts';
import { SpeakerProcess } from '../src/SpeakerProcess.ts';

// When the speaker's line drops, its media is kept on the server for its next
// socket (resume): it comes back and takes its producers over, and classrooms
// keep seeing its frames with no media set up again, as the studio and the
// viewer do. (A long run on a starved machine once lost its speaker this way,
// and with it every later classroom.)

let server: LocalServer;
let deployment: Deployment;
let ev: TestEvent;
let speaker: SpeakerProcess;
const peers: ClassroomPeer[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  server = await LocalServer.start({ workers: 1 });
  deployment = new Deployment(server.url, server.operatorToken);
  ev = await deployment.createTestEvent(2, 'recovery');
  speaker = await SpeakerProcess.start({
    baseUrl: server.url,
    eventId: ev.eventId,
    token: ev.speakerToken,
  });
}, 180_000);

afterAll(async () => {
  for (const p of peers) p.close();
  speaker?.close();
  if (ev) await deployment.cleanUp(ev);
  await server?.stop();
});

test('classrooms keep seeing the speaker after its connection dropped (resumed, nothing set up again)', async () => {
  for (const [i, token] of ev.classroomTokens.entries()) {
    const p = new ClassroomPeer({
      index: i,
      baseUrl: server.url,
      eventId: ev.eventId,
      token,
      capture: speaker.captureClock,
      serverSharesClock: true,
    });
    peers.push(p);
    await p.join();
    expect(p.figures.error).toBeNull();
  }
  await sleep(3000);
  const before = peers.map((p) => p.figures.video.frames);
  expect(Math.min(...before)).toBeGreaterThan(10);

  const again = peers.map((p) => p.figures.video.frames);
  speaker.dropConnection();
  await sleep(3000);
  // The speaker's producers flowed on: no classroom had to set its media up again.
  for (const p of peers) expect(p.figures.mediaSetups).toBe(0);
  peers.forEach((p, i) => {
    // About 15 fps all along on the same consumer, its delays measured on the same clock.
    expect(p.figures.video.frames - (again[i] as number)).toBeGreaterThan(20);
    expect(p.figures.video.delays.at(-1) as number).toBeLessThan(1000);
    expect(p.figures.video.delays.at(-1) as number).toBeGreaterThanOrEqual(0);
  });
}, 120_000);
