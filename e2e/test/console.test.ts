import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { key, type SeededEvent, TestClient } from '../../control-api/test/support/harness.ts';
import { screenshot } from '../support/browser.ts';
import { LiveSession } from '../support/session.ts';

// The moderator's console in Chromium against a real control-api: keyboard
// triage while questions keep arriving from classrooms (real sockets), the
// undo of the last action, sort, filter and search; a removed classroom (a
// viewer in Chromium) let back in.

let session: LiveSession;
let ev: SeededEvent;
let moderator: Page;
const classes: TestClient[] = [];

beforeAll(async () => {
  session = await LiveSession.start({ classrooms: 7, workers: 1 });
  ({ ev } = session);
  // Classes 4e A to 4e F ask over their own sockets (3 questions in a row at most
  // each: the rate limit); 4e G watches in Chromium.
  for (const token of ev.tokens.classrooms.slice(0, 6)) {
    classes.push(await TestClient.connect(session.plane.url, ev.eventId, token));
  }
  moderator = await session.open('studio', ev.tokens.moderator);
  await moderator.waitForSelector('[data-testid="moderator-view"]');
});

afterAll(async () => {
  for (const c of classes) await c.close().catch(() => {});
  await session?.close();
});

/** A classroom asks over its own socket; returns the question's id once the console shows it. */
async function ask(
  from: number,
  text: string,
  category: 'job_reality' | 'training_path' | 'human_side' = 'job_reality',
): Promise<string> {
  const { question } = await (classes[from] as TestClient).request('question.submit', {
    text,
    category,
    idempotencyKey: key(),
  });
  await moderator.waitForSelector(
    `[data-testid="question-row"][data-question-id="${question.id}"]`,
  );
  return question.id;
}

const row = (id: string) => `[data-testid="question-row"][data-question-id="${id}"]`;
const listed = (list: 'pending' | 'approved') =>
  moderator.$$eval(`[data-testid="${list}-questions"] [data-testid="question-row"]`, (rows) =>
    rows.map((r) => r.getAttribute('data-question-id')),
  );
const undoText = () => moderator.textContent('[data-testid="undo"]');
const statusOf = (id: string) => moderator.getAttribute(row(id), 'data-status');
const selectedId = () =>
  moderator.getAttribute('[data-testid="question-row"][aria-current="true"]', 'data-question-id');

const asked: Record<'first' | 'second' | 'third', string> = { first: '', second: '', third: '' };

describe('keyboard triage in the moderator console', () => {
  it('J, A, J, R with questions arriving in between never rejects the question just approved', async () => {
    const first = await ask(0, 'Combien d’heures travaillez-vous par semaine ?');
    const second = await ask(1, 'Quelles études faut-il pour faire votre métier ?');
    // The moderator picks the first pending question.
    await moderator.click(`${row(first)} .mq__text`);
    expect(await selectedId()).toBe(first);

    await moderator.keyboard.press('j');
    expect(await selectedId()).toBe(second);
    await moderator.keyboard.press('a');
    await expect.poll(() => statusOf(second)).toBe('approved');
    // Questions keep arriving while the moderator reads.
    const third = await ask(2, 'Est-ce que votre métier est stressant ?');
    await moderator.keyboard.press('j');
    expect(await selectedId()).toBe(third);
    await moderator.keyboard.press('r');
    // The one the moderator moved to is rejected; the approved question stays approved.
    await expect.poll(() => statusOf(third)).toBe('rejected');
    expect(await statusOf(second)).toBe('approved');
    expect(await statusOf(first)).toBe('pending');
    Object.assign(asked, { first, second, third });
  });

  it('names the last action on « Annuler » and takes it back with U or Ctrl+Z', async () => {
    const { first, third } = asked;
    // The rejection of 4e C's question, by name, one key away.
    await expect.poll(undoText).toContain('Annuler\u00a0: rejet de la question de 4e C');
    await screenshot(moderator, 'console-undo');
    await moderator.keyboard.press('u');
    await expect.poll(() => statusOf(third)).toBe('pending');
    expect(await selectedId()).toBe(third);
    await moderator.waitForSelector('[data-testid="undo"]', { state: 'detached' });
    expect(await moderator.textContent('[data-testid="undo-done"]')).toContain(
      'Annulé\u00a0: rejet de la question de 4e C',
    );

    // An approval, from its button; Ctrl+Z sends it back to triage.
    await moderator.click(`${row(first)} [data-testid="question-approve"]`);
    await expect.poll(() => statusOf(first)).toBe('approved');
    await expect.poll(undoText).toContain('approbation de la question de 4e A');
    await moderator.keyboard.press('Control+z');
    await expect.poll(() => statusOf(first)).toBe('pending');

    // « Épingler » on a pending question, which the server refused, is not offered.
    expect(await moderator.$(`${row(first)} [data-testid="question-pin"]`)).toBeNull();
    expect(await moderator.$(`${row(asked.second)} [data-testid="question-pin"]`)).not.toBeNull();
  });

  it('a question rejected from the queue comes back pinned at its place; « Remettre à trier » in the handled list', async () => {
    const { second } = asked;
    const other = await ask(3, 'Comment se passe une journée type ?');
    await moderator.click(`${row(other)} [data-testid="question-approve"]`);
    await expect.poll(() => listed('approved')).toEqual([second, other]);
    await moderator.click(`${row(second)} [data-testid="question-pin"]`);
    await expect.poll(() => moderator.getAttribute(row(second), 'data-pinned')).toBe('true');
    await moderator.click(`${row(second)} [data-testid="question-reject"]`);
    await expect.poll(() => statusOf(second)).toBe('rejected');
    await expect.poll(undoText).toContain('rejet de la question de 4e B');
    await moderator.click('[data-testid="undo"]');
    await expect.poll(() => listed('approved')).toEqual([second, other]);
    expect(await moderator.getAttribute(row(second), 'data-pinned')).toBe('true');
    // Back in the queue as it was: not sent back to triage.
    expect(await statusOf(second)).toBe('approved');
    await moderator.click(`${row(other)} [data-testid="question-reject"]`);
    await expect.poll(() => statusOf(other)).toBe('rejected');
    // Any rejected question goes back to triage from the handled list.
    await moderator.click('[data-testid="done-questions"] >> xpath=.. >> summary');
    await moderator.click(`${row(other)} [data-testid="question-reopen"]`);
    await expect.poll(() => statusOf(other)).toBe('pending');
  });
});

describe('sorting, filtering and searching the questions', () => {
  it('sorts by votes and by time, filters by category, searches text and class; J and K stay in what is shown', async () => {
    // Two approved questions that classes back: 4e A's twice, 4e C's once.
    const human = await ask(0, 'Qu’est-ce qui vous rend fière dans ce métier ?', 'human_side');
    const training = await ask(2, 'Quelle formation après la troisième ?', 'training_path');
    for (const id of [human, training]) {
      await moderator.click(`${row(id)} [data-testid="question-approve"]`);
      await expect.poll(() => statusOf(id)).toBe('approved');
    }
    const [, b, c] = classes as [TestClient, TestClient, TestClient];
    await b.request('question.upvote', { questionId: human });
    await c.request('question.upvote', { questionId: human });
    await b.request('question.upvote', { questionId: training });
    await expect
      .poll(() => moderator.textContent(`${row(human)} .mq__meta`))
      .toContain('2 soutiens');
    await expect
      .poll(() => moderator.textContent(`${row(training)} .mq__meta`))
      .toContain('1 soutien');
    const queue = await listed('approved');
    expect(queue).toEqual([asked.second, human, training]);

    await moderator.selectOption('[data-testid="triage-sort"]', 'votes');
    expect(await listed('approved')).toEqual([human, training, asked.second]);
    await moderator.selectOption('[data-testid="triage-sort"]', 'time');
    expect(await listed('approved')).toEqual([training, human, asked.second]);
    // New questions come first in « plus récentes d’abord ».
    const latest = await ask(4, 'Vous travaillez le week-end ?');
    expect((await listed('pending'))[0]).toBe(latest);
    await moderator.selectOption('[data-testid="triage-sort"]', 'queue');
    expect(await listed('approved')).toEqual(queue);

    await moderator.selectOption('[data-testid="triage-category"]', 'human_side');
    expect(await listed('approved')).toEqual([human]);
    expect(await listed('pending').catch(() => [])).toEqual([]);
    expect(await moderator.textContent('[data-testid="triage-count"]')).toContain(
      '1 question affichée sur',
    );
    await moderator.selectOption('[data-testid="triage-category"]', 'all');

    // Search: « / » goes to the field; words of the text, or the class's name.
    const pay = await ask(3, 'Quel est le salaire au début ?');
    const between = await ask(4, 'Il faut être bon en maths ?');
    const payToo = await ask(5, 'Le salaire augmente-t-il vite ?');
    await moderator.click('#pending-title'); // out of the category list
    await moderator.keyboard.press('/');
    await moderator.keyboard.type('SALAIRE');
    await moderator.keyboard.press('Enter'); // back to the list, J and K act again
    expect(await listed('pending')).toEqual([pay, payToo]);
    expect(await moderator.$(row(between))).toBeNull();
    await moderator.click(`${row(pay)} .mq__text`);
    await moderator.keyboard.press('j');
    expect(await selectedId()).toBe(payToo);
    await moderator.keyboard.press('j');
    expect(await selectedId()).toBe(payToo);
    await moderator.fill('[data-testid="triage-search"]', '4e c');
    await moderator.keyboard.press('Enter');
    const fromC = [...(await listed('pending')), ...(await listed('approved'))];
    expect(fromC.sort()).toEqual([asked.third, training].sort());
    // Escape empties the search.
    await moderator.focus('[data-testid="triage-search"]');
    await moderator.keyboard.press('Escape');
    expect(await listed('pending')).toContain(between);
  });
});

describe('a removed classroom let back in', () => {
  it('undoing the removal lets the class rejoin, and it is told; « Réadmettre » does the same', async () => {
    const classroomId = ev.classroomIds[6] as string;
    const viewer = await session.open('viewer', ev.tokens.classrooms[6] as string);
    const connectedRow = `[data-testid="classroom-row"][data-classroom-id="${classroomId}"]`;
    const remove = async () => {
      await moderator.waitForSelector(connectedRow);
      await moderator.click(`${connectedRow} [data-testid="remove-participant"]`);
      await moderator.click(`${connectedRow} [data-testid="remove-participant-confirm"]`);
      await viewer.waitForSelector('[data-testid="removed"]');
      await moderator.waitForSelector(connectedRow, { state: 'detached' });
    };
    /** The class is told it is let back in, then is back in the session by itself. */
    const back = async (shot?: string) => {
      await viewer.waitForSelector('[data-testid="readmitted"]', { timeout: 15_000 });
      expect(await viewer.textContent('[data-testid="readmitted"]')).toContain(
        'La modération a réadmis la classe',
      );
      if (shot) await screenshot(viewer, shot);
      await viewer.waitForSelector('[data-testid="ask-form"]', { timeout: 15_000 });
      await moderator.waitForSelector(connectedRow);
    };

    await remove();
    await expect.poll(undoText).toContain('Annuler\u00a0: retrait de la classe 4e G');
    await moderator.waitForSelector(
      `[data-testid="removed-row"][data-classroom-id="${classroomId}"]`,
    );
    await screenshot(moderator, 'console-undo-removal');
    await moderator.keyboard.press('u');
    await moderator.waitForSelector('[data-testid="removed-classrooms"]', { state: 'detached' });
    await back('viewer-readmitted');

    // Removed again; the moderator's page reloaded still lists it, and lets it back in.
    await remove();
    await moderator.reload();
    await moderator.waitForSelector('[data-testid="moderator-view"]');
    await moderator.click(
      `[data-testid="removed-row"][data-classroom-id="${classroomId}"] [data-testid="reinstate"]`,
    );
    await back();
    // Nothing left to undo: the class is already back.
    expect(await moderator.$('[data-testid="undo"][data-kind="remove"]')).toBeNull();
    await viewer.close();
  });
});
