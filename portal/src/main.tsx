import { I18nProvider } from '@amphi/app-kit';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './components/App.tsx';
import { TABLES } from './i18n.tsx';
import '@amphi/app-kit/base.css';
import '@amphi/app-kit/desk.css';
import './styles.css';

const root = document.getElementById('root');
if (!root) throw new Error('no #root element');
createRoot(root).render(
  <StrictMode>
    <I18nProvider tables={TABLES}>
      <App />
    </I18nProvider>
  </StrictMode>,
);
