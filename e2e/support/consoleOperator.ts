import type { Page } from 'playwright-core';
import { AccountStore } from '../../control-api/src/accounts/AccountStore.ts';
import type { ControlPlane } from '../../control-api/src/server.ts';

// The operator of the console tests: their account, and the talk they create
// with the console's form, as a person fills it in.

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
