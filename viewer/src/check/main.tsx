import { mountApp } from '@amphi/app-kit';
import { CheckApp } from './CheckApp.tsx';
import { CHECK_TABLES } from './i18n.tsx';
import '@amphi/app-kit/base.css';
import '../styles.css';
import './check.css';

mountApp(<CheckApp />, CHECK_TABLES);
