import { describe, expect, it } from 'vitest';
import { admission } from '../src/admission.ts';

const answer = (status: number, body: unknown) => async () =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

describe('admission: may this link join now?', () => {
  const url = 'ws://localhost:1/v1/events/e/ws?v=1&token=t';

  it('a plain request answered 426 (WebSocket only) is a link let in', async () => {
    expect(
      await admission(url, answer(426, { error: { code: 'INVALID_MESSAGE', message: '' } })),
    ).toBe('admitted');
  });

  it('a refusal gives its code; no answer gives null', async () => {
    const removed = answer(403, { error: { code: 'FORBIDDEN', message: 'removed' } });
    expect(await admission(url, removed)).toBe('FORBIDDEN');
    const down = async () => {
      throw new TypeError('network down');
    };
    expect(await admission(url, down)).toBeNull();
  });

  it('asks over HTTP, at the socket’s address', async () => {
    let asked = '';
    await admission(url, async (input) => {
      asked = String(input);
      return new Response('{}', { status: 426 });
    });
    expect(asked).toBe('http://localhost:1/v1/events/e/ws?v=1&token=t');
  });
});
