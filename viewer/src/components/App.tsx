import { parseJoinLink } from '@amphi/sdk';
import { useMemo } from 'react';
import { useI18n } from '../i18n.tsx';
import { ClassroomView } from './ClassroomView.tsx';

export function App() {
  const { t } = useI18n();
  const params = useMemo(() => parseJoinLink(location.search), []);
  if (!params) {
    return (
      <main className="app">
        <p className="panel error big" role="alert">
          {t('app.badLink')}
        </p>
      </main>
    );
  }
  return <ClassroomView params={params} />;
}
