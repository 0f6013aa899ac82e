import type { HttpStatusErrorCode, KnownErrorCode } from '@amphi/app-kit';
import {
  AuditEntry,
  ClassroomSearchResult,
  ConsoleLink,
  ConsoleLinkList,
  ConsoleSession,
  type CreateAccountBody,
  type CreateEventBody,
  type CreateSpeakerBody,
  CSRF_HEADER,
  EnrolmentList,
  Event,
  EventBoard,
  EventSummary,
  ImportProblem,
  ImportResult,
  IssuedLinks,
  listOf,
  OperatorAccount,
  RestError,
  Speaker,
  type UpdateAccountBody,
  type UpdateEventBody,
} from '@amphi/protocol';
import { z } from 'zod';

type ApiErrorCode = KnownErrorCode | HttpStatusErrorCode;

/**
 * A refused or failed call: the server's stable code (or NETWORK, INVALID_RESPONSE, HTTP_nnn),
 * what `errorText` reads; a code of its own without a sentence in app-kit's table does not compile.
 */
export class ApiError extends Error {
  readonly code: ApiErrorCode;
  readonly status: number;
  readonly details: { path: string; message: string }[] | undefined;

  constructor(
    code: ApiErrorCode,
    message: string,
    status: number,
    details?: { path: string; message: string }[],
  ) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.status = status;
    this.details = details;
  }
}

/** The import refused the file: each bad line, and nothing was imported. */
export class ImportRefused extends Error {
  readonly problems: ImportProblem[];
  constructor(problems: ImportProblem[]) {
    super('import refused');
    this.problems = problems;
  }
}

interface Schema<T> {
  safeParse(value: unknown): { success: true; data: T } | { success: false; error: Error };
}

/**
 * The CSRF token of the signed-in session: every write sends it back in
 * `x-amphi-csrf` (the cookie alone does not let a write through).
 */
let csrfToken: string | null = null;
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Told when the server says the session is over (signed out elsewhere, expired). */
let onSignedOut: (() => void) | null = null;
export function whenSignedOut(handler: (() => void) | null): void {
  onSignedOut = handler;
}

interface CallOptions {
  method?: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  body?: unknown;
  /** A raw body (the CSV file) and its type. */
  raw?: { text: string; type: string };
  signal?: AbortSignal | undefined;
}

async function send(path: string, opts: CallOptions): Promise<Response> {
  const method = opts.method ?? 'GET';
  const headers: Record<string, string> = {};
  if (method !== 'GET' && csrfToken) headers[CSRF_HEADER] = csrfToken;
  let body: string | undefined;
  if (opts.raw) {
    headers['content-type'] = opts.raw.type;
    body = opts.raw.text;
  } else if (opts.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(opts.body);
  }
  try {
    return await fetch(new URL(path, location.origin), {
      method,
      headers,
      credentials: 'same-origin',
      cache: 'no-store',
      ...(body === undefined ? {} : { body }),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
  } catch (err) {
    if (opts.signal?.aborted) throw err;
    throw new ApiError('NETWORK', 'the server cannot be reached', 0);
  }
}

function refusal(res: Response, body: unknown): ApiError {
  const error = RestError.safeParse(body);
  // Signed out elsewhere, or expired: back to the sign-in form.
  if (res.status === 401) onSignedOut?.();
  if (error.success) {
    const { code, message, details } = error.data.error;
    return new ApiError(code, message, res.status, details);
  }
  return new ApiError(`HTTP_${res.status}`, `HTTP ${res.status}`, res.status);
}

async function call<T>(schema: Schema<T>, path: string, opts: CallOptions = {}): Promise<T> {
  const res = await send(path, opts);
  const body: unknown = res.status === 204 ? null : await res.json().catch(() => null);
  if (!res.ok) throw refusal(res, body);
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw new ApiError('INVALID_RESPONSE', parsed.error.message, res.status);
  return parsed.data;
}

const Nothing = z.null();
const id = encodeURIComponent;

// --- session and accounts

export async function signIn(email: string, password: string): Promise<ConsoleSession> {
  const res = await send('/api/v1/console/session', {
    method: 'POST',
    body: { email, password },
  });
  const body: unknown = await res.json().catch(() => null);
  if (!res.ok) {
    const error = RestError.safeParse(body);
    if (error.success)
      throw new ApiError(error.data.error.code, error.data.error.message, res.status);
    throw new ApiError(`HTTP_${res.status}`, `HTTP ${res.status}`, res.status);
  }
  const session = ConsoleSession.parse(body);
  setCsrfToken(session.csrfToken);
  return session;
}

/** The session this browser already has (its cookie), or null. */
export async function currentSession(): Promise<ConsoleSession | null> {
  const res = await send('/api/v1/console/session', {});
  if (res.status === 401) return null;
  const body: unknown = await res.json().catch(() => null);
  if (!res.ok) throw refusal(res, body);
  const session = ConsoleSession.parse(body);
  setCsrfToken(session.csrfToken);
  return session;
}

export async function signOut(): Promise<void> {
  await call(Nothing, '/api/v1/console/session', { method: 'DELETE' });
  setCsrfToken(null);
}

export const listAccounts = () =>
  call(z.object({ items: z.array(OperatorAccount) }), '/api/v1/console/accounts');
export const createAccount = (body: CreateAccountBody) =>
  call(OperatorAccount, '/api/v1/console/accounts', { method: 'POST', body });
export const updateAccount = (accountId: string, body: UpdateAccountBody) =>
  call(OperatorAccount, `/api/v1/console/accounts/${id(accountId)}`, { method: 'PATCH', body });
export const listAudit = (limit = 100) =>
  call(listOf(AuditEntry), `/api/v1/console/audit?limit=${limit}`);

// --- events and speakers

export const listEvents = () => call(listOf(Event), '/api/v1/events?limit=500');
export const getEvent = (eventId: string) => call(Event, `/api/v1/events/${id(eventId)}`);
export const createSpeaker = (body: CreateSpeakerBody) =>
  call(Speaker, '/api/v1/speakers', { method: 'POST', body });
export const updateSpeaker = (speakerId: string, body: Partial<CreateSpeakerBody>) =>
  call(Speaker, `/api/v1/speakers/${id(speakerId)}`, { method: 'PATCH', body });
export const createEvent = (body: CreateEventBody) =>
  call(Event, '/api/v1/events', { method: 'POST', body });
export const updateEvent = (eventId: string, body: UpdateEventBody) =>
  call(Event, `/api/v1/events/${id(eventId)}`, { method: 'PATCH', body });
export const setEnrolment = (eventId: string, open: boolean) =>
  call(Event, `/api/v1/events/${id(eventId)}/enrolment`, { method: 'POST', body: { open } });
export const setStatus = (eventId: string, status: 'live' | 'ended' | 'scheduled' | 'cancelled') =>
  call(Event, `/api/v1/events/${id(eventId)}/status`, { method: 'POST', body: { status } });

// --- schools, classes, enrolments

export async function importClassrooms(csv: string, eventId?: string): Promise<ImportResult> {
  const query = eventId ? `?eventId=${id(eventId)}` : '';
  const res = await send(`/api/v1/console/import/classrooms${query}`, {
    method: 'POST',
    raw: { text: csv, type: 'text/csv' },
  });
  const body: unknown = await res.json().catch(() => null);
  if (res.status === 400) {
    const problems = z.object({ problems: z.array(ImportProblem) }).safeParse(body);
    if (problems.success) throw new ImportRefused(problems.data.problems);
  }
  if (!res.ok) throw refusal(res, body);
  return ImportResult.parse(body);
}

export const searchClassrooms = (q: string, signal?: AbortSignal) =>
  call(
    ClassroomSearchResult,
    `/api/v1/console/classrooms?${new URLSearchParams({ q, limit: '50' })}`,
    {
      signal,
    },
  );
export const listEnrolments = (eventId: string) =>
  call(EnrolmentList, `/api/v1/events/${id(eventId)}/enrolments`);
export const enrolClassrooms = (eventId: string, classroomIds: string[]) =>
  call(z.object({ enrolled: z.number() }), `/api/v1/events/${id(eventId)}/enrolments/classrooms`, {
    method: 'POST',
    body: { classroomIds },
  });

// --- links

export const listLinks = (eventId: string) =>
  call(ConsoleLinkList, `/api/v1/console/events/${id(eventId)}/links`);
export const issueLinks = (eventId: string, classroomIds?: string[]) =>
  call(IssuedLinks, `/api/v1/console/events/${id(eventId)}/links`, {
    method: 'POST',
    body: classroomIds ? { classroomIds } : {},
  });
export const revokeLink = (eventId: string, tokenId: string) =>
  call(ConsoleLink, `/api/v1/console/events/${id(eventId)}/links/${id(tokenId)}/revoke`, {
    method: 'POST',
  });
export const linksCsvUrl = (eventId: string) => `/api/v1/console/events/${id(eventId)}/links.csv`;
export const sheetUrl = (eventId: string, schoolId: string, lang: string) =>
  `/api/v1/console/events/${id(eventId)}/links/sheet?${new URLSearchParams({ schoolId, lang })}`;

// --- during and after

export const fetchBoard = (eventId: string, signal?: AbortSignal) =>
  call(EventBoard, `/api/v1/events/${id(eventId)}/board`, { signal });
export const fetchSummary = (eventId: string) =>
  call(EventSummary, `/api/v1/console/events/${id(eventId)}/summary`);
