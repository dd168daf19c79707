import { useId, type ReactNode } from 'react';
import { useI18n } from '../i18n/i18n-context';
import { ErrorBoundary } from './error-boundary';

export interface PanelProps {
  readonly title: string;
  readonly testId?: string;
  readonly className?: string;
  /** The title for screen readers only (the banner: no room to spare). */
  readonly compact?: boolean;
  readonly children: ReactNode;
}

/** The frame of every panel on the display, with its own error boundary. */
export function Panel({ title, testId, className, compact = false, children }: PanelProps) {
  const headingId = useId();
  return (
    <section className={className ? `panel ${className}` : 'panel'} aria-labelledby={headingId} data-testid={testId}>
      <h2 className={compact ? 'visually-hidden' : 'panel__title'} id={headingId}>
        {title}
      </h2>
      <ErrorBoundary fallback={(props) => <PanelError {...props} />}>{children}</ErrorBoundary>
    </section>
  );
}

function PanelError({ error, reset }: { error: unknown; reset: () => void }) {
  const { t } = useI18n();
  return (
    <div className="panel__error" role="alert">
      <p className="panel__error-title">
        <span aria-hidden="true">✕ </span>
        {t('panel.error.title')}
      </p>
      <p className="panel__error-detail">{error instanceof Error ? error.message : String(error)}</p>
      <button type="button" className="button" onClick={reset}>
        {t('panel.error.retry')}
      </button>
    </div>
  );
}
