import { type ErrorCode, RestError } from '@amphi/protocol';

/**
 * Whether the server lets a join link in now, asked over HTTP without opening
 * a socket: the socket's URL answers a plain request with 426 once the link is
 * admitted, or with the refusal's code. A removed classroom asks it now and
 * then, to learn that a moderator let it back in. null: no answer (network).
 */
export async function admission(
  socketUrl: string,
  fetchFn: typeof fetch = globalThis.fetch,
): Promise<'admitted' | ErrorCode | null> {
  try {
    const res = await fetchFn(socketUrl.replace(/^ws/, 'http'), {
      signal: AbortSignal.timeout(5000),
    });
    if (res.status === 426) return 'admitted';
    const body = RestError.safeParse(await res.json());
    return body.success ? body.data.error.code : null;
  } catch {
    return null;
  }
}
