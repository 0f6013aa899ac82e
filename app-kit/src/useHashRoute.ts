import { useEffect, useState } from 'react';

/**
 * The screen the URL's fragment names, read by `parse` (a module-level
 * function), and read again on back, forward and links: screens stay in the
 * fragment, so that the server serves one page and links can be kept.
 */
export function useHashRoute<R>(parse: (hash: string) => R): R {
  const [route, setRoute] = useState(() => parse(location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parse(location.hash));
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, [parse]);
  return route;
}
