'use client';
// Notebook header: title, and the engine as it really is: backend in use (or why it fell back), state, memory, parameters.
import type { BackendInfo } from '@/lib/engine/types';
import { useEngineStore } from '@/lib/store/engineStore';
import { formatBytes, formatCount } from '@/components/panels/format';

const BACKEND_LABEL: Record<BackendInfo['backend'], string> = { webgpu: 'WebGPU', webgl: 'WebGL', wasm: 'WASM', cpu: 'CPU' };

/** "WebGPU · NVIDIA …" or "WASM (SIMD) · webgpu: no adapter; webgl: …". */
export function describeBackend(info: BackendInfo): { label: string; detail: string } {
  const label = BACKEND_LABEL[info.backend] + (info.adapter ? ` · ${info.adapter}` : '');
  const detail = info.fallbacks.map((f) => `${f.backend}: ${f.reason}`).join('; ');
  return { label, detail };
}

function BackendBadge() {
  const status = useEngineStore((s) => s.status);
  const info = useEngineStore((s) => s.info);
  const error = useEngineStore((s) => s.error);
  if (status === 'ready' && info) {
    const { label, detail } = describeBackend(info);
    return (
      <span className={`backend backend-${info.backend}`} data-testid="backend" data-backend={info.backend} title={detail || undefined}>
        {label}
        {detail ? <span className="backend-fallback"> (fallback: {detail})</span> : null}
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

export function EngineStatus() {
  const engineState = useEngineStore((s) => s.engineState);
  const memory = useEngineStore((s) => s.memory);
  const params = useEngineStore((s) => s.params);
  return (
    <div className="engine-status" aria-label="engine status">
      <BackendBadge />
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

export function NotebookHeader({ title, description, origin }: { title: string; description?: string; origin: 'bundled' | 'user' | 'shared' }) {
  return (
    <header className="notebook-header">
      <div className="notebook-title">
        <h1 data-testid="notebook-title">{title || 'Untitled'}</h1>
        {description ? <p className="notebook-description">{description}</p> : null}
        <span className="notebook-origin">{origin === 'bundled' ? 'bundled notebook' : origin === 'shared' ? 'shared with you (not saved)' : 'your notebook'}</span>
      </div>
      <EngineStatus />
    </header>
  );
}
