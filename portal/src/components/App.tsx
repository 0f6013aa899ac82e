import { useI18n } from '../i18n.tsx';

export function App() {
  const { t } = useI18n();
  return (
    <main>
      <h1>{t('app.title')}</h1>
    </main>
  );
}
