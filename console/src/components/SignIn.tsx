import type { ConsoleSession } from '@amphi/protocol';
import { type FormEvent, useState } from 'react';
import { ApiError, signIn } from '../api.ts';
import { useI18n } from '../i18n.tsx';

/** E-mail and password; a refusal says why (wrong pair, or too many tries: wait). */
export function SignIn({ onSignedIn }: { onSignedIn: (s: ConsoleSession) => void }) {
  const { t, errorText } = useI18n();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onSignedIn(await signIn(email, password));
    } catch (err) {
      setPassword('');
      if (err instanceof ApiError && err.code === 'UNAUTHORIZED') setError(t('signIn.wrong'));
      else if (err instanceof ApiError && err.code === 'RATE_LIMITED')
        setError(t('signIn.tooMany'));
      else setError(errorText(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="panel narrow">
      <h1 tabIndex={-1}>{t('signIn.title')}</h1>
      <p>{t('signIn.intro')}</p>
      <form onSubmit={submit}>
        <label>
          {t('signIn.email')}
          <input
            type="email"
            autoComplete="username"
            required
            value={email}
            onChange={(e) => setEmail(e.target.value)}
          />
        </label>
        <label>
          {t('signIn.password')}
          <input
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </label>
        {error && (
          <p role="alert" className="error">
            {error}
          </p>
        )}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? t('signIn.busy') : t('signIn.submit')}
        </button>
      </form>
      <p className="hint">{t('signIn.firstAdmin')}</p>
    </section>
  );
}
