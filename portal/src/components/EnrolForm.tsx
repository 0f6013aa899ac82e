import { type CatalogueEvent, ClassroomLevel, type TeacherEnrolment } from '@amphi/protocol';
import { type FormEvent, useId, useState } from 'react';
import { ApiError, enrolClass } from '../api.ts';
import { type MessageKey, useI18n } from '../i18n.tsx';
import { Field } from './Field.tsx';
import { LevelOptions } from './LevelOptions.tsx';
import { type SchoolChoice, SchoolPicker } from './SchoolPicker.tsx';

/** Codes the portal tells in a teacher's words (others: the apps' common sentence). */
const ENROL_REASONS = new Set(['EVENT_CLOSED', 'CONFLICT', 'NOT_FOUND']);

function useEnrolErrorText() {
  const { t, errorText } = useI18n();
  return (err: unknown) =>
    err instanceof ApiError && ENROL_REASONS.has(err.code)
      ? t(`enrol.error.${err.code}` as MessageKey)
      : errorText(err);
}

/** Enrol a class: its school (searched), its name and level, the teacher's e-mail. */
export function EnrolForm({
  talk,
  onEnrolled,
}: {
  talk: CatalogueEvent;
  onEnrolled: (enrolment: TeacherEnrolment) => void;
}) {
  const { t } = useI18n();
  const reasonOf = useEnrolErrorText();
  const ids = useId();
  const [school, setSchool] = useState<SchoolChoice | null>(null);
  const [label, setLabel] = useState('');
  const [level, setLevel] = useState<ClassroomLevel>(talk.levels[0] ?? '4e');
  const [email, setEmail] = useState('');
  const [schoolMissing, setSchoolMissing] = useState(false);
  const [sending, setSending] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!school) {
      setSchoolMissing(true);
      document.getElementById(`${ids}-school`)?.querySelector('input')?.focus();
      return;
    }
    setSending(true);
    setError(null);
    try {
      onEnrolled(
        await enrolClass(talk.id, {
          schoolId: school.id,
          classLabel: label.trim(),
          level,
          contactEmail: email.trim(),
        }),
      );
    } catch (err) {
      setError(err);
      setSending(false);
    }
  };

  return (
    <form className="enrol" onSubmit={(e) => void submit(e)} aria-labelledby={`${ids}-title`}>
      <h2 id={`${ids}-title`}>{t('enrol.title')}</h2>
      <div id={`${ids}-school`}>
        <SchoolPicker
          value={school}
          invalid={schoolMissing && !school}
          onChange={(s) => {
            setSchool(s);
            if (s) setSchoolMissing(false);
          }}
        />
      </div>
      <Field id={`${ids}-label`} label={t('enrol.classLabel')} hint={t('enrol.classLabelHint')}>
        {(control) => (
          <input
            {...control}
            type="text"
            required
            maxLength={80}
            value={label}
            onChange={(e) => setLabel(e.target.value)}
          />
        )}
      </Field>
      <Field id={`${ids}-level`} label={t('enrol.level')}>
        {(control) => (
          <select
            {...control}
            value={level}
            onChange={(e) => setLevel(ClassroomLevel.parse(e.target.value))}
          >
            <LevelOptions />
          </select>
        )}
      </Field>
      <Field id={`${ids}-email`} label={t('enrol.email')} hint={t('enrol.emailHint')}>
        {(control) => (
          <input
            {...control}
            type="email"
            required
            autoComplete="email"
            maxLength={254}
            value={email}
            onChange={(e) => setEmail(e.target.value)}
          />
        )}
      </Field>
      {error !== null && (
        <p className="error" role="alert">
          {t('enrol.error', { reason: reasonOf(error) })}
        </p>
      )}
      <button type="submit" className="primary" disabled={sending}>
        {sending ? t('enrol.submitting') : t('enrol.submit')}
      </button>
    </form>
  );
}
