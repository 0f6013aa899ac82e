import { z } from 'zod';
import { IsoDateTime, text, Uuid } from './common.ts';

// The operator console: accounts, sessions, the audit log, the CSV import of
// schools and classes, classroom links issued in bulk, and the after-event
// summary. Sessions live in an HttpOnly cookie; writes made with it send the
// session's CSRF token back in `CSRF_HEADER`.

/** The header a cookie-authenticated write carries: the session's CSRF token. */
export const CSRF_HEADER = 'x-amphi-csrf';
/** The session cookie's name. */
export const SESSION_COOKIE = 'amphi_operator_session';

export const OperatorRole = z.enum(['admin', 'operator']);
export type OperatorRole = z.infer<typeof OperatorRole>;

const Email = z.string().trim().toLowerCase().pipe(z.email().max(254));
/** 12 characters at least: long beats complex. 256 at most: the hash's input stays small. */
const Password = z.string().min(12).max(256);

export const SignInBody = z.strictObject({
  email: Email,
  password: z.string().min(1).max(256),
});
export type SignInBody = z.infer<typeof SignInBody>;

export const OperatorAccount = z.object({
  id: Uuid,
  email: z.string(),
  displayName: z.string(),
  role: OperatorRole,
  disabled: z.boolean(),
  createdAt: IsoDateTime,
});
export type OperatorAccount = z.infer<typeof OperatorAccount>;

/** Who is signed in, and the token their writes send back in `x-amphi-csrf`. */
export const ConsoleSession = z.object({
  account: OperatorAccount,
  csrfToken: z.string(),
  expiresAt: IsoDateTime,
});
export type ConsoleSession = z.infer<typeof ConsoleSession>;

export const CreateAccountBody = z.strictObject({
  email: Email,
  displayName: text(120),
  role: OperatorRole,
  password: Password,
});
export type CreateAccountBody = z.infer<typeof CreateAccountBody>;

export const UpdateAccountBody = z.strictObject({
  displayName: text(120).optional(),
  role: OperatorRole.optional(),
  /** A disabled account cannot sign in, and its sessions end. */
  disabled: z.boolean().optional(),
  password: Password.optional(),
});
export type UpdateAccountBody = z.infer<typeof UpdateAccountBody>;

export const AuditEntry = z.object({
  id: z.number().int(),
  actor: z.string(),
  actorAccountId: Uuid.nullable(),
  action: z.string(),
  method: z.string().nullable(),
  route: z.string().nullable(),
  statusCode: z.number().int().nullable(),
  eventId: Uuid.nullable(),
  details: z.record(z.string(), z.unknown()),
  createdAt: IsoDateTime,
});
export type AuditEntry = z.infer<typeof AuditEntry>;

// --- CSV import of schools and classes -----------------------------------------

/** Why a line of the import was refused (the console says it in the reader's language). */
export const ImportProblemReason = z.enum([
  /** The CSV itself could not be read there (an unclosed quote, a wrong number of fields). */
  'csv_syntax',
  /** The line has more or fewer fields than the header. */
  'field_count',
  /** A column the import needs is not in the header. */
  'missing_column',
  'required',
  'too_long',
  'control_characters',
  'unknown_level',
  'invalid_boolean',
  /** The same class (school and label) twice in the file. */
  'duplicate_class',
  /** More lines than one import takes. */
  'too_many_lines',
]);
export type ImportProblemReason = z.infer<typeof ImportProblemReason>;

export const ImportProblem = z.object({
  /** The line in the file, counting the header as line 1. */
  line: z.number().int(),
  /** The column's name as the header has it (null: the whole line). */
  column: z.string().nullable(),
  reason: ImportProblemReason,
  /** What the cell held (cut to 80 characters). */
  value: z.string().nullable(),
});
export type ImportProblem = z.infer<typeof ImportProblem>;

/** The import's result: everything imported, or (`problems`) nothing at all. */
export const ImportResult = z.object({
  lines: z.number().int(),
  schoolsCreated: z.number().int(),
  schoolsExisting: z.number().int(),
  classroomsCreated: z.number().int(),
  classroomsExisting: z.number().int(),
  /** Classes enrolled in `eventId`, when the import named one. */
  enrolled: z.number().int(),
});
export type ImportResult = z.infer<typeof ImportResult>;

export const ImportRejected = z.object({
  error: z.object({ code: z.literal('VALIDATION_FAILED'), message: z.string() }),
  problems: z.array(ImportProblem),
});
export type ImportRejected = z.infer<typeof ImportRejected>;

export const ImportQuery = z.strictObject({
  /** Also enrol every imported class in this event. */
  eventId: Uuid.optional(),
});

// --- Classes, for enrolling from the console ------------------------------------

export const ClassroomSearchQuery = z.strictObject({
  /** Part of the school's name, town, académie or region, or of the class's label. */
  q: z.string().trim().max(120).default(''),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  offset: z.coerce.number().int().min(0).default(0),
});
export type ClassroomSearchQuery = z.infer<typeof ClassroomSearchQuery>;

export const ClassroomRow = z.object({
  classroomId: Uuid,
  label: z.string(),
  level: z.string(),
  schoolId: Uuid,
  schoolName: z.string(),
  town: z.string(),
  academie: z.string(),
  region: z.string(),
  overseas: z.boolean(),
});
export type ClassroomRow = z.infer<typeof ClassroomRow>;

export const ClassroomSearchResult = z.object({
  items: z.array(ClassroomRow),
  total: z.number().int(),
});
export type ClassroomSearchResult = z.infer<typeof ClassroomSearchResult>;

// --- Classroom links issued in bulk -----------------------------------------------

export const IssueClassroomLinksBody = z.strictObject({
  /** Classes to give a link; absent: every enrolled class that has no live link yet. */
  classroomIds: z.array(Uuid).min(1).max(2000).optional(),
});
export type IssueClassroomLinksBody = z.infer<typeof IssueClassroomLinksBody>;

export const ConsoleLink = z.object({
  tokenId: Uuid,
  eventId: Uuid,
  classroomId: Uuid,
  classroomLabel: z.string(),
  level: z.string(),
  schoolId: Uuid,
  schoolName: z.string(),
  town: z.string(),
  issuedAt: IsoDateTime,
  expiresAt: IsoDateTime,
  issuedBy: z.string(),
  revokedAt: IsoDateTime.nullable(),
  /** The page the class opens (null once revoked). */
  url: z.string().nullable(),
  /** The network check page, with the same token, to try the school's network before the talk. */
  checkUrl: z.string().nullable(),
  /** The class's portal page (questions before the talk, the class sheet after), same token. */
  classPageUrl: z.string().nullable(),
});
export type ConsoleLink = z.infer<typeof ConsoleLink>;

export const ConsoleLinkList = z.object({ items: z.array(ConsoleLink) });
export type ConsoleLinkList = z.infer<typeof ConsoleLinkList>;

export const IssuedLinks = z.object({ issued: z.number().int(), items: z.array(ConsoleLink) });
export type IssuedLinks = z.infer<typeof IssuedLinks>;

// --- After the event ----------------------------------------------------------------

/** Per school: numbers only (no class names beyond the school's, no pupils, no question text). */
export const SchoolSummary = z.object({
  schoolId: Uuid,
  schoolName: z.string(),
  town: z.string(),
  region: z.string(),
  enrolledClassrooms: z.number().int(),
  attendedClassrooms: z.number().int(),
  questionsAsked: z.number().int(),
  questionsAnswered: z.number().int(),
  /** Connections that came back after a cut. */
  reconnects: z.number().int(),
  /** Classes whose connection was reported degraded or bad at some point. */
  classroomsWithPoorConnection: z.number().int(),
  /** Classes that needed the TURN relay or the HLS fallback. */
  classroomsOnRelayOrFallback: z.number().int(),
});
export type SchoolSummary = z.infer<typeof SchoolSummary>;

export const EventSummary = z.object({
  eventId: Uuid,
  title: z.string(),
  status: z.string(),
  startedAt: IsoDateTime.nullable(),
  endedAt: IsoDateTime.nullable(),
  enrolledClassrooms: z.number().int(),
  enrolledStudents: z.number().int(),
  attendedClassrooms: z.number().int(),
  questions: z.object({
    asked: z.number().int(),
    askedBeforeEvent: z.number().int(),
    approved: z.number().int(),
    answered: z.number().int(),
    rejected: z.number().int(),
    merged: z.number().int(),
    pending: z.number().int(),
  }),
  /** Classes by the media paths they used (a class may count under several). */
  paths: z.record(z.string(), z.number().int()),
  schools: z.array(SchoolSummary),
});
export type EventSummary = z.infer<typeof EventSummary>;
