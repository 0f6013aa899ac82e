import { type ReactNode, StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { I18nProvider, type Lang } from './i18n.tsx';

/**
 * Starts an app in the page's #root: React's strict mode, and the app's
 * strings (French first, English available) for `useI18n` everywhere below.
 * Each app's main.tsx imports its stylesheets, then calls this once.
 */
export function mountApp(app: ReactNode, tables: Record<Lang, Record<string, string>>): void {
  const root = document.getElementById('root');
  if (!root) throw new Error('no #root element in index.html');
  createRoot(root).render(
    <StrictMode>
      <I18nProvider tables={tables}>{app}</I18nProvider>
    </StrictMode>,
  );
}
