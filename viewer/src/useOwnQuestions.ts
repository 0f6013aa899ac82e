import { type Question, QuestionList, RestError } from '@amphi/protocol';
import { useEffect, useState } from 'react';

export type OwnQuestions =
  | { status: 'loading' }
  | { status: 'loaded'; questions: Question[] }
  /** `code`: the server's error code, or NETWORK / INVALID_RESPONSE. */
  | { status: 'failed'; code: string };

const URL_PATH = '/api/v1/registration/questions';

async function fetchOwnQuestions(token: string, signal: AbortSignal): Promise<OwnQuestions> {
  let res: Response;
  try {
    res = await fetch(new URL(URL_PATH, location.origin), {
      headers: { authorization: `Bearer ${token}` },
      cache: 'no-store',
      signal,
    });
  } catch {
    return { status: 'failed', code: 'NETWORK' };
  }
  const body: unknown = await res.json().catch(() => null);
  if (!res.ok) {
    const error = RestError.safeParse(body);
    return { status: 'failed', code: error.success ? error.data.error.code : `HTTP_${res.status}` };
  }
  const list = QuestionList.safeParse(body);
  return list.success
    ? { status: 'loaded', questions: list.data.questions }
    : { status: 'failed', code: 'INVALID_RESPONSE' };
}

/**
 * The class's own questions as the server has them, read with the classroom
 * link once `enabled` (the event is over: the socket can no longer give them).
 * Fetched once per link; `null` while not enabled.
 */
export function useOwnQuestions(token: string, enabled: boolean): OwnQuestions | null {
  const [result, setResult] = useState<OwnQuestions | null>(null);
  useEffect(() => {
    if (!enabled) return;
    const abort = new AbortController();
    setResult({ status: 'loading' });
    void fetchOwnQuestions(token, abort.signal).then((r) => {
      if (!abort.signal.aborted) setResult(r);
    });
    return () => abort.abort();
  }, [token, enabled]);
  return enabled ? (result ?? { status: 'loading' }) : null;
}
