import { describe, expect, it } from 'vitest';
import { decideEventStatus, type EventStatus, type Role } from '../src/index.ts';

const ROLES: Role[] = ['speaker', 'moderator', 'classroom'];
const STATUSES: EventStatus[] = ['scheduled', 'live', 'ended', 'cancelled'];

/** role, status now, asked, another speaker on air → the status it takes, or the error code. */
function outcome(role: Role, current: EventStatus, asked: 'live' | 'ended', others: boolean) {
  const d = decideEventStatus(role, current, asked, others);
  return d.ok ? d.status : d.code;
}

describe('who takes an event live or ends it', () => {
  it('every role × status × request, with and without another speaker on air', () => {
    const table: string[] = [];
    for (const role of ROLES)
      for (const current of STATUSES)
        for (const asked of ['live', 'ended'] as const)
          for (const others of [false, true])
            table.push(
              `${role} ${current} →${asked}${others ? ' (others on air)' : ''}: ${outcome(role, current, asked, others)}`,
            );
    expect(table).toMatchSnapshot();
  });

  it('speakers and moderators go live; a classroom never changes the status', () => {
    expect(outcome('speaker', 'scheduled', 'live', false)).toBe('live');
    expect(outcome('moderator', 'scheduled', 'live', false)).toBe('live');
    expect(outcome('classroom', 'live', 'ended', false)).toBe('FORBIDDEN');
    expect(outcome('classroom', 'scheduled', 'live', false)).toBe('FORBIDDEN');
  });

  it('a speaker leaving a panel that goes on leaves it live; the last one, or a moderator, ends it', () => {
    expect(outcome('speaker', 'live', 'ended', true)).toBe('live');
    expect(outcome('speaker', 'live', 'ended', false)).toBe('ended');
    expect(outcome('moderator', 'live', 'ended', true)).toBe('ended');
  });

  it('an event over stays over; one never live is not ended (an operator cancels it)', () => {
    expect(outcome('speaker', 'ended', 'live', false)).toBe('EVENT_CLOSED');
    expect(outcome('moderator', 'cancelled', 'ended', false)).toBe('EVENT_CLOSED');
    expect(outcome('moderator', 'scheduled', 'ended', false)).toBe('INVALID_STATE');
  });
});
