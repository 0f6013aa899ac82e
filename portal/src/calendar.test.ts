import { describe, expect, it } from 'vitest';
import { classCalendar } from './calendar.ts';

/** The file's content lines, folded lines joined again (RFC 5545 §3.1). */
const unfold = (ics: string) => ics.replace(/\r\n[ \t]/g, '').split('\r\n');

describe('the class calendar file', () => {
  const ics = classCalendar(
    {
      eventId: '7b0c4a36-1d5e-4d1f-9a3e-2f3c4d5e6f70',
      classroomId: '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d',
      summary: 'Amphi\u00a0: Faire la radio, d’une rédaction à l’antenne',
      startsAt: '2026-03-16T09:00:00.000Z',
      durationMinutes: 55,
      lines: [
        'Classe\u00a0: 4e B, Collège Émile Zola',
        'Lien de la classe\u00a0: https://amphi.test/viewer/?event=x&token=a.b.c',
      ],
      joinUrl: 'https://amphi.test/viewer/?event=x&token=a.b.c',
    },
    new Date('2026-03-01T12:00:00.000Z'),
  );
  const lines = unfold(ics);

  it('is one VEVENT in a VCALENDAR 2.0, with CRLF line ends and lines of at most 75 octets', () => {
    expect(lines[0]).toBe('BEGIN:VCALENDAR');
    expect(lines).toContain('VERSION:2.0');
    expect(lines.filter((l) => l === 'BEGIN:VEVENT')).toHaveLength(1);
    expect(ics.endsWith('END:VCALENDAR\r\n') || ics.endsWith('END:VCALENDAR')).toBe(true);
    for (const raw of ics.split('\r\n')) {
      expect(new TextEncoder().encode(raw).length).toBeLessThanOrEqual(75);
    }
  });

  it('starts and ends in UTC, for the talk’s duration', () => {
    expect(lines).toContain('DTSTART:20260316T090000Z');
    expect(lines).toContain('DTEND:20260316T095500Z');
    expect(lines).toContain('DTSTAMP:20260301T120000Z');
  });

  it('names the talk, keeps the class’s links whole, and escapes commas and line breaks', () => {
    expect(lines).toContain(
      'UID:7b0c4a36-1d5e-4d1f-9a3e-2f3c4d5e6f70.0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d@amphi',
    );
    expect(lines).toContain('SUMMARY:Amphi\u00a0: Faire la radio\\, d’une rédaction à l’antenne');
    expect(lines).toContain('URL;VALUE=URI:https://amphi.test/viewer/?event=x&token=a.b.c');
    const description = lines.find((l) => l.startsWith('DESCRIPTION:'));
    expect(description).toBe(
      'DESCRIPTION:Classe\u00a0: 4e B\\, Collège Émile Zola\\nLien de la classe\u00a0: https://amphi.test/viewer/?event=x&token=a.b.c',
    );
  });
});
