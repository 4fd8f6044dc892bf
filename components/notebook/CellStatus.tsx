'use client';
// A cell's run status: queued, running with a live elapsed time, done with its duration, error, stopped, stale.
import { useEffect, useState } from 'react';
import { formatDuration } from '@/lib/format/numbers';
import type { CellRuntimeState, CellStatus as Status } from '@/lib/notebook/types';

const LABEL: Record<Status, string> = {
  idle: '',
  queued: 'queued',
  running: 'running',
  done: 'done',
  error: 'error',
  stopped: 'stopped',
  stale: 'stale',
};

function Elapsed({ since }: { since: number }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 100);
    return () => clearInterval(t);
  }, []);
  return <span data-testid="cell-elapsed">{formatDuration(Math.max(0, now - since))}</span>;
}

export function CellStatusBadge({ state }: { state: CellRuntimeState | undefined }) {
  const status = state?.status ?? 'idle';
  if (status === 'idle') return null;
  return (
    <span className={`cell-status cell-status-${status}`} data-testid="cell-status" title={status === 'stale' ? 'Source or inputs changed since the last run' : undefined}>
      {LABEL[status]}
      {status === 'running' && state?.startedAt ? <> · <Elapsed since={state.startedAt} /></> : null}
      {status === 'done' && state?.durationMs !== undefined ? <> · {formatDuration(state.durationMs)}</> : null}
    </span>
  );
}
