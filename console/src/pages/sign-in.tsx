/** Sign in with the console token, or a user name and password; the API answers with a session cookie. */
import { useState } from 'preact/hooks';
import { api, ApiError } from '../api.js';

export function SignIn({ onSignedIn }: { onSignedIn: () => void }) {
  const [mode, setMode] = useState<'token' | 'password'>('token');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    const body = mode === 'token' ? { token: form.get('token') } : { user: form.get('user'), password: form.get('password') };
    setBusy(true);
    setError(undefined);
    try {
      await api.post('/api/console/session', body);
      onSignedIn();
    } catch (failure) {
      setError(failure instanceof ApiError ? failure.message : String(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="centered">
      <form class="card sign-in" onSubmit={submit}>
        <h1>
          shutter <span>console</span>
        </h1>
        <p class="muted">Sign in with the credentials set in this server's configuration.</p>
        {mode === 'token' ? (
          <label>
            Console token (CONSOLE_TOKEN)
            <input name="token" type="password" autocomplete="current-password" required autofocus />
          </label>
        ) : (
          <>
            <label>
              User (CONSOLE_USER)
              <input name="user" autocomplete="username" required autofocus />
            </label>
            <label>
              Password (CONSOLE_PASSWORD)
              <input name="password" type="password" autocomplete="current-password" required />
            </label>
          </>
        )}
        {error && <p class="error-box" role="alert">{error}</p>}
        <button type="submit" class="primary" disabled={busy}>
          Sign in
        </button>
        <button type="button" class="link" onClick={() => setMode(mode === 'token' ? 'password' : 'token')}>
          {mode === 'token' ? 'Use a user name and password' : 'Use a token'}
        </button>
      </form>
    </main>
  );
}
