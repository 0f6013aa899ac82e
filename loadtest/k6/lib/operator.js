// The operator's REST API (control-api/src/routes/operator.ts, under /api/v1,
// Bearer OPERATOR_TOKEN): what setup() needs to create a test event with its
// classrooms and join links, and what the enrolment scenario does live.
// setup() and teardown() use k6's blocking calls; VU code awaits asyncRequest.

import { sleep } from 'k6';
import http from 'k6/http';
import { config } from './config.js';

const api = (path) => `${config.baseUrl}/api/v1${path}`;

function params(name) {
  return {
    headers: {
      Authorization: `Bearer ${config.operatorToken}`,
      'Content-Type': 'application/json',
    },
    tags: { name },
  };
}

function body(res, what) {
  if (res.status < 200 || res.status >= 300) {
    throw new Error(
      `${what}: HTTP ${res.status} ${res.error || ''} ${String(res.body).slice(0, 300)}`,
    );
  }
  return res.json();
}

/**
 * Blocking POSTs, several at once (http.batch), each retried after its
 * Retry-After when the per-address REST limit answers 429: k6 runs from one
 * address, and setup() sends two requests per classroom.
 */
function postAll(requests, what) {
  const results = new Array(requests.length);
  let todo = requests.map((_r, i) => i);
  for (let attempt = 0; todo.length > 0; attempt++) {
    const responses = http.batch(
      todo.map((i) => [
        'POST',
        api(requests[i].path),
        JSON.stringify(requests[i].body),
        params(requests[i].name),
      ]),
    );
    const again = [];
    let wait = 0;
    responses.forEach((res, k) => {
      const i = todo[k];
      if (res.status === 429 && attempt < 20) {
        again.push(i);
        wait = Math.max(wait, Number(res.headers['Retry-After']) || 1);
      } else results[i] = body(res, what);
    });
    if (again.length) sleep(wait);
    todo = again;
  }
  return results;
}

function chunks(items, size) {
  const out = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** A live event with `count` enrolled classrooms, their join links and a moderator's. */
export function createTestEvent(count) {
  if (!config.operatorToken)
    throw new Error('OPERATOR_TOKEN is required (the control-api prints where it keeps it)');
  const stamp = new Date().toISOString();
  const [speaker] = postAll(
    [
      {
        path: '/speakers',
        name: 'POST /speakers',
        body: {
          name: 'Intervenante de test de charge',
          job: 'Ingénieure réseau',
          organisation: 'Amphi (k6)',
        },
      },
    ],
    'create the speaker',
  );
  const [event] = postAll(
    [
      {
        path: '/events',
        name: 'POST /events',
        body: {
          title: `Test de charge k6 ${stamp}`,
          format: 'solo_45',
          startsAt: stamp,
          speakerIds: [speaker.id],
        },
      },
    ],
    'create the event',
  );
  const [school] = postAll(
    [
      {
        path: '/schools',
        name: 'POST /schools',
        body: {
          name: 'Collège du test de charge',
          town: 'Lyon',
          academie: 'Lyon',
          region: 'Auvergne-Rhône-Alpes',
        },
      },
    ],
    'create the school',
  );
  const classrooms = [];
  for (const part of chunks(
    Array.from({ length: count }, (_, i) => i),
    50,
  )) {
    const made = postAll(
      part.map((i) => ({
        path: '/classrooms',
        name: 'POST /classrooms',
        body: { schoolId: school.id, label: `k6 ${i + 1}`, level: '4e' },
      })),
      'create a classroom',
    );
    classrooms.push(...made);
  }
  for (const part of chunks(classrooms, 1000)) {
    postAll(
      [
        {
          path: `/events/${event.id}/enrolments/classrooms`,
          name: 'POST /events/:id/enrolments/classrooms',
          body: { classroomIds: part.map((c) => c.id) },
        },
      ],
      'enrol the classrooms',
    );
  }
  const links = [];
  for (const part of chunks(classrooms, 50)) {
    links.push(
      ...postAll(
        part.map((c) => ({
          path: `/events/${event.id}/join-links`,
          name: 'POST /events/:id/join-links',
          body: { role: 'classroom', classroomId: c.id },
        })),
        'issue a classroom link',
      ),
    );
  }
  const [moderator] = postAll(
    [
      {
        path: `/events/${event.id}/join-links`,
        name: 'POST /events/:id/join-links',
        body: { role: 'moderator', name: 'Modération (k6)' },
      },
    ],
    'issue the moderator link',
  );
  setEventStatus(event.id, 'live');
  return {
    eventId: event.id,
    schoolId: school.id,
    moderatorToken: moderator.token,
    classrooms: links.map((l) => ({ id: l.classroomId, token: l.token })),
  };
}

export function setEventStatus(eventId, status) {
  postAll(
    [{ path: `/events/${eventId}/status`, name: 'POST /events/:id/status', body: { status } }],
    `set the event ${status}`,
  );
}

/**
 * One classroom enrolled live, as an operator's console does it: the
 * classroom, its enrolment, its join link. Resolves true when all three
 * succeeded; each request is timed in http_req_duration under its name.
 */
export async function enrolClassroom(eventId, schoolId, label) {
  const post = (path, name, payload) =>
    http.asyncRequest('POST', api(path), JSON.stringify(payload), params(name));
  const made = await post('/classrooms', 'POST /classrooms', { schoolId, label, level: '3e' });
  if (made.status !== 201) return false;
  const classroomId = made.json().id;
  const enrolled = await post(
    `/events/${eventId}/enrolments/classrooms`,
    'POST /events/:id/enrolments/classrooms',
    {
      classroomIds: [classroomId],
    },
  );
  if (enrolled.status !== 200) return false;
  const link = await post(`/events/${eventId}/join-links`, 'POST /events/:id/join-links', {
    role: 'classroom',
    classroomId,
  });
  return link.status === 201;
}
