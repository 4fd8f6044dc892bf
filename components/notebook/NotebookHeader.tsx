'use client';
// Notebook header: title, and the engine as it really is: backend in use (how it was chosen, or why it fell back), state, memory, parameters.
import type { BackendInfo } from '@/lib/engine/types';
import { useEngineStore } from '@/lib/store/engineStore';
import { formatBytes, formatCount, formatDuration } from '@/lib/format/numbers';

const BACKEND_LABEL: Record<BackendInfo['backend'], string> = { webgpu: 'WebGPU', webgl: 'WebGL', wasm: 'WASM', cpu: 'CPU' };

/** "WebGPU · NVIDIA …" or "WASM (SIMD) · webgpu: no adapter; webgl: …". */
export function describeBackend(info: BackendInfo): { label: string; detail: string } {
  const label = BACKEND_LABEL[info.backend] + (info.adapter ? ` · ${info.adapter}` : '');
  const detail = info.fallbacks.map((f) => `${f.backend}: ${f.reason}`).join('; ');
  return { label, detail };
}

const ms = (v: number | undefined) => (v === undefined ? '–' : formatDuration(v));

/** One row per timed backend: its first and typical step, or why it has none. */
export function timingRows(info: BackendInfo): { name: BackendInfo['backend']; backend: string; first: string; step: string; stepMs?: number; note: string; chosen: boolean }[] {
  return (info.timings ?? []).map((t) => ({
    name: t.backend,
    backend: BACKEND_LABEL[t.backend],
    stepMs: t.stepMs,
    first: ms(t.firstMs),
    step: ms(t.stepMs),
    note: [t.software ? 'software adapter' : '', t.reason ?? ''].filter(Boolean).join('; '),
    chosen: t.backend === info.backend,
  }));
}

const CHOICE_TEXT: Record<NonNullable<BackendInfo['choice']>, string> = {
  measured: 'fastest when timed just now',
  remembered: 'fastest when timed earlier on this device',
  forced: 'asked for with ?backend=',
  order: 'first that started',
};

/** How the backend was chosen, and the timings behind a measured choice; "measure again" restarts the engine. */
function BackendDetails({ info, onRemeasure }: { info: BackendInfo; onRemeasure?: () => void }) {
  const rows = timingRows(info);
  if (!info.choice) return null;
  return (
    <details className="backend-details" data-testid="backend-details" data-choice={info.choice}>
      <summary>{CHOICE_TEXT[info.choice]}</summary>
      {rows.length ? (
        <table className="backend-timings" data-testid="backend-timings">
          <caption>
            One Pattention forward + backward (256 × 128 by 512 tokens)
            {info.measuredAt ? `, timed ${new Date(info.measuredAt).toLocaleString()}` : ''}
          </caption>
          <thead>
            <tr>
              <th>backend</th>
              <th>first step</th>
              <th>step</th>
              <th>note</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.name} data-backend-row={r.name} data-step-ms={r.stepMs ?? ''} className={r.chosen ? 'chosen' : undefined}>
                <td>{r.chosen ? <b>{r.backend}</b> : r.backend}</td>
                <td>{r.first}</td>
                <td>{r.step}</td>
                <td>{r.note}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {onRemeasure && info.choice !== 'forced' ? (
        <button type="button" data-testid="backend-remeasure" onClick={onRemeasure} title="Forget the remembered choice, restart the engine and time every backend again (cells must be run again)">
          Measure again
        </button>
      ) : null}
    </details>
  );
}

function BackendBadge({ onRemeasure }: { onRemeasure?: () => void }) {
  const status = useEngineStore((s) => s.status);
  const info = useEngineStore((s) => s.info);
  const error = useEngineStore((s) => s.error);
  if (status === 'ready' && info) {
    const { label, detail } = describeBackend(info);
    return (
      <span className={`backend backend-${info.backend}`} data-testid="backend" data-backend={info.backend} data-threads={info.threads} title={detail || undefined}>
        {label}
        {detail ? <span className="backend-fallback"> (fallback: {detail})</span> : null}
        <BackendDetails info={info} onRemeasure={onRemeasure} />
      </span>
    );
  }
  const text = status === 'connecting' ? 'starting engine…' : status === 'crashed' ? `engine crashed: ${error}` : status === 'error' ? `engine failed: ${error}` : 'engine off';
  return (
    <span className={`backend backend-${status}`} data-testid="backend" data-backend="" data-status={status} role={status === 'crashed' || status === 'error' ? 'alert' : undefined}>
      {text}
    </span>
  );
}

export function EngineStatus({ onRemeasure }: { onRemeasure?: () => void } = {}) {
  const engineState = useEngineStore((s) => s.engineState);
  const memory = useEngineStore((s) => s.memory);
  const params = useEngineStore((s) => s.params);
  return (
    <div className="engine-status" aria-label="engine status">
      <BackendBadge onRemeasure={onRemeasure} />
      <span className="engine-field">
        state <b data-testid="engine-state">{engineState ?? '–'}</b>
      </span>
      <span className="engine-field" title={memory ? `${memory.numTensors} tensors` : undefined}>
        memory <b data-testid="memory">{memory ? formatBytes(memory.numBytes) : '–'}</b>
      </span>
      <span className="engine-field">
        params{' '}
        <b data-testid="param-count" data-params={params ?? ''}>
          {params !== null ? formatCount(params) : '–'}
        </b>
      </span>
    </div>
  );
}

export function NotebookHeader({ title, description, origin, onRemeasure }: { title: string; description?: string; origin: 'bundled' | 'user' | 'shared'; onRemeasure?: () => void }) {
  return (
    <header className="notebook-header">
      <div className="notebook-title">
        <h1 data-testid="notebook-title">{title || 'Untitled'}</h1>
        {description ? <p className="notebook-description">{description}</p> : null}
        <span className="notebook-origin">{origin === 'bundled' ? 'bundled notebook' : origin === 'shared' ? 'shared with you (not saved)' : 'your notebook'}</span>
      </div>
      <EngineStatus onRemeasure={onRemeasure} />
    </header>
  );
}
