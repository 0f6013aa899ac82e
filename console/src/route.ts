import { useHashRoute } from '@amphi/app-kit';

/** The console's screens, in the URL's fragment (back and forward work, links can be kept). */
export type EventTab = 'details' | 'enrolments' | 'live' | 'summary';
export type Route =
  | { name: 'events' }
  | { name: 'newEvent' }
  | { name: 'event'; eventId: string; tab: EventTab }
  | { name: 'import' }
  | { name: 'accounts' }
  | { name: 'audit' }
  | { name: 'notFound' };

const TABS: Record<string, EventTab> = {
  '': 'details',
  inscriptions: 'enrolments',
  direct: 'live',
  bilan: 'summary',
};

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '') || '/';
  if (path === '/') return { name: 'events' };
  if (path === '/seances/nouvelle') return { name: 'newEvent' };
  const event = /^\/seances\/([0-9a-f-]{36})(?:\/(\w+))?$/i.exec(path);
  if (event?.[1]) {
    const tab = TABS[event[2] ?? ''];
    return tab ? { name: 'event', eventId: event[1], tab } : { name: 'notFound' };
  }
  if (path === '/import') return { name: 'import' };
  if (path === '/comptes') return { name: 'accounts' };
  if (path === '/journal') return { name: 'audit' };
  return { name: 'notFound' };
}

export const links = {
  events: '#/',
  newEvent: '#/seances/nouvelle',
  event: (eventId: string, tab: EventTab = 'details') => {
    const part = Object.entries(TABS).find(([, t]) => t === tab)?.[0] ?? '';
    return `#/seances/${eventId}${part ? `/${part}` : ''}`;
  },
  import: '#/import',
  accounts: '#/comptes',
  audit: '#/journal',
};

/** The screen the fragment names, following back, forward and links. */
export function useRoute(): Route {
  return useHashRoute(parseRoute);
}
