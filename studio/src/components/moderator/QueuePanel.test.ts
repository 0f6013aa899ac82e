import type { Question } from '@amphi/protocol';
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { QueuePanel } from './QueuePanel.tsx';

const q = (id: string, text: string) => ({ id, text }) as Question;
const row = (x: Question) => createElement('li', { key: x.id }, x.text);

describe("the moderator's queues", () => {
  it('announce new questions to triage, keep the approved ones in order, say why one is empty', () => {
    const questions = [q('a', 'Quel diplôme ?'), q('b', 'Un jour type ?')];
    const pending = renderToStaticMarkup(
      createElement(QueuePanel, {
        list: 'pending',
        title: 'À trier (2)',
        empty: '—',
        questions,
        row,
      }),
    );
    expect(pending).toBe(
      '<section class="panel" aria-labelledby="pending-title"><h2 id="pending-title">À trier (2)</h2>' +
        '<ul class="mq-list" data-testid="pending-questions" aria-live="polite" aria-keyshortcuts="J K">' +
        '<li>Quel diplôme ?</li><li>Un jour type ?</li></ul></section>',
    );
    const approved = renderToStaticMarkup(
      createElement(QueuePanel, {
        list: 'approved',
        title: 'Validées',
        empty: '—',
        questions,
        row,
      }),
    );
    expect(approved).toContain(
      '<ol class="mq-list" data-testid="approved-questions" aria-keyshortcuts="J K"><li>Quel diplôme ?</li>',
    );
    expect(approved).not.toContain('aria-live');
    const none = renderToStaticMarkup(
      createElement(QueuePanel, {
        list: 'approved',
        title: 'Validées (0)',
        empty: 'Aucune question validée.',
        questions: [],
        row,
      }),
    );
    expect(none).toContain('<p class="empty">Aucune question validée.</p>');
    expect(none).not.toContain('approved-questions');
  });
});
