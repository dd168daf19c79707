import { useState } from 'react';
import type { Role } from '@park/protocol';
import { ApiError } from '../../../shared/api/client';
import { useI18n } from '../../../shared/i18n/i18n-context';
import { logOut } from '../session-store';

const ROLE_KEYS = {
  viewer: 'role.viewer',
  operator: 'role.operator',
  commander: 'role.commander',
  engineer: 'role.engineer',
  admin: 'role.admin',
} as const satisfies Record<Role, string>;

/** Who is logged in, with which role, and the way out. */
export function UserMenu({ user, role }: { user: string; role: Role }) {
  const { t } = useI18n();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);

  async function onLogout(): Promise<void> {
    setBusy(true);
    setError(null);
    const failure = await logOut();
    // On success the app shows the login screen and this unmounts.
    if (failure) {
      setBusy(false);
      setError(failure);
    }
  }

  return (
    <div className="user-menu" data-testid="user-menu">
      <span className="user-menu__who" title={t('user.label')}>
        <span aria-hidden="true">👤 </span>
        <span className="visually-hidden">{t('user.label')}: </span>
        <span data-testid="user-name">{user}</span>
        <span className="user-menu__role" data-testid="user-role" data-role={role}>
          {t(ROLE_KEYS[role])}
        </span>
      </span>
      <button type="button" className="button" data-testid="logout" disabled={busy} onClick={() => void onLogout()}>
        {t('user.logout')}
      </button>
      {error && (
        <span className="user-menu__error" role="alert">
          {t('user.logout.failed', { error: error.code === 'http' ? `HTTP ${error.httpStatus ?? '?'}` : t('api.error.network') })}
        </span>
      )}
    </div>
  );
}
