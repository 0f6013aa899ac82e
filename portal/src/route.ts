import { useHashRoute } from '@amphi/app-kit';

/**
 * The portal's screens, in the URL's fragment: a class's page carries its
 * join token, and a fragment never reaches a server, a log or a Referer.
 */
export type Route =
  | { name: 'catalogue' }
  | { name: 'talk'; eventId: string }
  | { name: 'class'; token: string }
  | { name: 'notFound' };

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '') || '/';
  if (path === '/' || path === '') return { name: 'catalogue' };
  const talk = /^\/seance\/([0-9a-f-]{36})$/i.exec(path);
  if (talk?.[1]) return { name: 'talk', eventId: talk[1] };
  const classPage = /^\/classe\/([\w.-]+)$/.exec(path);
  if (classPage?.[1]) return { name: 'class', token: classPage[1] };
  return { name: 'notFound' };
}

export const links = {
  catalogue: '#/',
  talk: (eventId: string) => `#/seance/${eventId}`,
  classPage: (token: string) => `#/classe/${token}`,
};

/** The class page's full address, to keep and share with the class. */
export function classPageUrl(token: string): string {
  return `${location.origin}${import.meta.env.BASE_URL}${links.classPage(token)}`;
}

/** The screen the fragment names, following back, forward and links. */
export function useRoute(): Route {
  return useHashRoute(parseRoute);
}
