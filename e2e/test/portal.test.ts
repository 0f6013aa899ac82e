import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Event, JoinLink, School } from '@amphi/protocol';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ControlPlane } from '../../control-api/src/server.ts';
import {
  api,
  createTestDatabase,
  startInstance,
  TestClient,
} from '../../control-api/test/support/harness.ts';
import { ARTIFACTS, type Browser, launchChromium, localhost } from '../support/browser.ts';

// A teacher, in Chromium against a real control-api and PostgreSQL: finds the
// talk in the public catalogue, enrols a class (school searched with the
// keyboard), keeps its links and calendar file, sends a question before the
// talk and sees it wait for the moderator; a moderator approves it and the
// speaker answers it; after the talk the class sheet shows it answered, with
// the speakers' jobs and study paths.

const NBSP = '\u00a0';
const DAY = 86400_000;

let plane: ControlPlane;
let browser: Browser;
let page: Page;
let radio: Event;
let classPageUrl = '';
let base = '';

async function speaker(name: string, job: string, studyPath: string): Promise<string> {
  const r = await api<{ id: string }>(plane.url, 'POST', '/api/v1/speakers', {
    name,
    job,
    organisation: 'Radio Caraïbes',
    studyPath,
  });
  return r.body.id;
}

beforeAll(async () => {
  plane = await startInstance({ databaseUrl: await createTestDatabase() });
  base = localhost(plane.url);
  for (const [name, town, academie] of [
    ['Collège Jean Moulin', 'Pointe-à-Pitre', 'Guadeloupe'],
    ['Collège Jean Macé', 'Rennes', 'Rennes'],
    ['Lycée Schœlcher', 'Fort-de-France', 'Martinique'],
  ] as const) {
    const r = await api<School>(plane.url, 'POST', '/api/v1/schools', {
      name,
      town,
      academie,
      region: academie,
      overseas: academie !== 'Rennes',
    });
    expect(r.status).toBe(201);
  }
  const journalist = await speaker(
    'Awa Diallo',
    'Journaliste radio',
    'Bac L, puis IUT de journalisme',
  );
  const technician = await speaker(
    'Hugo Martin',
    'Technicien du son',
    'Bac pro systèmes numériques, puis BTS métiers de l’audiovisuel',
  );
  const climatologist = await speaker('Inès Roy', 'Climatologue', 'Bac S, master puis doctorat');
  const created = await api<Event>(plane.url, 'POST', '/api/v1/events', {
    title: 'Faire la radio en direct',
    themeWeek: 'Semaine de la presse et des médias',
    format: 'panel_55',
    startsAt: new Date(Date.now() + 9 * DAY).toISOString(),
    speakerIds: [journalist, technician],
    levels: ['3e', '2nde'],
    summary: 'Une matinale de radio, de la conférence de rédaction à l’antenne.',
    description:
      'Comment une rédaction choisit ses sujets, prépare une interview et tient l’antenne en direct.',
  });
  radio = created.body;
  // The operator opens enrolment (the console's button does this).
  const opened = await api<Event>(plane.url, 'POST', `/api/v1/events/${radio.id}/enrolment`, {
    open: true,
  });
  expect(opened.body.enrolmentOpen).toBe(true);
  await api(plane.url, 'POST', '/api/v1/events', {
    title: 'Mesurer le climat',
    themeWeek: 'Fête de la science',
    format: 'solo_45',
    startsAt: new Date(Date.now() + 20 * DAY).toISOString(),
    speakerIds: [climatologist],
    levels: ['5e', '4e'],
  });
  browser = await launchChromium({ cameras: 0 });
  page = await browser.context.newPage();
  page.on('pageerror', (err) => console.log(`[portal page error] ${err.message}`));
});

afterAll(async () => {
  await browser?.close();
  await plane?.close();
});

/** The whole screen, as the teacher scrolls through it. */
async function screenshot(p: Page, name: string): Promise<void> {
  await mkdir(ARTIFACTS, { recursive: true });
  await p.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
}

const talkTitles = () => page.locator('.talks article h2').allTextContents();

describe('a teacher on the portal', () => {
  it('finds the talk in the catalogue, filtered by level and by job', async () => {
    await page.goto(`${base}/portal/`);
    await page.waitForSelector('.talks article');
    expect(await page.textContent('h1')).toBe('Les séances à venir');
    expect(await page.textContent('.count')).toBe('2 séances');
    expect(await talkTitles()).toEqual(['Faire la radio en direct', 'Mesurer le climat']);
    const card = page.locator('article', { hasText: 'Faire la radio en direct' });
    expect(await card.textContent()).toContain('Technicien du son, Radio Caraïbes');
    expect(await card.textContent()).toContain(
      `Parcours d’études${NBSP}: Bac pro systèmes numériques, puis BTS métiers de l’audiovisuel`,
    );
    expect(await card.textContent()).toContain('Inscriptions ouvertes');
    expect(await page.locator('article', { hasText: 'Mesurer le climat' }).textContent()).toContain(
      'Inscriptions fermées pour le moment',
    );

    await page.getByLabel('Niveau de la classe').selectOption('3e');
    await page.waitForFunction(() => document.querySelector('.count')?.textContent === '1 séance');
    expect(await talkTitles()).toEqual(['Faire la radio en direct']);
    await page.click('text=Effacer les filtres');
    await page.fill('input[type="search"]', 'climat');
    await page.waitForFunction(() => document.querySelector('.count')?.textContent === '1 séance');
    expect(await talkTitles()).toEqual(['Mesurer le climat']);
    await page.fill('input[type="search"]', '');
    await page.waitForFunction(() => document.querySelector('.count')?.textContent === '2 séances');
    await screenshot(page, 'portal-catalogue');

    // From the keyboard: the first Tab shows « Aller au contenu », with a visible focus ring.
    await page.goto('about:blank');
    await page.goto(`${base}/portal/`);
    await page.waitForSelector('.talks article');
    await page.keyboard.press('Tab');
    const skip = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement;
      const s = getComputedStyle(el);
      const box = el.getBoundingClientRect();
      return {
        text: el.textContent,
        focusVisible: el.matches(':focus-visible'),
        outline: `${s.outlineStyle} ${Number.parseFloat(s.outlineWidth)}`,
        onScreen: box.left >= 0 && box.width > 0,
      };
    });
    expect(skip).toEqual({
      text: 'Aller au contenu',
      focusVisible: true,
      outline: 'solid 3',
      onScreen: true,
    });

    // In English on demand: the same talks, counted and described in English.
    await page.getByRole('button', { name: 'Switch to English' }).click();
    await page.waitForFunction(
      () => document.querySelector('h1')?.textContent === 'Upcoming talks',
    );
    expect(await page.textContent('.count')).toBe('2 talks');
    const english = await page
      .locator('article', { hasText: 'Faire la radio en direct' })
      .textContent();
    expect(english).toContain('55 minutes, usually for ages 15–18');
    expect(english).toContain('Levels: 3e (ages 14–15) and 2de (ages 15–16)');
    expect(english).toContain('Study path: Bac L, puis IUT de journalisme');
    await screenshot(page, 'portal-catalogue-english');
    await page.getByRole('button', { name: 'Passer en français' }).click();
    await page.waitForFunction(
      () => document.querySelector('h1')?.textContent === 'Les séances à venir',
    );
  });

  it('enrols a class: school searched and chosen with the keyboard, then the links, calendar file and dossier', async () => {
    await page
      .getByRole('link', { name: `Inscrire une classe à «${NBSP}Faire la radio en direct${NBSP}»` })
      .click();
    await page.waitForSelector('form.enrol');
    expect(await page.textContent('h1')).toBe('Faire la radio en direct');
    const school = page.getByRole('combobox', { name: 'Établissement' });
    await school.fill('jean m');
    await page.waitForSelector('[role="option"]');
    expect(await page.locator('[role="option"]').allTextContents()).toEqual([
      'Collège Jean Macé Rennes Rennes',
      'Collège Jean Moulin Pointe-à-Pitre Guadeloupe',
    ]);
    await school.fill('jean moulin pointe');
    await page.waitForFunction(
      () => document.querySelectorAll('[role="option"]').length === 1,
      undefined,
      { timeout: 5000 },
    );
    expect(await page.textContent('.field.school .status')).toBe('1 établissement trouvé');
    await school.press('ArrowDown');
    expect(await school.getAttribute('aria-activedescendant')).toBeTruthy();
    await school.press('Enter');
    await page.waitForSelector('text=Établissement choisi');
    expect(await page.textContent('p.chosen')).toBe(
      `Établissement choisi${NBSP}: Collège Jean Moulin, Pointe-à-Pitre`,
    );
    // The keyboard goes on through the form.
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe(
      'Changer d’établissement',
    );
    await page.keyboard.press('Tab');
    await page.keyboard.type('3e B');
    await page.getByLabel('Niveau').selectOption('3e');
    await page.getByLabel('Votre adresse électronique').fill('prof.durand@ac-guadeloupe.fr');
    await screenshot(page, 'portal-enrol-form');
    await page.getByRole('button', { name: 'Inscrire la classe' }).click();

    const done = await page.waitForSelector('#enrolled-title');
    expect(await done.textContent()).toBe('La classe 3e B est inscrite');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('enrolled-title');
    const joinUrl = await page.locator('.link-to-keep a').first().getAttribute('href');
    expect(joinUrl).toContain(`/viewer/?event=${radio.id}&token=`);
    classPageUrl = (await page.locator('.link-to-keep a').nth(1).getAttribute('href')) ?? '';
    expect(classPageUrl).toMatch(/\/portal\/#\/classe\/[\w-]+\.[\w-]+\.[\w-]+$/);
    const check = await page.locator('.link-to-keep', { hasText: 'Test du réseau' }).textContent();
    expect(check).toMatch(/viewer\/check\/|n’est pas disponible/);

    const dossier = await page.locator('.dossier').textContent();
    for (const heading of [
      'Ce que couvre la séance',
      'La réalité du métier',
      'Le parcours de formation',
      'Le côté humain du métier',
      'Après la séance',
    ]) {
      expect(dossier).toContain(heading);
    }
    expect(dossier).toContain('tient l’antenne en direct');

    // The calendar file, downloaded as the teacher does.
    const calendar = page.getByRole('link', { name: 'Ajouter à mon agenda (.ics)' });
    const [download] = await Promise.all([page.waitForEvent('download'), calendar.click()]);
    expect(download.suggestedFilename()).toBe('amphi-seance.ics');
    const file = await readFile((await download.path()) as string, 'utf8');
    const ics = file.replace(/\r\n[ \t]/g, '');
    const start = new Date(radio.startsAt);
    const stamp = (d: Date) => `${d.toISOString().replace(/[-:]/g, '').slice(0, 15)}Z`;
    expect(ics).toContain(`DTSTART:${stamp(start)}`);
    expect(ics).toContain(`DTEND:${stamp(new Date(start.getTime() + 55 * 60_000))}`);
    expect(ics).toContain(`SUMMARY:Amphi${NBSP}: Faire la radio en direct`);
    expect(ics).toContain(`URL;VALUE=URI:${joinUrl}`);
    await screenshot(page, 'portal-enrolled');
  });

  it('sends a question before the talk from the class page, and sees it wait for the moderator', async () => {
    await page.goto(classPageUrl);
    await page.waitForSelector('form.ask');
    expect(await page.textContent('h1')).toBe('Classe 3e B');
    expect(await page.textContent('.school')).toBe('Collège Jean Moulin, Pointe-à-Pitre');
    await page.getByLabel('Famille de la question').selectOption('training_path');
    await page
      .getByLabel('La question', { exact: true })
      .fill('Quelles études faut-il pour devenir technicien du son ?');
    await page.getByRole('button', { name: 'Envoyer la question' }).click();
    await page.waitForSelector('.question');
    expect(await page.textContent('.ask .status')).toBe(
      `Question envoyée${NBSP}: elle attend la modération.`,
    );
    const question = page.locator('.question').first();
    expect(await question.locator('.text').textContent()).toBe(
      'Quelles études faut-il pour devenir technicien du son ?',
    );
    expect(await question.locator('.status').textContent()).toBe('En attente de la modération');
    expect(await question.locator('.category').textContent()).toBe('Le parcours de formation');
    expect(await page.textContent('.questions h2')).toBe('Les questions de la classe (1 question)');
    await screenshot(page, 'portal-class-questions');
  });

  it('shows the moderator’s decision, then after the talk the class sheet with the answer and the study paths', async () => {
    const link = await api<JoinLink>(plane.url, 'POST', `/api/v1/events/${radio.id}/join-links`, {
      role: 'moderator',
      name: 'Nadia',
    });
    const moderator = await TestClient.connect(plane.url, radio.id, link.body.token);
    try {
      const { questions } = await moderator.request('question.list', {});
      const asked = questions.find((q) => q.text.startsWith('Quelles études'));
      expect(asked?.status).toBe('pending');
      const questionId = asked?.id as string;
      await moderator.request('question.moderate', { action: 'approve', questionId });

      await page.getByRole('button', { name: 'Actualiser' }).click();
      await page.waitForFunction(
        () => document.querySelector('.question .status')?.textContent === 'Retenue pour la séance',
      );

      // The talk: live, the speaker answers, it ends.
      await api(plane.url, 'POST', `/api/v1/events/${radio.id}/status`, { status: 'live' });
      await moderator.request('question.moderate', { action: 'answering', questionId });
      await moderator.request('question.moderate', { action: 'answered', questionId });
      await api(plane.url, 'POST', `/api/v1/events/${radio.id}/status`, { status: 'ended' });
    } finally {
      await moderator.close();
    }

    await page.reload();
    await page.waitForSelector('#sheet-title');
    expect(await page.textContent('#sheet-title')).toBe('Fiche de la classe');
    expect(await page.locator('form.ask').count()).toBe(0);
    expect(await page.textContent('.sheet .answered')).toBe(
      '1 question de la classe a reçu une réponse.',
    );
    expect(await page.textContent('.sheet .question .status')).toBe(
      'Réponse donnée pendant la séance',
    );
    const speakers = await page.locator('.sheet .speakers').textContent();
    expect(speakers).toContain('Journaliste radio, Radio Caraïbes');
    expect(speakers).toContain(`Parcours d’études${NBSP}: Bac L, puis IUT de journalisme`);
    expect(await page.textContent('.sheet')).toContain('Pour la reprise en classe');
    await screenshot(page, 'portal-class-sheet');

    await page.getByRole('button', { name: 'Switch to English' }).click();
    await page.waitForSelector('text=Class sheet');
    expect(await page.textContent('.sheet .question .status')).toBe('Answered during the talk');
    expect(await page.textContent('.sheet .answered')).toBe(
      '1 of the class’s questions was answered.',
    );
    expect(await page.textContent('.sheet .speakers')).toContain(
      'Study path: Bac pro systèmes numériques, puis BTS métiers de l’audiovisuel',
    );
    await screenshot(page, 'portal-class-sheet-english');
    await page.getByRole('button', { name: 'Passer en français' }).click();
  });
});
