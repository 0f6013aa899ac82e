import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { AccountStore } from '../../control-api/src/accounts/AccountStore.ts';
import type { ControlPlane } from '../../control-api/src/server.ts';

// The operator of the console tests: their account, and the talk they create,
// open to enrolment and end with the console's screens, as a person does.

/** The first admin's account, as `npm run operator -- create-admin` makes it. */
export const OPERATOR = {
  email: 'claire.operatrice@amphi.test',
  password: 'une phrase de passe assez longue',
  displayName: 'Claire Opératrice',
} as const;

export async function createFirstAdmin(plane: ControlPlane): Promise<void> {
  await new AccountStore(plane.sql).create({ ...OPERATOR, role: 'admin' });
}

/** A talk for 4e and 3e in the media week, two days ahead at 10:00, with its one speaker. */
export interface NewTalk {
  title: string;
  /** The catalogue's summary. */
  summary: string;
  /** The speaker's organisation. */
  organisation: string;
  /** The speaker's short presentation (optional in the form). */
  presentation?: string;
}

/**
 * From the console's event list, opens the new-talk form and fills it in,
 * leaving « Créer la séance » for the test (a screenshot may come first).
 */
export async function fillNewTalk(page: Page, talk: NewTalk): Promise<void> {
  await page.getByRole('link', { name: 'Séances', exact: true }).click();
  await page.getByRole('link', { name: 'Nouvelle séance' }).click();
  await page.getByRole('heading', { name: 'Nouvelle séance' }).waitFor();
  await page.getByLabel('Titre').fill(talk.title);
  await page.getByLabel('Semaine thématique').fill('Semaine des médias');
  const start = new Date(Date.now() + 2 * 86400_000);
  const pad = (n: number) => String(n).padStart(2, '0');
  await page
    .getByLabel('Date et heure')
    .fill(`${start.getFullYear()}-${pad(start.getMonth() + 1)}-${pad(start.getDate())}T10:00`);
  await page.getByLabel('4e', { exact: true }).check();
  await page.getByLabel('3e', { exact: true }).check();
  await page.getByLabel('Résumé pour le catalogue').fill(talk.summary);
  await page.getByLabel('Nom').fill('Maëlle Jean-Baptiste');
  await page.getByLabel('Métier').fill('Journaliste reporter d’images');
  await page.getByLabel('Organisation').fill(talk.organisation);
  if (talk.presentation) await page.getByLabel('Courte présentation').fill(talk.presentation);
  await page.getByLabel('Parcours d’études').fill('Bac ES, puis BTS audiovisuel');
}

/** « Créer la séance »: the new talk's page opens; its id, read from the address. */
export async function createTalk(page: Page, title: string): Promise<string> {
  await page.getByRole('button', { name: 'Créer la séance' }).click();
  await page.getByRole('heading', { name: title, level: 1 }).waitFor();
  const eventId = /#\/seances\/([0-9a-f-]{36})/.exec(page.url())?.[1];
  if (!eventId) throw new Error(`no talk id in ${page.url()}`);
  return eventId;
}

/** On the talk's page: enrolment is closed as created, then opened. */
export async function openEnrolment(page: Page): Promise<void> {
  expect(await page.textContent('.facts')).toContain('Inscriptions fermées');
  await page.getByRole('button', { name: 'Ouvrir les inscriptions' }).click();
  await page.getByRole('button', { name: 'Fermer les inscriptions' }).waitFor();
  expect(await page.textContent('.facts')).toContain('Inscriptions ouvertes');
}

/**
 * On the talk's page, once the attendance of the `present` classes is written
 * (every 2 s from presence): « Terminer la séance », its confirmation accepted.
 */
export async function endTalk(page: Page, plane: ControlPlane, present: number): Promise<void> {
  await expect
    .poll(async () => (await plane.sql`select 1 from classroom_attendance`).length, {
      timeout: 10_000,
    })
    .toBe(present);
  page.once('dialog', (d) => void d.accept());
  await page.getByRole('button', { name: 'Terminer la séance' }).click();
  await page.locator('.facts .badge', { hasText: 'Terminée' }).waitFor();
}
