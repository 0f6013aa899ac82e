import { LiveSessionProvider } from '@amphi/app-kit';
import { type JoinParams, parseJoinLink } from '@amphi/sdk';
import { useState } from 'react';
import { ModeratorConsole } from './components/moderator/ModeratorConsole.tsx';
import { SpeakerView } from './components/speaker/SpeakerView.tsx';
import { useI18n } from './i18n.tsx';
import { useStudioSession } from './session/useStudioSession.ts';

/** Reads the join link, then opens the speaker studio or the moderator console. */
export function App() {
  const { t } = useI18n();
  const [join] = useState(() => parseJoinLink(window.location.search));
  if (!join) return <Notice testId="bad-link">{t('app.badLink')}</Notice>;
  if (join.claimedRole === 'classroom') {
    const viewer = `${window.location.pathname.replace(/studio\/?.*$/, 'viewer/')}${window.location.search}`;
    return (
      <Notice testId="classroom-link">
        {t('app.classroomLink')} <a href={viewer}>{t('app.openViewer')}</a>
      </Notice>
    );
  }
  return <Session join={join} />;
}

function Session({ join }: { join: JoinParams }) {
  const [attempt, setAttempt] = useState(0);
  return (
    <LiveSessionProvider join={join} generation={attempt}>
      <SessionView onRetry={() => setAttempt((a) => a + 1)} />
    </LiveSessionProvider>
  );
}

function SessionView({ onRetry }: { onRetry: () => void }) {
  const { t, errorText } = useI18n();
  const phase = useStudioSession();
  if (phase.kind === 'connecting') {
    return (
      <Notice testId="connecting" busy>
        {t('app.loading')}
      </Notice>
    );
  }
  if (phase.kind === 'failed') {
    const { error } = phase;
    const final =
      error.code === 'FORBIDDEN' || error.code === 'EVENT_CLOSED' || error.code.startsWith('TOKEN');
    return (
      <Notice testId="join-error" alert>
        {error.code === 'EVENT_CLOSED'
          ? t('app.ended')
          : error.code === 'TOKEN_REVOKED'
            ? t('app.revoked')
            : t('app.error', { reason: errorText(error) })}{' '}
        {!final && (
          <button type="button" onClick={onRetry}>
            {t('app.retry')}
          </button>
        )}
      </Notice>
    );
  }
  const { session } = phase;
  // The server's answer decides the view, whatever the link claimed.
  if (session.state.self.role === 'moderator') return <ModeratorConsole session={session} />;
  if (session.state.self.role === 'speaker') return <SpeakerView session={session} />;
  return <Notice testId="classroom-link">{t('app.classroomLink')}</Notice>;
}

function Notice(props: {
  children: React.ReactNode;
  testId: string;
  alert?: boolean;
  busy?: boolean;
}) {
  return (
    <main id="main" className="notice" aria-busy={props.busy} data-testid={props.testId}>
      <p role={props.alert ? 'alert' : 'status'}>{props.children}</p>
    </main>
  );
}
