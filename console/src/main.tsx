import { mountApp } from '@amphi/app-kit';
import { App } from './components/App.tsx';
import { TABLES } from './i18n.tsx';
import '@amphi/app-kit/base.css';
import '@amphi/app-kit/desk.css';
import './styles.css';

mountApp(<App />, TABLES);
