import type { HttpStatusErrorCode, KnownErrorCode } from '@amphi/app-kit';
import {
  CatalogueEvent,
  CatalogueList,
  type CatalogueQuery,
  ClassSheet,
  RestError,
  SchoolSearchResult,
  type SubmitQuestion,
  SubmitQuestionResult,
  TeacherEnrolment,
  type TeacherEnrolmentBody,
} from '@amphi/protocol';

type ApiErrorCode = KnownErrorCode | HttpStatusErrorCode;

/**
 * A refused or failed call: the server's stable code (or NETWORK, INVALID_RESPONSE, HTTP_nnn),
 * what `errorText` reads; a code of its own without a sentence in app-kit's table does not compile.
 */
export class ApiError extends Error {
  readonly code: ApiErrorCode;
  readonly details: { path: string; message: string }[] | undefined;

  constructor(code: ApiErrorCode, message: string, details?: { path: string; message: string }[]) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.details = details;
  }
}

interface CallOptions {
  method?: 'GET' | 'POST';
  body?: unknown;
  /** A class's join token, as the Bearer credential. */
  token?: string;
  signal?: AbortSignal;
}

/** One REST call to this server, its answer parsed by the protocol's schema. */
/** What `call` needs of a protocol schema. */
interface Schema<T> {
  safeParse(value: unknown): { success: true; data: T } | { success: false; error: Error };
}

async function call<T>(schema: Schema<T>, path: string, opts: CallOptions = {}): Promise<T> {
  const headers: Record<string, string> = {};
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(new URL(path, location.origin), {
      method: opts.method ?? 'GET',
      headers,
      cache: 'no-store',
      ...(opts.body === undefined ? {} : { body: JSON.stringify(opts.body) }),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
  } catch (err) {
    if (opts.signal?.aborted) throw err;
    throw new ApiError('NETWORK', 'the server cannot be reached');
  }
  const body: unknown = await res.json().catch(() => null);
  if (!res.ok) {
    const error = RestError.safeParse(body);
    if (error.success) {
      const { code, message, details } = error.data.error;
      throw new ApiError(code, message, details);
    }
    throw new ApiError(`HTTP_${res.status}`, `HTTP ${res.status}`);
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw new ApiError('INVALID_RESPONSE', parsed.error.message);
  return parsed.data;
}

/** The catalogue's filters as the page holds them (empty: not filtered). */
export type CatalogueFilters = Partial<
  Pick<CatalogueQuery, 'themeWeek' | 'level' | 'from' | 'to' | 'job'>
>;

/** The browser's time zone, so that « from / until » are the school's days (overseas too). */
function browserTimeZone(): string | undefined {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

export function fetchCatalogue(
  filters: CatalogueFilters,
  page: { limit: number; offset: number },
  signal?: AbortSignal,
): Promise<CatalogueList> {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(filters)) {
    if (value) query.set(name, value);
  }
  const zone = browserTimeZone();
  if (zone && (filters.from || filters.to)) query.set('timeZone', zone);
  query.set('limit', String(page.limit));
  query.set('offset', String(page.offset));
  return call(CatalogueList, `/api/v1/catalogue?${query}`, signal ? { signal } : {});
}

export function fetchTalk(eventId: string, signal?: AbortSignal): Promise<CatalogueEvent> {
  return call(CatalogueEvent, `/api/v1/catalogue/${encodeURIComponent(eventId)}`, {
    ...(signal ? { signal } : {}),
  });
}

export function searchSchools(q: string, signal?: AbortSignal): Promise<SchoolSearchResult> {
  const query = new URLSearchParams({ q, limit: '10' });
  return call(SchoolSearchResult, `/api/v1/schools/search?${query}`, signal ? { signal } : {});
}

export function enrolClass(eventId: string, body: TeacherEnrolmentBody): Promise<TeacherEnrolment> {
  return call(TeacherEnrolment, `/api/v1/catalogue/${encodeURIComponent(eventId)}/enrolments`, {
    method: 'POST',
    body,
  });
}

export function fetchClassSheet(token: string, signal?: AbortSignal): Promise<ClassSheet> {
  return call(ClassSheet, '/api/v1/portal/class', { token, ...(signal ? { signal } : {}) });
}

export function submitQuestion(token: string, body: SubmitQuestion): Promise<SubmitQuestionResult> {
  return call(SubmitQuestionResult, '/api/v1/registration/questions', {
    method: 'POST',
    body,
    token,
  });
}
