// Crash recovery as plain functions: which backend to try after a crash, and a restart that resumes from the autosave.
import type { EngineConnection } from '@/lib/engine/client';
import { AUTOSAVE } from '@/lib/engine/autosaver';
import { BACKEND_ORDER, type BackendInfo, type BackendName } from '@/lib/engine/types';
import type { CheckpointStore } from '@/lib/io/checkpointStore';


export const BACKEND_LABEL: Record<BackendName, string> = { webgpu: 'WebGPU', webgl: 'WebGL', wasm: 'WASM', cpu: 'CPU' };

export function asBackend(s: string | null | undefined): BackendName | undefined {
  return s && (BACKEND_ORDER as readonly string[]).includes(s) ? (s as BackendName) : undefined;
}

/** The backend after `b` in the order, or null after the last one (CPU). */
export function nextBackend(b: BackendName): BackendName | null {
  const i = BACKEND_ORDER.indexOf(b);
  return i >= 0 && i < BACKEND_ORDER.length - 1 ? BACKEND_ORDER[i + 1] : null;
}

/**
 * The backend that failed: the one in use when the engine crashed, or the one asked for when it could not start.
 * Null when it could not start without a request (then every backend was tried and failed).
 */
export function failedBackend(view: { status: string; info: BackendInfo | null }, requested: BackendName | undefined): BackendName | null {
  if (view.status === 'crashed' && view.info) return view.info.backend;
  return requested ?? null;
}

export type RecoveryOutcome =
  /** The new engine runs and holds the autosaved model (with its optimizer state). */
  | { kind: 'resumed'; backend: BackendName; step: number; params: number; savedAt: number }
  /** The new engine runs without a model: no autosave, or it could not be loaded (`reason`). */
  | { kind: 'fresh'; backend: BackendName; reason?: string }
  /** The new engine did not start either. */
  | { kind: 'failed'; error: string };

export interface RecoverDeps {
  /** Restarts the session asking for `backend`; resolves with the new engine once it has started. */
  restart(backend: BackendName | undefined): Promise<EngineConnection>;
  store: CheckpointStore;
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** Restarts on `backend` and loads the `autosave` checkpoint into the new engine when this browser has one. */
export async function recoverEngine(backend: BackendName | undefined, deps: RecoverDeps): Promise<RecoveryOutcome> {
  let conn: EngineConnection;
  try {
    conn = await deps.restart(backend);
  } catch (e) {
    return { kind: 'failed', error: message(e) };
  }
  const running = conn.info.backend;
  try {
    const saved = (await deps.store.list()).find((c) => c.name === AUTOSAVE);
    if (!saved) return { kind: 'fresh', backend: running };
    const bytes = await deps.store.load(AUTOSAVE);
    if (!bytes) return { kind: 'fresh', backend: running };
    const info = await conn.api.loadCheckpoint(bytes, `${AUTOSAVE}.safetensors`);
    return { kind: 'resumed', backend: running, step: info.step, params: info.params, savedAt: saved.savedAt };
  } catch (e) {
    return { kind: 'fresh', backend: running, reason: message(e) };
  }
}

/** One line for the page, saying where the engine now stands. */
export function describeOutcome(o: RecoveryOutcome): string {
  if (o.kind === 'failed') return `The engine could not be restarted: ${o.error}`;
  const on = `Restarted on ${BACKEND_LABEL[o.backend]}`;
  if (o.kind === 'resumed') {
    const at = new Date(o.savedAt).toLocaleTimeString();
    return `${on} and resumed from step ${o.step} (autosave of ${at}). Load the data again before training on.`;
  }
  const why = o.reason ? `the autosave could not be loaded (${o.reason})` : 'there is no autosave checkpoint in this browser';
  return `${on}, but ${why}: the model must be recreated (run the notebook's cells again).`;
}
