import { describe, expect, it } from 'vitest';
import { adoptionRefusal } from '../src/index.ts';

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
