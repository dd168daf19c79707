import { useId, useState, type FormEvent } from 'react';
import { ApiError } from '../../../shared/api/client';
import { useI18n, type I18n } from '../../../shared/i18n/i18n-context';
import { useNow } from '../../../shared/time/use-now';
import { logIn, type LoginFailure, type SessionState } from '../session-store';

function apiErrorText(t: I18n['t'], error: ApiError): string {
  switch (error.code) {
    case 'timeout':
      return t('api.error.timeout');
    case 'network':
      return t('api.error.network');
    case 'http':
      return t('api.error.http', { status: error.httpStatus ?? '?' });
    case 'invalid-response':
      return t('api.error.invalid-response');
  }
}

type FormError = LoginFailure | { readonly kind: 'missing' };

/** The error in words; a throttle shows the seconds left, counting down. */
function LoginError({ error }: { error: FormError }) {
  const { t } = useI18n();
  const { wallMs } = useNow();
  let text: string;
  switch (error.kind) {
    case 'wrong-credentials':
      text = t('login.error.wrong');
      break;
    case 'throttled': {
      const seconds = Math.ceil((error.retryAtWallMs - wallMs) / 1000);
      text = seconds > 0 ? t('login.error.throttled', { seconds }) : t('login.error.throttledOver');
      break;
    }
    case 'unreachable':
      text = t('login.error.unreachable', { error: apiErrorText(t, error.error) });
      break;
    case 'http':
      text = t('login.error.http', { status: error.status });
      break;
    case 'invalid-response':
      text = t('login.error.invalid');
      break;
    case 'missing':
      text = t('login.error.missing');
      break;
  }
  return (
    <p className="login__error" role="alert" data-testid="login-error" data-reason={error.kind}>
      <span aria-hidden="true">✕ </span>
      {text}
    </p>
  );
}

function SessionNotice({ session }: { session: SessionState }) {
  const { t } = useI18n();
  let text: string | null = null;
  if (session.kind === 'unreachable') text = t('login.notice.unreachable', { error: apiErrorText(t, session.error) });
  else if (session.kind === 'anonymous' && session.reason === 'expired') text = t('login.notice.expired');
  else if (session.kind === 'anonymous' && session.reason === 'logged-out') text = t('login.notice.loggedOut');
  if (text === null) return null;
  return (
    <p className="login__notice" role="status" data-testid="login-notice" data-kind={session.kind}>
      {text}
    </p>
  );
}

/** User name and password; the session itself is the server's HttpOnly cookie. */
export function LoginScreen({ session }: { session: SessionState }) {
  const { t } = useI18n();
  const userId = useId();
  const passwordId = useId();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<FormError | null>(null);

  async function submit(event: FormEvent<HTMLFormElement>): Promise<void> {
    event.preventDefault();
    if (busy) return;
    if (username.trim() === '' || password === '') {
      setError({ kind: 'missing' });
      return;
    }
    setBusy(true);
    setError(null);
    const failure = await logIn(username.trim(), password);
    // On success this screen unmounts: nothing more to set.
    if (failure) {
      setBusy(false);
      setError(failure);
      if (failure.kind === 'wrong-credentials') setPassword('');
    }
  }

  return (
    <div className="login">
      <form className="login__form" data-testid="login-form" onSubmit={(event) => void submit(event)} noValidate>
        <h2 className="login__title">{t('login.title')}</h2>
        <SessionNotice session={session} />
        <label className="login__label" htmlFor={userId}>
          {t('login.username')}
        </label>
        <input
          id={userId}
          className="login__input"
          data-testid="login-username"
          name="username"
          autoComplete="username"
          autoCapitalize="none"
          spellCheck={false}
          required
          value={username}
          onChange={(event) => setUsername(event.target.value)}
        />
        <label className="login__label" htmlFor={passwordId}>
          {t('login.password')}
        </label>
        <input
          id={passwordId}
          className="login__input"
          data-testid="login-password"
          name="password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(event) => setPassword(event.target.value)}
        />
        {error && <LoginError error={error} />}
        <button type="submit" className="button button--primary login__submit" data-testid="login-submit" disabled={busy}>
          {busy ? t('login.submitting') : t('login.submit')}
        </button>
      </form>
    </div>
  );
}
