import type { OperatorRole } from '@amphi/protocol';
import { type FormEvent, useState } from 'react';
import { createAccount, listAccounts, updateAccount } from '../api.ts';
import { useI18n } from '../i18n.tsx';
import { useLoad } from '../useLoad.ts';
import { ColumnHeads } from './ColumnHeads.tsx';
import { LoadState } from './LoadState.tsx';

/** Admins: the console's accounts, a new one, a role changed, an account disabled or enabled again. */
export function AccountsPage() {
  const { t, errorText } = useI18n();
  const accounts = useLoad(listAccounts, 'accounts');
  const [email, setEmail] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [role, setRole] = useState<OperatorRole>('operator');
  const [password, setPassword] = useState('');
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);

  async function run(work: () => Promise<string>) {
    setBusy(true);
    setMessage(null);
    try {
      setMessage({ ok: true, text: await work() });
      accounts.reload();
    } catch (err) {
      setMessage({ ok: false, text: errorText(err) });
    } finally {
      setBusy(false);
    }
  }

  function create(e: FormEvent) {
    e.preventDefault();
    void run(async () => {
      const a = await createAccount({ email, displayName, role, password });
      setEmail('');
      setDisplayName('');
      setPassword('');
      return t('accounts.created', { email: a.email });
    });
  }

  return (
    <section>
      <h1 tabIndex={-1}>{t('accounts.title')}</h1>
      <LoadState loaded={accounts} />
      {accounts.data && (
        <table>
          <ColumnHeads
            keys={['accounts.name', 'accounts.email', 'accounts.role', 'accounts.state']}
            actions="accounts.actions"
          />
          <tbody>
            {accounts.data.items.map((a) => (
              <tr key={a.id}>
                <th scope="row">{a.displayName}</th>
                <td>{a.email}</td>
                <td>{t(`role.${a.role}`)}</td>
                <td>{a.disabled ? t('accounts.disabled') : t('accounts.enabled')}</td>
                <td className="actions">
                  <button
                    type="button"
                    disabled={busy}
                    onClick={() =>
                      run(async () => {
                        const next = a.role === 'admin' ? 'operator' : 'admin';
                        await updateAccount(a.id, { role: next });
                        return t('accounts.roleChanged', {
                          email: a.email,
                          role: t(`role.${next}`),
                        });
                      })
                    }
                  >
                    {a.role === 'admin' ? t('accounts.makeOperator') : t('accounts.makeAdmin')}
                  </button>
                  <button
                    type="button"
                    disabled={busy}
                    onClick={() =>
                      run(async () => {
                        await updateAccount(a.id, { disabled: !a.disabled });
                        return t(a.disabled ? 'accounts.enabledOne' : 'accounts.disabledOne', {
                          email: a.email,
                        });
                      })
                    }
                  >
                    {a.disabled ? t('accounts.enable') : t('accounts.disable')}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {message && (
        <p role={message.ok ? 'status' : 'alert'} className={message.ok ? 'ok' : 'error'}>
          {message.text}
        </p>
      )}
      <form onSubmit={create} className="panel">
        <h2>{t('accounts.new')}</h2>
        <label>
          {t('accounts.name')}
          <input
            required
            maxLength={120}
            value={displayName}
            onChange={(e) => setDisplayName(e.target.value)}
          />
        </label>
        <label>
          {t('accounts.email')}
          <input type="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
        </label>
        <label>
          {t('accounts.role')}
          <select value={role} onChange={(e) => setRole(e.target.value as OperatorRole)}>
            <option value="operator">{t('role.operator')}</option>
            <option value="admin">{t('role.admin')}</option>
          </select>
        </label>
        <label>
          {t('accounts.password')}
          <input
            type="password"
            autoComplete="new-password"
            required
            minLength={12}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </label>
        <p className="hint">{t('accounts.passwordHint')}</p>
        <button type="submit" className="primary" disabled={busy}>
          {t('accounts.create')}
        </button>
      </form>
    </section>
  );
}
