import ical from 'ical-generator';

/** What the class's calendar entry says: the talk, when, and the class's links. */
export interface ClassCalendarEntry {
  eventId: string;
  classroomId: string;
  /** Already in the teacher's language (« Amphi : Faire la radio »). */
  summary: string;
  startsAt: string;
  durationMinutes: number;
  /** Lines of the entry's description, in the teacher's language. */
  lines: readonly string[];
  /** The class's join link: the entry's URL, what a calendar opens. */
  joinUrl: string;
}

/**
 * The class's calendar file (RFC 5545, `text/calendar`), made in the browser
 * because it holds the class's links, which the server gives only once. Times
 * are in UTC: every calendar shows them in its own time zone (overseas too).
 * The UID is the same for the same class and talk: importing the file twice
 * updates the entry instead of doubling it.
 */
export function classCalendar(entry: ClassCalendarEntry, now = new Date()): string {
  const start = new Date(entry.startsAt);
  const calendar = ical({ prodId: { company: 'Amphi', product: 'portal', language: 'FR' } });
  calendar.createEvent({
    id: `${entry.eventId}.${entry.classroomId}@amphi`,
    stamp: now,
    start,
    end: new Date(start.getTime() + entry.durationMinutes * 60_000),
    summary: entry.summary,
    description: entry.lines.join('\n'),
    url: entry.joinUrl,
  });
  return calendar.toString();
}
