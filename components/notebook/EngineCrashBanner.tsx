'use client';
// Says so when the engine crashed (worker died, GPU device lost) or could not start, and offers a restart on the next
// backend that resumes from the autosave; then says how the restart went.
import type { BackendName } from '@/lib/engine/types';
import { useEngineStore } from '@/lib/store/engineStore';
import { BACKEND_LABEL, failedBackend, nextBackend } from './recovery';
import type { RecoveryNotice } from './useCrashRecovery';

export interface EngineCrashBannerProps {
  /** The session: its `backend` is the one asked for (which failed, when the engine could not start). */
  session: { backend?: BackendName } | null;
  onRestart(backend: BackendName | undefined): void;
}

export function EngineCrashBanner({ session, onRestart }: EngineCrashBannerProps) {
  const status = useEngineStore((s) => s.status);
  const info = useEngineStore((s) => s.info);
  const error = useEngineStore((s) => s.error);
  if (status !== 'crashed' && status !== 'error') return null;
  const failed = failedBackend({ status, info }, session?.backend);
  const next = failed ? nextBackend(failed) : null;
  const crashed = status === 'crashed';
  return (
    <div className="engine-crashed" role="alert" data-testid="engine-crashed" data-status={status} data-backend={failed ?? ''}>
      <div className="engine-crashed-text">
        <strong>{crashed ? `The engine crashed${failed ? ` on ${BACKEND_LABEL[failed]}` : ''}.` : 'The engine could not start.'}</strong>{' '}
        <span data-testid="engine-crash-message">{error}</span>
        <p>
          {crashed ? 'Running cells have stopped and the model in memory is gone; your cells are safe. ' : ''}
          A restart loads the last autosave checkpoint from this browser, if there is one.
        </p>
      </div>
      <div className="engine-crashed-actions">
        {next ? (
          <button type="button" className="primary" data-testid="restart-next-backend" disabled={!session} onClick={() => onRestart(next)}>
            Restart on {BACKEND_LABEL[next]} from the last checkpoint
          </button>
        ) : null}
        <button type="button" data-testid="restart-same-backend" disabled={!session} onClick={() => onRestart(failed ?? undefined)}>
          {failed ? `Restart on ${BACKEND_LABEL[failed]} again` : 'Try again'}
        </button>
      </div>
    </div>
  );
}

export function EngineRecoveryNotice({ notice, onDismiss }: { notice: RecoveryNotice | null; onDismiss(): void }) {
  const status = useEngineStore((s) => s.status);
  // A new crash speaks through the banner; the story of the last restart is over.
  if (!notice || status === 'crashed' || status === 'error') return null;
  return (
    <div className={`engine-recovery engine-recovery-${notice.phase}`} role="status" data-testid="engine-recovery" data-state={notice.phase}>
      <span>{notice.text}</span>
      {notice.phase !== 'restarting' ? (
        <button type="button" onClick={onDismiss} aria-label="dismiss" data-testid="engine-recovery-dismiss">
          ✕
        </button>
      ) : null}
    </div>
  );
}
