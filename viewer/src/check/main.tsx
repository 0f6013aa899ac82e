import { I18nProvider } from '@amphi/app-kit';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { CheckApp } from './CheckApp.tsx';
import { CHECK_TABLES } from './i18n.tsx';
import '@amphi/app-kit/base.css';
import '../styles.css';
import './check.css';

const root = document.getElementById('root');
if (!root) throw new Error('no #root element');
createRoot(root).render(
  <StrictMode>
    <I18nProvider tables={CHECK_TABLES}>
      <CheckApp />
    </I18nProvider>
  </StrictMode>,
);
