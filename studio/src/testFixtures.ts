import type { KeyLike } from './shortcuts.ts';

/** A key pressed outside any text field, with no modifier unless `more` says so. */
export function key(k: string, more: Partial<KeyLike> = {}): KeyLike {
  return { key: k, ctrlKey: false, metaKey: false, altKey: false, inField: false, ...more };
}

/** Questions for the studio's tests (protocol's test maker: numbered, a second apart). */
export { questionMaker } from '../../protocol/test/support/questionMaker.ts';
