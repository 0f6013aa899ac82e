import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Event } from '@amphi/protocol';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ControlPlane } from '../../control-api/src/server.ts';
import {
  api,
  createTestDatabase,
  startInstance,
  TestClient,
} from '../../control-api/test/support/harness.ts';
import { type Browser, launchChromium, localhost, screenshot } from '../support/browser.ts';
import { classesCsv, schoolAndClassCounts } from '../support/classesCsv.ts';
import {
  createFirstAdmin,
  createTalk,
  endTalk,
  fillNewTalk,
  OPERATOR,
  openEnrolment,
} from '../support/consoleOperator.ts';

// An operator, in Chromium against a real control-api and PostgreSQL: signs in
// with their own account, imports 300 classes from a CSV whose two bad lines
// are reported (and nothing else changes), imports the corrected file, creates
// an event with its speaker, opens enrolment, enrols classes and issues their
// links, starts the event; a class joins with its link and asks a question, and
// the live board shows it connected; after the event the summary shows the
// numbers. A screenshot of each screen goes to e2e/artifacts/console-*.png.

const NBSP = '\u00a0';
let plane: ControlPlane;
let browser: Browser;
let page: Page;
let dir = '';
let base = '';
let eventId = '';
let classroom: TestClient | undefined;
let classLink = '';

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'amphi-console-'));
  plane = await startInstance({ databaseUrl: await createTestDatabase() });
  base = localhost(plane.url);
  await createFirstAdmin(plane);
  browser = await launchChromium({ cameras: 0 });
  page = await browser.context.newPage();
  page.on('pageerror', (err) => console.log(`[console page error] ${err.message}`));
});

afterAll(async () => {
  await classroom?.close();
  await browser?.close();
  await plane?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('an operator in the console', () => {
  it('signs in with their account (a wrong password is refused first)', async () => {
    await page.goto(`${base}/console/`);
    await page.waitForSelector('h1');
    expect(await page.textContent('h1')).toBe('Connexion à la console');
    await screenshot(page, 'console-sign-in');
    await page.getByLabel('Adresse e-mail').fill(OPERATOR.email);
    await page.getByLabel('Mot de passe').fill('pas le bon mot de passe');
    await page.getByRole('button', { name: 'Se connecter' }).click();
    await page.getByText('L’adresse ou le mot de passe n’est pas le bon.').waitFor();
    // The keyboard alone: Enter in the password field signs in.
    await page.getByLabel('Mot de passe').fill(OPERATOR.password);
    await page.getByLabel('Mot de passe').press('Enter');
    await page.getByRole('heading', { name: 'Séances', level: 1 }).waitFor();
    expect(await page.textContent('.who')).toContain('Claire Opératrice (administration)');
    // The session is an HttpOnly cookie: the page's script cannot read it.
    expect(await page.evaluate(() => document.cookie)).toBe('');
    const cookies = await browser.context.cookies();
    expect(cookies.map((c) => [c.name, c.httpOnly, c.sameSite])).toEqual([
      ['amphi_operator_session', true, 'Strict'],
    ]);
    await screenshot(page, 'console-events-empty');
  });

  it('imports 300 classes: two bad lines are reported and nothing changes, then the fixed file goes in', async () => {
    const before = await schoolAndClassCounts(plane.sql);
    await page.getByRole('link', { name: 'Importer des classes' }).click();
    await page
      .getByRole('heading', { name: 'Importer des établissements et des classes' })
      .waitFor();
    await page
      .getByLabel('Fichier CSV')
      .setInputFiles(await classesCsv(dir, 'classes-a-corriger.csv', true));
    await page.getByRole('button', { name: 'Vérifier et importer' }).click();
    const refused = page.getByRole('alert');
    await refused.getByText('2 problèmes dans le fichier').waitFor();
    const rows = await refused.locator('tbody tr').allInnerTexts();
    expect(rows.map((r) => r.split('\t'))).toEqual([
      [
        '58',
        'Niveau',
        `niveau inconnu${NBSP}: «${NBSP}CM2${NBSP}» (6e à Terminale, CAP, BTS, Autre)`,
      ],
      ['211', 'Académie', `case vide${NBSP}: elle est obligatoire`],
    ]);
    expect(await refused.textContent()).toContain('Rien n’a été importé.');
    expect(await schoolAndClassCounts(plane.sql)).toEqual(before);
    await screenshot(page, 'console-import-refused');

    await page.getByLabel('Fichier CSV').setInputFiles(await classesCsv(dir, 'classes.csv', false));
    await page.getByRole('button', { name: 'Vérifier et importer' }).click();
    const done = page.getByRole('status').filter({ hasText: 'Import terminé' });
    await done.waitFor();
    expect(await done.locator('li').allTextContents()).toEqual([
      '300 classes créées',
      '0 classe déjà connue, laissée telle quelle',
      '30 établissements créés',
      '0 établissement déjà connu',
    ]);
    expect(await schoolAndClassCounts(plane.sql)).toEqual({
      schools: before.schools + 30,
      classrooms: before.classrooms + 300,
    });
    const overseas = await plane.sql<{ n: number }[]>`
      select count(*)::int as n from schools where overseas`;
    expect(overseas[0]?.n).toBe(15);
    await screenshot(page, 'console-import-done');
  });

  it('creates an event with its speaker, then opens enrolment', async () => {
    await fillNewTalk(page, {
      title: 'Journaliste en outre-mer',
      summary: 'Une journée à la rédaction de Guadeloupe la 1re.',
      organisation: 'Guadeloupe la 1re',
      presentation: 'Filme et monte ses reportages.',
    });
    await screenshot(page, 'console-event-new');
    eventId = await createTalk(page, 'Journaliste en outre-mer');
    await openEnrolment(page);
    const event = await api<Event>(plane.url, 'GET', `/api/v1/events/${eventId}`);
    expect(event.body).toMatchObject({
      title: 'Journaliste en outre-mer',
      themeWeek: 'Semaine des médias',
      format: 'solo_45',
      levels: ['4e', '3e'],
      enrolmentOpen: true,
    });
    expect(event.body.speakers).toEqual([
      expect.objectContaining({
        name: 'Maëlle Jean-Baptiste',
        job: 'Journaliste reporter d’images',
        studyPath: 'Bac ES, puis BTS audiovisuel',
      }),
    ]);
    await screenshot(page, 'console-event');

    // An edit: the summary and a second level, saved in place.
    await page
      .getByLabel('Résumé pour le catalogue')
      .fill('Une journée de reportage en Guadeloupe.');
    await page.getByLabel('2nde', { exact: true }).check();
    await page.getByRole('button', { name: 'Enregistrer les modifications' }).click();
    await page.getByText('Modifications enregistrées.').waitFor();
    const edited = await api<Event>(plane.url, 'GET', `/api/v1/events/${eventId}`);
    expect(edited.body).toMatchObject({
      summary: 'Une journée de reportage en Guadeloupe.',
      levels: ['4e', '3e', '2nde'],
      enrolmentOpen: true,
    });
  });

  it('enrols the Guadeloupe classes and issues their links (CSV export, printable sheet)', async () => {
    await page.getByRole('link', { name: 'Inscriptions et liens' }).click();
    await page
      .getByLabel('Chercher par établissement, ville, académie, région ou classe')
      .fill('Guadeloupe');
    await page.getByRole('button', { name: 'Chercher', exact: true }).click();
    await page.getByText('50 classes trouvées (50 affichées)').waitFor();
    await page.getByRole('button', { name: 'Inscrire les 50 classes affichées' }).click();
    await page.getByText('50 classes de plus inscrites.').waitFor();
    await page.getByRole('heading', { name: '50 classes inscrites' }).waitFor();
    await page
      .getByRole('button', { name: 'Créer les liens des classes qui n’en ont pas' })
      .click();
    await page.getByText('50 liens créés.').waitFor();
    await page.getByRole('heading', { name: '50 liens de classe actifs' }).waitFor();
    const first = page.locator('input.url').first();
    classLink = await first.inputValue();
    expect(classLink).toMatch(new RegExp(`/viewer/\\?event=${eventId}&token=`));
    await screenshot(page, 'console-enrolments');

    // A link handed to the wrong class is revoked: it admits nobody any more.
    const last = page.locator('tbody tr', { has: page.locator('input.url') }).last();
    const revokedLink = await last.locator('input.url').inputValue();
    await last.getByRole('button', { name: /^Révoquer le lien de / }).click();
    await page.getByText(/est révoqué\u00a0: il n’ouvre plus la séance\./).waitFor();
    await page.getByRole('heading', { name: '49 liens de classe actifs' }).waitFor();
    const revokedToken = decodeURIComponent(new URL(revokedLink).searchParams.get('token') ?? '');
    const refused = await api<{ error: { code: string } }>(
      plane.url,
      'GET',
      '/api/v1/registration/questions',
      undefined,
      revokedToken,
    );
    expect([refused.status, refused.body.error.code]).toEqual([401, 'TOKEN_REVOKED']);

    const csv = await page.evaluate(
      async (url) => (await fetch(url)).text(),
      `/api/v1/console/events/${eventId}/links.csv`,
    );
    expect(csv.trim().split('\n')).toHaveLength(50);
    expect(csv).toContain(classLink);

    const sheetLink = page.getByRole('link', { name: /^Collège .* \(Pointe-à-Pitre\)/ }).first();
    const [sheet] = await Promise.all([browser.context.waitForEvent('page'), sheetLink.click()]);
    await sheet.waitForLoadState();
    expect(await sheet.textContent('h1')).toBe('Liens de connexion des classes');
    expect(await sheet.locator('.card').count()).toBe(10);
    await screenshot(sheet, 'console-link-sheet');
    await sheet.close();
  });

  it('starts the event; the live board shows the class that joined with its link', async () => {
    await page.getByRole('button', { name: 'Démarrer la séance' }).click();
    await page.locator('.facts .badge', { hasText: 'En direct' }).waitFor();
    const token = decodeURIComponent(new URL(classLink).searchParams.get('token') ?? '');
    classroom = await TestClient.connect(plane.url, eventId, token);
    await classroom.request('question.submit', {
      idempotencyKey: 'console-e2e-question',
      text: 'Comment devient-on journaliste reporter d’images ?',
      category: 'training_path',
    });
    await classroom.request('presence.quality', { quality: 'good', path: 'udp' });

    await page.getByRole('link', { name: 'Tableau en direct' }).click();
    const connected = page.getByTestId('board-connected');
    await connected.locator('.value', { hasText: /^1$/ }).waitFor({ timeout: 15_000 });
    expect(await connected.textContent()).toBe('1classe connectée');
    const region = page.getByRole('region', { name: 'Classes par région' });
    expect(await region.locator('tbody tr').allInnerTexts()).toEqual(['Guadeloupe\t1']);
    const pending = page.locator('.tile', { hasText: 'en attente de modération' });
    expect(await pending.locator('.value').textContent()).toBe('1');
    expect(await page.textContent('.board-head')).toMatch(
      /Mis à jour à \d\d:\d\d:\d\d, toutes les deux secondes\./,
    );
    await screenshot(page, 'console-live-board');
  });

  it('ends the event; the summary shows attendance and questions as numbers', async () => {
    await endTalk(page, plane, 1);
    await page.getByRole('link', { name: 'Bilan' }).click();
    const attended = page.getByTestId('summary-attended');
    await attended.waitFor();
    expect(await attended.locator('.value').textContent()).toBe('1 sur 50');
    expect(await page.getByTestId('summary-asked').locator('.value').textContent()).toBe('1');
    const schools = page.getByRole('region', { name: /^Par établissement/ });
    expect(await schools.locator('tbody tr').count()).toBe(5);
    const text = await page.locator('main').textContent();
    // Numbers, not personal data: no question text.
    expect(text).not.toContain('Comment devient-on');
    await screenshot(page, 'console-summary');
    // English on demand, the same numbers.
    await page.getByRole('button', { name: 'English' }).click();
    await page.getByRole('link', { name: 'Summary' }).waitFor();
    expect(await attended.locator('.value').textContent()).toBe('1 of 50');
    expect(await attended.locator('.label').textContent()).toBe('enrolled classes present');
    await screenshot(page, 'console-summary-en');
    await page.getByRole('button', { name: 'Français' }).click();
    await page.getByRole('link', { name: 'Bilan' }).waitFor();
  });

  it('keeps the audit log of who did what, then signs out', async () => {
    await page.getByRole('link', { name: 'Journal' }).click();
    await page.getByRole('heading', { name: 'Journal des actions' }).waitFor();
    await page.locator('tbody tr').first().waitFor();
    const rows = await page.locator('tbody tr').allInnerTexts();
    const mine = rows.filter((r) => r.includes(OPERATOR.email)).map((r) => r.split('\t')[2]);
    expect(mine).toEqual(
      expect.arrayContaining([
        'sign-in',
        'sign-in refused',
        'POST /api/v1/console/import/classrooms',
        'POST /api/v1/events',
        'POST /api/v1/events/:eventId/enrolment',
        'PATCH /api/v1/events/:eventId',
        'POST /api/v1/events/:eventId/enrolments/classrooms',
        'POST /api/v1/console/events/:eventId/links',
        'POST /api/v1/console/events/:eventId/links/:tokenId/revoke',
        'links exported (CSV)',
        'links exported (sheet)',
        'POST /api/v1/events/:eventId/status',
      ]),
    );
    await screenshot(page, 'console-audit');
    await page.getByRole('button', { name: 'Se déconnecter' }).click();
    await page.getByRole('heading', { name: 'Connexion à la console' }).waitFor();
    const after = await page.evaluate(async () => (await fetch('/api/v1/events')).status);
    expect(after).toBe(401);
  });
});
