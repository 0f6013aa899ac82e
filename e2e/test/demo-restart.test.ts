import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectDecoding, inboundStats, screenshot, waitForStats } from '../support/browser.ts';
import { LiveSession } from '../support/session.ts';

// The demo's stand-in speaker is FFmpeg replaying a test pattern. Whenever its
// FFmpeg is started again (it ended, crashed), classrooms must keep decoding:
// here each run lasts 6 s instead of running for as long as the server does.

let session: LiveSession;

beforeAll(async () => {
  session = await LiveSession.start({ testPattern: { runSeconds: 6 } });
});

afterAll(async () => {
  await session?.close();
});

/** Waits until FFmpeg has been started again (a new process); returns its pid. */
async function nextRun(previous: number | undefined): Promise<number> {
  const pattern = session.pattern;
  if (!pattern) throw new Error('no test pattern');
  await expect
    .poll(() => pattern.ffmpegPid, { timeout: 20_000, interval: 100 })
    .not.toBeOneOf([previous, undefined]);
  return pattern.ffmpegPid as number;
}

describe('the demo test pattern started again', () => {
  it('a classroom open across two restarts keeps decoding, and one opened after a restart decodes', async () => {
    const [first, second] = session.ev.tokens.classrooms as [string, string];
    const open = await session.open('viewer', first);
    // Past its first 2 s, when a joining classroom's layer settles (see broadcast.test.ts).
    console.log(`open classroom: ${await expectDecoding(open, 60)}`);

    let pid = session.pattern?.ffmpegPid;
    for (const restart of [1, 2]) {
      pid = await nextRun(pid);
      const atRestart = (await inboundStats(open)).video.framesDecoded;
      // The new run's frames reach the classroom that stayed open: a second of them.
      const resumed = await waitForStats(
        open,
        (s) => s.video.framesDecoded > atRestart + 30,
        10_000,
      );
      console.log(
        `restart ${restart}: ${atRestart} frames decoded at the restart, ${resumed.video.framesDecoded} since`,
      );
    }
    // Still decoding within the third run.
    console.log(`open classroom after two restarts: ${await expectDecoding(open)}`);

    const late = await session.open('viewer', second);
    console.log(`classroom opened after the restarts: ${await expectDecoding(late, 60)}`);
    await screenshot(late, 'viewer-test-pattern-after-restart');
  });
});
