import type { Question } from '@amphi/protocol';
import { useI18n } from '../i18n.tsx';

/**
 * The question the speaker is answering, over the bottom of the picture (a
 * lower third): the room reads what is being answered, in full screen too.
 */
export function AnsweringOverlay({ question }: { question: Question }) {
  const { t } = useI18n();
  return (
    <div className="answering-overlay" data-testid="answering-overlay">
      <p className="answering-label">
        {t('answering.label')} · {t('questions.by', { classroom: question.classroomName })}
      </p>
      <p className="answering-text">{question.text}</p>
    </div>
  );
}
