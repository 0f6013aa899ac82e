export {
  DEVICE_ERROR_MESSAGES,
  ERROR_MESSAGES,
  errorMessage,
  type HttpStatusErrorCode,
  type KnownErrorCode,
  type RestClientErrorCode,
  SERVER_UNAVAILABLE,
  UNKNOWN_ERROR,
} from './errorMessages.ts';
export {
  fill,
  type I18n,
  I18nProvider,
  type Lang,
  type PluralBase,
  translate,
  useI18n,
  type Vars,
} from './i18n.tsx';
export {
  LiveSessionProvider,
  type SessionOptions,
  useLiveSession,
} from './LiveSessionProvider.tsx';
export { mountApp } from './mountApp.tsx';
export { translationTableProblems } from './tableCheck.ts';
export { frenchTypographyProblems, NBSP } from './typography.ts';
export { useHashRoute } from './useHashRoute.ts';
