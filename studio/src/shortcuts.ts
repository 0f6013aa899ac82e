/** Keyboard shortcuts, one table per view, so the on-screen help and the handlers agree. */

export type ModeratorAction =
  | 'next'
  | 'previous'
  | 'approve'
  | 'reject'
  | 'merge'
  | 'edit'
  | 'pin'
  | 'answering'
  | 'answered'
  | 'stageFirstHand'
  | 'offStage'
  | 'undo'
  | 'search'
  | 'help';

export const MODERATOR_SHORTCUTS: readonly { keys: readonly string[]; action: ModeratorAction }[] =
  [
    { keys: ['j', 'ArrowDown'], action: 'next' },
    { keys: ['k', 'ArrowUp'], action: 'previous' },
    { keys: ['a'], action: 'approve' },
    { keys: ['r'], action: 'reject' },
    { keys: ['f'], action: 'merge' },
    { keys: ['e'], action: 'edit' },
    { keys: ['p'], action: 'pin' },
    { keys: ['n'], action: 'answering' },
    { keys: ['d'], action: 'answered' },
    { keys: ['s'], action: 'stageFirstHand' },
    { keys: ['x'], action: 'offStage' },
    { keys: ['u', 'Ctrl+z'], action: 'undo' },
    { keys: ['/'], action: 'search' },
    { keys: ['?'], action: 'help' },
  ];

export type SpeakerAction =
  | { kind: 'program'; index: number }
  | { kind: 'mute' }
  | { kind: 'nextQuestion' }
  | { kind: 'answered' };

export interface KeyLike {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
  /** Whether the key was pressed while typing in a field (shortcuts then stay out of the way). */
  inField: boolean;
}

function plain(e: KeyLike): boolean {
  return !e.ctrlKey && !e.metaKey && !e.altKey && !e.inField;
}

/** A moderator's key: plain, or with Ctrl (⌘ on a Mac) where the table says `Ctrl+` (Ctrl+Z undoes). */
export function moderatorAction(e: KeyLike): ModeratorAction | null {
  if (e.inField || e.altKey) return null;
  const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;
  const pressed = e.ctrlKey || e.metaKey ? `Ctrl+${key}` : key;
  return MODERATOR_SHORTCUTS.find((s) => s.keys.includes(pressed))?.action ?? null;
}

/**
 * Speaker: 1–9 put camera N on the program, M mutes or unmutes, N takes the
 * next approved question, D marks the one being answered as done (the same
 * letters as the moderator's).
 */
export function speakerAction(e: KeyLike): SpeakerAction | null {
  if (!plain(e)) return null;
  if (/^[1-9]$/.test(e.key)) return { kind: 'program', index: Number(e.key) - 1 };
  switch (e.key.toLowerCase()) {
    case 'm':
      return { kind: 'mute' };
    case 'n':
      return { kind: 'nextQuestion' };
    case 'd':
      return { kind: 'answered' };
    default:
      return null;
  }
}

/** Whether a keyboard event comes from a place where the user types text. */
export function isTypingTarget(target: EventTarget | null): boolean {
  if (!target || typeof (target as Element).tagName !== 'string') return false;
  const el = target as HTMLElement;
  const tag = el.tagName;
  return tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT' || el.isContentEditable;
}

export function keyLike(e: KeyboardEvent): KeyLike {
  return {
    key: e.key,
    ctrlKey: e.ctrlKey,
    metaKey: e.metaKey,
    altKey: e.altKey,
    inField: isTypingTarget(e.target),
  };
}
