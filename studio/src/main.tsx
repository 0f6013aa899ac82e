import { I18nProvider } from '@amphi/app-kit';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.tsx';
import { TABLES } from './i18n.tsx';
import '@amphi/app-kit/base.css';
import './styles.css';

const root = document.getElementById('root');
if (!root) throw new Error('#root missing from index.html');
createRoot(root).render(
  <StrictMode>
    <I18nProvider tables={TABLES}>
      <App />
    </I18nProvider>
  </StrictMode>,
);
