export interface JoinParams {
  eventId: string;
  token: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Reads `?event=…&token=…` from a classroom join link; null when either is missing or malformed. */
export function parseJoinLink(search: string): JoinParams | null {
  const params = new URLSearchParams(search);
  const eventId = params.get('event');
  const token = params.get('token');
  if (!eventId || !UUID.test(eventId) || !token) return null;
  return { eventId, token };
}
