import { execFile } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  type EventNetworkChecks,
  type NetworkVerdictLevel,
  SLOW_DOWNLINK_KBPS,
} from '@amphi/protocol';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ControlPlane } from '../../control-api/src/server.ts';
import { type Coturn, startCoturn } from '../../control-api/test/support/coturn.ts';
import {
  api,
  createTestDatabase,
  type SeededEvent,
  seedEvent,
  startInstance,
  startMediaNode,
  TestClient,
} from '../../control-api/test/support/harness.ts';
import { ARTIFACTS, type Browser, launchChromium, screenshot } from '../support/browser.ts';
import { docScreenshot } from '../support/docScreenshot.ts';
import { type SchoolFirewall, SchoolNetwork } from '../support/schoolNetwork.ts';

// The network check before the event, in the four shapes a school's network
// takes: four schools, each on its own network (a namespace linked to the
// host) behind its own firewall, Chromium inside each opening the check page
// from its class's link days before the talk (the event is only scheduled).
// The server, its media worker and coturn listen on the host. What the
// teacher notices: the one verdict, and what to ask the school's IT.

const run = promisify(execFile);
let unavailable: string | null = null;
let serverIp: string | null = null;
const schools = new Map<string, SchoolNetwork>();
let turn: Coturn | null = null;
let plane: ControlPlane | null = null;
let ev: SeededEvent;
const browsers: Browser[] = [];

/** 443 on the host's side of the link when nothing holds it, as a school's firewall expects. */
async function tlsPortOn(host: string): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(0));
    s.listen(443, host, () => s.close(() => resolve(443)));
  });
}

const webPort = () => Number(new URL((plane as ControlPlane).url).port);

interface Scenario {
  name: string;
  /** Its network namespace. */
  school: string;
  firewall: () => SchoolFirewall;
  /** The school's downlink, kbit/s (tc on the host's side of its link); unlimited when absent. */
  downlinkKbit?: number;
  level: NetworkVerdictLevel;
  path: string;
  /** The verdict's words on the screen. */
  words: string;
  /** Ways in that must show as getting through, and as blocked. */
  through: string[];
  blocked: string[];
  /** The notes beside the verdict that the shape must bring. */
  notes: string[];
  /** The first thing to ask the school's IT (null: nothing). */
  ask: () => RegExp | null;
}

const scenarios: Scenario[] = [
  {
    name: 'open',
    school: 'chk-open',
    firewall: () => ({ kind: 'open' }),
    level: 'ready',
    path: 'udp',
    words: 'Tout est prêt : connexion directe',
    through: ['udp', 'tcp', 'turn-udp', 'turn-tls', 'hls'],
    blocked: [],
    notes: [],
    ask: () => null,
  },
  {
    name: 'no-udp',
    school: 'chk-noudp',
    firewall: () => ({ kind: 'no-udp' }),
    level: 'ready',
    path: 'tcp',
    words: 'Tout est prêt : connexion directe',
    through: ['tcp', 'turn-tls', 'hls'],
    blocked: ['udp', 'turn-udp'],
    notes: ['UDP est bloqué : la connexion passe par TCP, un peu moins fluide.'],
    // Optional: UDP to the media worker would be smoother than TCP.
    ask: () => /^ouvrir UDP \d+ vers 10\.200\.0\.1 \(serveur vidéo, connexion directe\)$/,
  },
  {
    name: 'tls-443',
    school: 'chk-tls',
    // Only the web server and the relay's TLS port get out (a strict school proxy's rules).
    firewall: () => ({ kind: 'tcp-only', ports: [webPort(), (turn as Coturn).tlsPort] }),
    level: 'relay',
    path: 'turn-tls',
    words: 'Connexion via relais',
    through: ['turn-tls', 'hls'],
    blocked: ['udp', 'tcp', 'turn-udp'],
    notes: ['Le relais n’est joignable que par TLS : UDP vers le relais serait plus fluide.'],
    ask: () =>
      new RegExp(`^ouvrir UDP ${(turn as Coturn).port} vers 10\\.200\\.0\\.1 \\(relais\\)$`),
  },
  {
    name: 'web-only',
    school: 'chk-web',
    firewall: () => ({ kind: 'tcp-only', ports: [webPort()] }),
    level: 'fallback',
    path: 'hls',
    words: 'Mode secours : image en léger différé',
    through: ['hls'],
    blocked: ['udp', 'tcp', 'turn-udp', 'turn-tls'],
    notes: [],
    ask: () =>
      new RegExp(
        `^ouvrir UDP ${(turn as Coturn).port} et TCP ${(turn as Coturn).tlsPort} vers 10\\.200\\.0\\.1 \\(relais\\)$`,
      ),
  },
  {
    name: 'slow-line',
    school: 'chk-slow',
    // Open, but a line too thin for the lowest layer and its sound (150 + 64 kbit/s).
    firewall: () => ({ kind: 'open' }),
    downlinkKbit: 160,
    level: 'ready',
    path: 'udp',
    words: 'Connexion directe, mais débit faible',
    through: ['udp', 'tcp', 'turn-udp', 'turn-tls'],
    blocked: [],
    notes: ['Débit faible : le son passera en priorité, l’image sera réduite.'],
    ask: () => null,
  },
];

beforeAll(async () => {
  unavailable = await SchoolNetwork.probe();
  if (unavailable) return;
  serverIp = await SchoolNetwork.addServerAddress();
  const host = serverIp;
  for (const [i, sc] of scenarios.entries()) {
    schools.set(sc.name, await SchoolNetwork.create({ name: sc.school, subnet: 11 + i }));
  }
  const tlsPort = await tlsPortOn(host);
  turn = await startCoturn({ listenIp: host, ...(tlsPort ? { tlsPort } : {}) });
  plane = await startInstance({
    databaseUrl: await createTestDatabase(),
    media: await startMediaNode({ workers: 1, listenIp: host }),
    host,
    turn: turn.settings,
  });
  // Scheduled an hour ahead: the check is run before the talk, not in it.
  ev = await seedEvent(plane.url, { classrooms: scenarios.length + 1 });
});

afterAll(async () => {
  // Each step on its own: a failure in one still lets the namespaces and their rules go.
  const steps: (() => Promise<unknown> | undefined)[] = [
    ...browsers.map((b) => () => b.close()),
    () => plane?.close(),
    () => turn?.close(),
    ...[...schools.values()].map((school) => () => school.close()),
    () => (serverIp ? SchoolNetwork.removeServerAddress(serverIp) : undefined),
  ];
  for (const step of steps) await Promise.resolve(step()).catch((err) => console.warn(err));
});

/** Chromium inside a school, with a fresh profile. */
async function schoolBrowser(s: SchoolNetwork): Promise<Browser> {
  const origin = new URL((plane as ControlPlane).url).origin;
  const browser = await launchChromium({
    executablePath: s.chromiumPath,
    args: [
      `--unsafely-treat-insecure-origin-as-secure=${origin}`,
      // Chromium checks the relay's TLS certificate: trust the test's (its key only).
      `--ignore-certificate-errors-spki-list=${(turn as Coturn).certSpkiSha256}`,
    ],
  });
  browsers.push(browser);
  return browser;
}

/**
 * The school's downlink: a token bucket on the host's end of its link (what
 * leaves the host towards the school). The namespace's deletion removes it.
 */
async function limitDownlink(school: string, kbit: number): Promise<void> {
  const dev = `${school.slice(0, 10)}-h`;
  await run('tc', [
    'qdisc',
    'replace',
    'dev',
    dev,
    'root',
    'tbf',
    'rate',
    `${kbit}kbit`,
    'burst',
    '4kb',
    'latency',
    '300ms',
  ]);
}

/** The page's text with its no-break spaces as plain ones. */
const plain = (s: string | null) => (s ?? '').replace(/\u00a0/g, ' ').trim();

async function runCheck(
  page: Page,
  token: string,
  beforeStart: () => Promise<void> = async () => {},
): Promise<number> {
  page.on('pageerror', (err) => console.log(`[check page error] ${err.message}`));
  await page.goto(
    `${(plane as ControlPlane).url}/viewer/check/?event=${ev.eventId}&token=${encodeURIComponent(token)}`,
  );
  const start = page.getByTestId('check-start');
  await expect.poll(() => start.textContent()).toBe('Lancer le test');
  await beforeStart();
  // Keyboard only: Tab to the button, Enter.
  await start.focus();
  const t0 = Date.now();
  await page.keyboard.press('Enter');
  await page.getByTestId('check-verdict').waitFor({ timeout: 90_000 });
  return Date.now() - t0;
}

describe('the network check page, in the four shapes of a school’s network', () => {
  for (const [i, sc] of scenarios.entries()) {
    it(`${sc.name}: « ${sc.words} »`, async (ctx) => {
      if (unavailable) {
        console.log(`skipped: ${unavailable}`);
        ctx.skip();
      }
      const s = schools.get(sc.name) as SchoolNetwork;
      await s.setFirewall(sc.firewall());
      const browser = await schoolBrowser(s);
      const page = await browser.context.newPage();
      // A thin line is set once the page is in (its scripts would take a minute at 160 kbit/s).
      const ms = await runCheck(page, ev.tokens.classrooms[i] as string, async () => {
        if (sc.downlinkKbit) await limitDownlink(sc.school, sc.downlinkKbit);
      });

      // The teacher sees the link is their class's.
      const letter = String.fromCharCode(65 + i);
      expect(plain(await page.getByTestId('check-for').textContent())).toMatch(
        new RegExp(
          `^Classe : 4e ${letter}, Collège ${i % 4} \\(Ville ${i % 4}\\) — séance « Métiers du son`,
        ),
      );
      const verdict = page.getByTestId('check-verdict');
      expect(await verdict.getAttribute('data-level')).toBe(sc.level);
      expect(await verdict.getAttribute('data-path')).toBe(sc.path);
      expect(plain(await verdict.locator('h2').textContent())).toBe(sc.words);
      // Keyboard users land on the verdict.
      expect(await page.evaluate('document.activeElement?.tagName')).toBe('H2');
      for (const p of sc.through) {
        expect(await page.getByTestId(`probe-${p}`).getAttribute('data-state'), p).toBe('ok');
      }
      for (const p of sc.blocked) {
        expect(await page.getByTestId(`probe-${p}`).getAttribute('data-state'), p).toBe('blocked');
      }
      const notes = (await verdict.locator('.check-notes li').allTextContents()).map(plain);
      for (const note of sc.notes) expect(notes).toContain(note);
      const asks = (await page.getByTestId('check-it').locator('li').allTextContents()).map(plain);
      const first = sc.ask();
      if (first) expect(asks[0]).toMatch(first);
      else {
        expect(asks).toEqual([]);
        expect(plain(await page.getByTestId('check-it').textContent())).toBe(
          'Rien à demander au service informatique.',
        );
      }
      const downlink = plain(await page.getByTestId('check-downlink').textContent());
      // Grouped as French writes it (« 45 590 kbit/s », narrow no-break spaces).
      const kbps = Number(/([\d\s\u202f]+) kbit\/s/.exec(downlink)?.[1]?.replace(/\D/g, ''));
      expect(kbps).toBeGreaterThan(0);
      if (sc.downlinkKbit) expect(kbps).toBeLessThan(SLOW_DOWNLINK_KBPS);
      const browserLine = page.getByTestId('check-browser');
      expect(await browserLine.getAttribute('data-supported')).toBe('true');
      expect(plain(await browserLine.textContent())).toMatch(/^Navigateur : Chrom\w* \d+/);
      if (sc.firewall().kind !== 'open') expect(await s.dropped()).toBeGreaterThan(0);
      // The whole page: the verdict, what to ask IT, the measures, each way in.
      await page.screenshot({
        path: path.join(ARTIFACTS, `network-check-${sc.name}.png`),
        fullPage: true,
      });
      // What the teacher sees first (docs/screenshots with AMPHI_DOC_SCREENSHOTS=1).
      if (sc.name !== 'slow-line') await docScreenshot(page, `check-${sc.name}`);
      if (sc.name === 'web-only') {
        // English on demand: the same verdict, in the other language.
        await page.getByRole('button', { name: 'Switch to English' }).press('Enter');
        expect(plain(await verdict.locator('h2').textContent())).toBe(
          'Fallback mode: picture slightly delayed',
        );
        expect(
          plain(await page.getByTestId('check-it').locator('li').first().textContent()),
        ).toMatch(/^open UDP \d+ and TCP \d+ to 10\.200\.0\.1 \(relay\)$/);
        await page.screenshot({
          path: path.join(ARTIFACTS, 'network-check-web-only-en.png'),
          fullPage: true,
        });
      }
      console.log(
        `${sc.name}: « ${sc.words} » (${sc.path}) in ${ms} ms; downlink ${kbps} kbit/s; IT: ${asks.join(' / ') || '—'}`,
      );
    });
  }

  it('operators read how many classes will need what; the checks never joined the event', async (ctx) => {
    if (unavailable) {
      console.log(`skipped: ${unavailable}`);
      ctx.skip();
    }
    const res = await api<EventNetworkChecks>(
      (plane as ControlPlane).url,
      'GET',
      `/api/v1/events/${ev.eventId}/network-checks`,
    );
    expect(res.status).toBe(200);
    expect(res.body.byLevel).toEqual({
      ready: 3,
      relay: 1,
      fallback: 1,
      impossible: 0,
      unchecked: 1,
    });
    expect(res.body.byPath).toMatchObject({ udp: 2, tcp: 1, 'turn-tls': 1, hls: 1, none: 0 });
    // The thin line is told apart: ready, but too slow for the picture.
    expect(res.body.slowDownlink).toBe(1);
    console.log(
      `operators: ${JSON.stringify(res.body.byLevel)} ${JSON.stringify(res.body.byPath)}`,
    );
    const moderator = await TestClient.connect(
      (plane as ControlPlane).url,
      ev.eventId,
      ev.tokens.moderator,
    );
    try {
      const presence = await moderator.request('presence.get', {});
      expect(presence.participants.filter((p) => p.role === 'classroom')).toEqual([]);
    } finally {
      await moderator.close();
    }
  });

  it('a teacher who opens the class link before the talk finds the check there', async (ctx) => {
    if (unavailable) {
      console.log(`skipped: ${unavailable}`);
      ctx.skip();
    }
    const origin = new URL((plane as ControlPlane).url).origin;
    const browser = await launchChromium({
      args: [`--unsafely-treat-insecure-origin-as-secure=${origin}`],
    });
    browsers.push(browser);
    const page = await browser.context.newPage();
    const token = ev.tokens.classrooms[scenarios.length] as string;
    await page.goto(`${origin}/viewer/?event=${ev.eventId}&token=${encodeURIComponent(token)}`);
    const link = page.getByTestId('waiting-check');
    await link.waitFor({ timeout: 30_000 });
    expect(plain(await link.textContent())).toBe('Tester le réseau de la classe avant la séance');
    await screenshot(page, 'network-check-from-waiting-screen');
    await link.press('Enter');
    await page.waitForURL(/\/viewer\/check\/\?event=/);
    expect(new URL(page.url()).searchParams.get('token')).toBe(token);
    await expect.poll(() => page.getByTestId('check-start').textContent()).toBe('Lancer le test');
    expect(plain(await page.getByTestId('check-for').textContent())).toMatch(/^Classe : 4e F, /);
  });
});
