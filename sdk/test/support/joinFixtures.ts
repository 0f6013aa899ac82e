import type { JoinResult, Question, Self } from '@amphi/protocol';

export const EVENT_ID = '7f0b8a52-7b1c-4b55-9a57-0d5d7f0c0a11';
export const CLASSROOM_ID = '7f0b8a52-7b1c-4b55-9a57-0d5d7f0c0a21';

/** The classroom a stand-in server welcomes (its screen in the tests). */
export function classroomSelf(classroomId: string | null = CLASSROOM_ID): Self {
  return {
    participantId: 'p1',
    role: 'classroom',
    name: '4e B',
    eventId: EVENT_ID,
    classroomId,
    speakerId: null,
  };
}

/** A live talk's join answer for `self`: no stage, no hands, no producers yet. */
export function joinResultFor(self: Self, questions: Question[] = []): JoinResult {
  return {
    self,
    state: {
      event: {
        id: EVENT_ID,
        title: 'Démo',
        status: 'live',
        startsAt: new Date().toISOString(),
        durationMinutes: 45,
        startedAt: null,
        endedAt: null,
        speakers: [],
      },
      questions,
      stage: null,
      hands: [],
      presence: null,
      producers: [],
    },
    routerRtpCapabilities: null,
    iceServers: [],
  };
}
