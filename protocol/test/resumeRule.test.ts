import { describe, expect, it } from 'vitest';
import { adoptionRefusal, madeGeneration } from '../src/index.ts';

describe('adoptionRefusal', () => {
  it('lets the generation holding the media or a newer one take it, refuses an older one', () => {
    expect(adoptionRefusal(0, 0)).toBeNull();
    expect(adoptionRefusal(5, 6)).toBeNull();
    expect(adoptionRefusal(6, 6)).toBeNull();
    expect(adoptionRefusal(6, 5)).toMatchObject({ ok: false, code: 'RESUME_SUPERSEDED' });
  });

  it('takes a generation not drawn (Redis away): it is not ordered', () => {
    expect(adoptionRefusal(1_764_470_000_000, null)).toBeNull();
  });
});

describe('madeGeneration', () => {
  it('media made by a resumed socket holds its generation: an older one is refused over it', () => {
    expect(madeGeneration(7)).toBe(7);
    expect(adoptionRefusal(madeGeneration(7), 6)).toMatchObject({ code: 'RESUME_SUPERSEDED' });
  });

  it('a first socket’s, or one whose generation was not drawn, is 0: any resume takes it', () => {
    expect(madeGeneration(undefined)).toBe(0);
    expect(madeGeneration(null)).toBe(0);
    expect(adoptionRefusal(madeGeneration(null), 1)).toBeNull();
  });
});
