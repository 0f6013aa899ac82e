import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type Browser,
  expectDecoding,
  launchChromium,
  localhost,
  screenshot,
} from '../support/browser.ts';

// The README's first command as a newcomer types it: `npm start` on embedded
// defaults (its own PostgreSQL, the demo event, FFmpeg's test pattern as the
// speaker), then a classroom link it prints, opened in Chromium.

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Resolves with everything printed once `done` matches it; rejects if the process ends first. */
function waitForOutput(child: ChildProcess, done: RegExp, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(
      () => reject(new Error(`no ${done} after ${timeoutMs} ms:\n${out}`)),
      timeoutMs,
    );
    const onData = (chunk: Buffer) => {
      out += chunk;
      if (done.test(out)) {
        clearTimeout(timer);
        resolve(out);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`npm start exited (${code}) before ${done}:\n${out}`));
    });
  });
}

describe('npm start: the demo a newcomer sees', () => {
  let server: ChildProcess | undefined;
  let browser: Browser | undefined;
  let dataDir: string | undefined;

  afterAll(async () => {
    await browser?.close();
    if (server && server.exitCode === null && server.signalCode === null) {
      server.kill('SIGTERM');
      await new Promise((r) => server?.once('exit', r));
    }
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('starts the test pattern and a classroom link shows it, with sound', async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'amphi-start-'));
    const port = await freePort();
    server = spawn('npm', ['start'], {
      cwd: ROOT,
      env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const started = Date.now();
    const out = await waitForOutput(server, /Test pattern: .*\n/, 240_000);
    console.log(`npm start: the demo ready in ${Math.round((Date.now() - started) / 1000)} s`);
    expect(out).toMatch(/Test pattern: FFmpeg plays the demo speaker/);
    const link = /classroom .*?(http\S+\/viewer\/\S+)/.exec(out)?.[1];
    expect(link).toMatch(/\/viewer\/\?event=[0-9a-f-]{36}&token=/);

    browser = await launchChromium();
    const page = await browser.context.newPage();
    await page.goto(localhost(link as string));
    // Past the pattern's first key frame (see broadcast.test.ts).
    console.log(`npm start, classroom link: ${await expectDecoding(page, 60)}`);
    await screenshot(page, 'npm-start-classroom');

    // Ctrl-C (SIGINT to the terminal's process group) leaves nothing running:
    // not FFmpeg, not the workers, not PostgreSQL.
    const group = -(server.pid as number);
    process.kill(group, 'SIGINT');
    const deadline = Date.now() + 20_000;
    let alive = true;
    while (alive && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      try {
        process.kill(group, 0);
      } catch {
        alive = false;
      }
    }
    expect(alive).toBe(false);
  }, 300_000);
});
