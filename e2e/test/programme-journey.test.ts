import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { JoinLink } from '@amphi/protocol';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ControlPlane } from '../../control-api/src/server.ts';
import {
  api,
  createTestDatabase,
  startInstance,
  startMediaNode,
} from '../../control-api/test/support/harness.ts';
import { type Browser, launchChromium, localhost, screenshot } from '../support/browser.ts';
import { classesCsv, schoolAndClassCounts, schoolOf } from '../support/classesCsv.ts';
import {
  createFirstAdmin,
  createTalk,
  endTalk,
  fillNewTalk,
  OPERATOR,
  openEnrolment,
} from '../support/consoleOperator.ts';

// The programme's one journey, across the screens of the people who live it, in
// Chromium against a real control-api (PostgreSQL, mediasoup): the operator
// imports the classes and publishes a talk in the console; a teacher enrols one
// of those classes in the portal and sends a question before the talk; on the
// day the class joins in the viewer and the console's live board sees it and
// its question; the moderator approves the question in the studio and the class
// page says so; after the talk the class sheet and the operator's summary show
// it. A screenshot of each step goes to e2e/artifacts/journey-*.png.

const NBSP = '\u00a0';
const TITLE = 'Journaliste en outre-mer';
const QUESTION = 'Quelles études faut-il pour filmer des reportages ?';
// Class 23 of the file: « 4e D » of Collège Aimé Césaire 3, Saint-Denis (La Réunion).
const SCHOOL = schoolOf(2);
const CLASS = '4e D';

let plane: ControlPlane;
let browser: Browser;
let operator: Page;
let teacher: Page;
let classroom: Page | undefined;
let dir = '';
let base = '';
let eventId = '';
let joinUrl = '';
let classPageUrl = '';

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'amphi-journey-'));
  const media = await startMediaNode({ workers: 1 });
  plane = await startInstance({ databaseUrl: await createTestDatabase(), media });
  base = localhost(plane.url);
  await createFirstAdmin(plane);
  browser = await launchChromium({ cameras: 1 });
  operator = await browser.context.newPage();
  teacher = await browser.context.newPage();
  for (const [name, p] of [
    ['console', operator],
    ['portal', teacher],
  ] as const) {
    p.on('pageerror', (err) => console.log(`[${name} page error] ${err.message}`));
  }
});

afterAll(async () => {
  await browser?.close();
  await plane?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/**
 * The person's screen comes to the front: Chromium throttles the animation
 * frames of a tab in the background, and every click waits for them.
 */
async function show(page: Page): Promise<Page> {
  await page.bringToFront();
  return page;
}

/** The console's event page, with its status badge and its buttons. */
async function openEventInConsole(): Promise<void> {
  await show(operator);
  await operator.goto(`${base}/console/#/seances/${eventId}`);
  await operator.getByRole('heading', { name: TITLE, level: 1 }).waitFor();
}

describe('a talk, from the operator’s import to the class sheet', () => {
  it('1. the operator signs in, imports 300 classes (two bad lines first), creates the talk and opens enrolment', async () => {
    await show(operator);
    await operator.goto(`${base}/console/`);
    await operator.getByRole('heading', { name: 'Connexion à la console' }).waitFor();
    await operator.getByLabel('Adresse e-mail').fill(OPERATOR.email);
    await operator.getByLabel('Mot de passe').fill(OPERATOR.password);
    await operator.getByRole('button', { name: 'Se connecter' }).click();
    await operator.getByRole('heading', { name: 'Séances', level: 1 }).waitFor();
    expect(await operator.textContent('.who')).toContain('Claire Opératrice (administration)');

    // The file with two bad lines: both reported, nothing imported.
    const before = await schoolAndClassCounts(plane.sql);
    await operator.getByRole('link', { name: 'Importer des classes' }).click();
    await operator.getByLabel('Fichier CSV').setInputFiles(await classesCsv(dir, 'a.csv', true));
    await operator.getByRole('button', { name: 'Vérifier et importer' }).click();
    const refused = operator.getByRole('alert');
    await refused.getByText('2 problèmes dans le fichier').waitFor();
    const lines = await refused.locator('tbody tr').allInnerTexts();
    expect(lines.map((r) => r.split('\t').slice(0, 2))).toEqual([
      ['58', 'Niveau'],
      ['211', 'Académie'],
    ]);
    expect(await refused.textContent()).toContain('Rien n’a été importé.');
    expect(await schoolAndClassCounts(plane.sql)).toEqual(before);
    await screenshot(operator, 'journey-1-import-refused');

    // The fixed file.
    await operator.getByLabel('Fichier CSV').setInputFiles(await classesCsv(dir, 'b.csv', false));
    await operator.getByRole('button', { name: 'Vérifier et importer' }).click();
    const done = operator.getByRole('status').filter({ hasText: 'Import terminé' });
    await done.waitFor();
    expect(await done.locator('li').first().textContent()).toBe('300 classes créées');
    expect(await schoolAndClassCounts(plane.sql)).toEqual({ schools: 30, classrooms: 300 });
    await screenshot(operator, 'journey-1-import-done');

    // The talk, with its speaker's job and study path.
    await fillNewTalk(operator, {
      title: TITLE,
      summary: 'Une journée de reportage avec la rédaction de La Réunion la 1re.',
      organisation: 'Réunion la 1re',
    });
    eventId = await createTalk(operator, TITLE);
    await openEnrolment(operator);
    await screenshot(operator, 'journey-1-event-open');
  });

  it('2. a teacher finds the talk in the catalogue, enrols an imported class and sends a question that waits for moderation', async () => {
    await show(teacher);
    await teacher.goto(`${base}/portal/`);
    await teacher.waitForSelector('.talks article');
    await teacher.getByLabel('Niveau de la classe').selectOption('4e');
    await teacher.fill('input[type="search"]', 'reporter');
    await teacher.waitForFunction(
      () => document.querySelector('.count')?.textContent === '1 séance',
    );
    const card = teacher.locator('article', { hasText: TITLE });
    const text = await card.textContent();
    expect(text).toContain('Journaliste reporter d’images, Réunion la 1re');
    expect(text).toContain(`Parcours d’études${NBSP}: Bac ES, puis BTS audiovisuel`);
    expect(text).toContain('Inscriptions ouvertes');
    await screenshot(teacher, 'journey-2-catalogue');

    await teacher
      .getByRole('link', { name: `Inscrire une classe à «${NBSP}${TITLE}${NBSP}»` })
      .click();
    await teacher.waitForSelector('form.enrol');
    const school = teacher.getByRole('combobox', { name: 'Établissement' });
    await school.fill('césaire 3 saint');
    await teacher.waitForFunction(
      () => document.querySelectorAll('[role="option"]').length === 1,
      undefined,
      { timeout: 5000 },
    );
    expect(await teacher.locator('[role="option"]').textContent()).toContain(SCHOOL.name);
    await school.press('ArrowDown');
    await school.press('Enter');
    expect(await teacher.textContent('p.chosen')).toBe(
      `Établissement choisi${NBSP}: ${SCHOOL.name}, ${SCHOOL.town}`,
    );
    await teacher.getByLabel('Nom de la classe').fill(CLASS);
    await teacher.getByLabel('Niveau').selectOption('4e');
    await teacher.getByLabel('Votre adresse électronique').fill('prof.hoarau@ac-reunion.fr');
    await teacher.getByRole('button', { name: 'Inscrire la classe' }).click();
    await teacher.waitForSelector('#enrolled-title');
    expect(await teacher.textContent('#enrolled-title')).toBe(`La classe ${CLASS} est inscrite`);
    joinUrl = (await teacher.locator('.link-to-keep a').first().getAttribute('href')) ?? '';
    expect(joinUrl).toContain(`/viewer/?event=${eventId}&token=`);
    classPageUrl = (await teacher.locator('.link-to-keep a').nth(1).getAttribute('href')) ?? '';
    expect(classPageUrl).toContain('/portal/#/classe/');
    // The imported class itself, not a new one.
    expect(await schoolAndClassCounts(plane.sql)).toEqual({ schools: 30, classrooms: 300 });
    await screenshot(teacher, 'journey-2-enrolled');

    await teacher.goto(classPageUrl);
    await teacher.waitForSelector('form.ask');
    expect(await teacher.textContent('h1')).toBe(`Classe ${CLASS}`);
    await teacher.getByLabel('Famille de la question').selectOption('training_path');
    await teacher.getByLabel('La question', { exact: true }).fill(QUESTION);
    await teacher.getByRole('button', { name: 'Envoyer la question' }).click();
    await teacher.waitForSelector('.question');
    expect(await teacher.textContent('.ask .status')).toBe(
      `Question envoyée${NBSP}: elle attend la modération.`,
    );
    const question = teacher.locator('.question').first();
    expect(await question.locator('.text').textContent()).toBe(QUESTION);
    expect(await question.locator('.status').textContent()).toBe('En attente de la modération');
    await screenshot(teacher, 'journey-2-question-pending');
  });

  it('3. on the day the operator starts the talk, the class joins in the viewer, and the live board shows it and its question', async () => {
    await openEventInConsole();
    await operator.getByRole('button', { name: 'Démarrer la séance' }).click();
    await operator.locator('.facts .badge', { hasText: 'En direct' }).waitFor();

    const page = await browser.context.newPage();
    classroom = page;
    page.on('pageerror', (err) => console.log(`[viewer page error] ${err.message}`));
    await page.goto(joinUrl.replace(plane.url, base));
    await page.waitForSelector('[data-testid="event-status"][data-status="live"]', {
      timeout: 20_000,
    });
    // The question sent from the class page is there, still waiting.
    const mine = page.locator('[data-testid="my-questions"] li', { hasText: QUESTION });
    await mine.waitFor();
    expect(await mine.getAttribute('data-status')).toBe('pending');
    await screenshot(page, 'journey-3-viewer');

    await show(operator);
    await operator.getByRole('link', { name: 'Tableau en direct' }).click();
    const connected = operator.getByTestId('board-connected');
    await connected.locator('.value', { hasText: /^1$/ }).waitFor({ timeout: 15_000 });
    expect(await connected.textContent()).toBe('1classe connectée');
    const region = operator.getByRole('region', { name: 'Classes par région' });
    expect(await region.locator('tbody tr').allInnerTexts()).toEqual(['La Réunion\t1']);
    const pending = operator.locator('.tile', { hasText: 'en attente de modération' });
    expect(await pending.locator('.value').textContent()).toBe('1');
    await screenshot(operator, 'journey-3-live-board');
  });

  it('4. the moderator approves the question in the studio; the class page shows it kept for the talk', async () => {
    const link = await api<JoinLink>(plane.url, 'POST', `/api/v1/events/${eventId}/join-links`, {
      role: 'moderator',
      name: 'Nadia',
    });
    expect(link.status).toBe(201);
    const page = await browser.context.newPage();
    page.on('pageerror', (err) => console.log(`[studio page error] ${err.message}`));
    await page.goto(
      `${base}/studio/?event=${eventId}&token=${encodeURIComponent(link.body.token)}`,
    );
    await page.waitForSelector('[data-testid="moderator-view"]');
    const row = page.locator('[data-testid="question-row"]', { hasText: QUESTION });
    await row.waitFor();
    expect(await row.getAttribute('data-status')).toBe('pending');
    await screenshot(page, 'journey-4-moderator');
    await row.locator('[data-testid="question-approve"]').click();
    await expect.poll(() => row.getAttribute('data-status')).toBe('approved');
    await screenshot(page, 'journey-4-approved');

    // The class sees it kept on its screen, for everyone.
    await show(classroom as Page);
    await classroom
      ?.locator('[data-testid="questions"] ol li', { hasText: QUESTION })
      .waitFor({ timeout: 10_000 });
    await screenshot(classroom as Page, 'journey-4-viewer');

    // The live board's queue follows.
    const pending = operator.locator('.tile', { hasText: 'en attente de modération' });
    await expect.poll(() => pending.locator('.value').textContent(), { timeout: 10_000 }).toBe('0');

    await show(teacher);
    await teacher.getByRole('button', { name: 'Actualiser' }).click();
    await teacher.waitForFunction(
      () => document.querySelector('.question .status')?.textContent === 'Retenue pour la séance',
    );
    await screenshot(teacher, 'journey-4-class-page');
  });

  it('5. the operator ends the talk; the class sheet shows the question and the summary counts the class and its question', async () => {
    await openEventInConsole();
    await endTalk(operator, plane, 1);
    await show(classroom as Page);
    await classroom?.waitForSelector('[data-testid="after-session"]', { timeout: 20_000 });
    await screenshot(classroom as Page, 'journey-5-viewer-after');

    await show(teacher);
    await teacher.reload();
    await teacher.waitForSelector('#sheet-title');
    expect(await teacher.textContent('#sheet-title')).toBe('Fiche de la classe');
    expect(await teacher.locator('form.ask').count()).toBe(0);
    const sheet = teacher.locator('.sheet .question').first();
    expect(await sheet.locator('.text').textContent()).toBe(QUESTION);
    expect(await sheet.locator('.status').textContent()).toBe(
      'Retenue, mais pas de réponse faute de temps',
    );
    expect(await teacher.textContent('.sheet .speakers')).toContain(
      `Parcours d’études${NBSP}: Bac ES, puis BTS audiovisuel`,
    );
    await screenshot(teacher, 'journey-5-class-sheet');

    await show(operator);
    await operator.getByRole('link', { name: 'Bilan' }).click();
    const attended = operator.getByTestId('summary-attended');
    await attended.waitFor();
    expect(await attended.locator('.value').textContent()).toBe('1 sur 1');
    expect(await operator.getByTestId('summary-asked').locator('.value').textContent()).toBe('1');
    await screenshot(operator, 'journey-5-summary');
  });
});
