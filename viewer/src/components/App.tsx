import { LiveSessionProvider } from '@amphi/app-kit';
import { parseJoinLink } from '@amphi/sdk';
import { useMemo } from 'react';
import { useI18n } from '../i18n.tsx';
import { CLASSROOM_SESSION } from '../useClassroom.ts';
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
  return (
    <LiveSessionProvider join={params} options={CLASSROOM_SESSION}>
      <ClassroomView params={params} />
    </LiveSessionProvider>
  );
}
