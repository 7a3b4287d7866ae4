// The signed-in user's page: change password (every other session of the
// user is signed out by the server).
import { useState, type FormEvent } from 'react';
import { ApiError, changePassword, type SessionInfo } from '../api/client';

export function Account({ session }: { session: SessionInfo }) {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setMessage(null);
    try {
      await changePassword(current, next);
      setCurrent('');
      setNext('');
      setMessage({ ok: true, text: 'Password changed. Your other sessions were signed out.' });
    } catch (err) {
      const text =
        err instanceof ApiError && err.status === 401 ? 'The current password is wrong.' : (err as Error).message;
      setMessage({ ok: false, text });
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="account">
      <h1>Account</h1>
      <p>Signed in as {session.user.email}.</p>
      <h2>Organizations</h2>
      <ul>
        {session.orgs.map((o) => (
          <li key={o.id}>
            {o.name} ({o.role})
          </li>
        ))}
      </ul>
      <h2>Change password</h2>
      <form onSubmit={submit} className="stacked" aria-label="Change password">
        <label htmlFor="pw-current">Current password</label>
        <input
          id="pw-current"
          type="password"
          autoComplete="current-password"
          required
          value={current}
          onChange={(e) => setCurrent(e.target.value)}
        />
        <label htmlFor="pw-new">New password</label>
        <input
          id="pw-new"
          type="password"
          autoComplete="new-password"
          minLength={8}
          required
          value={next}
          onChange={(e) => setNext(e.target.value)}
        />
        {message && (
          <p className={message.ok ? 'form-ok' : 'form-error'} role={message.ok ? 'status' : 'alert'}>
            {message.text}
          </p>
        )}
        <button type="submit" disabled={busy}>
          Change password
        </button>
      </form>
    </section>
  );
}
