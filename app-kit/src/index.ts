export { fill, type I18n, I18nProvider, type Lang, useI18n, type Vars } from './i18n.tsx';
