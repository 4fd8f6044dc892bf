// The measured backend choice, remembered per device in localStorage, so later visits start without timing again.
import type { InitOptions } from '@/lib/engine/api';
import type { EngineConnection } from '@/lib/engine/client';
import { BACKEND_ORDER, type BackendInfo, type BackendName, type BackendTiming } from '@/lib/engine/types';

export const CHOICE_KEY = 'tokenformer-lab:backend-choice';

/** What is kept: the choice, the timings it was made from, when, and on which device (browser and core count). */
export interface RememberedChoice {
  backend: BackendName;
  device: string;
  measuredAt: number;
  timings: BackendTiming[];
}

type StorageLike = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

/**
 * A device is this browser build on this many cores, with wasm threads or not (a cross-origin isolated page has
 * them): another browser or machine, or threads turning on, measures again.
 */
export function deviceKey(nav: { userAgent: string; hardwareConcurrency?: number }, isolated = false): string {
  return `${nav.userAgent} | ${nav.hardwareConcurrency ?? '?'} cores${isolated ? ' | wasm threads' : ''}`;
}

const isName = (b: unknown): b is BackendName => typeof b === 'string' && (BACKEND_ORDER as readonly string[]).includes(b);
const isMs = (v: unknown) => v === undefined || (typeof v === 'number' && Number.isFinite(v) && v >= 0);

function isTiming(t: unknown): t is BackendTiming {
  if (!t || typeof t !== 'object') return false;
  const r = t as Record<string, unknown>;
  return isName(r.backend) && isMs(r.firstMs) && isMs(r.stepMs) && (r.reason === undefined || typeof r.reason === 'string') && (r.software === undefined || typeof r.software === 'boolean');
}

/** The remembered choice for `device`, or null (none, another device's, or unreadable: then it is measured again). */
export function readChoice(storage: StorageLike, device: string): RememberedChoice | null {
  let raw: unknown;
  try {
    raw = JSON.parse(storage.getItem(CHOICE_KEY) ?? 'null');
  } catch {
    return null;
  }
  if (!raw || typeof raw !== 'object') return null;
  const r = raw as Record<string, unknown>;
  if (!isName(r.backend) || r.device !== device || !isMs(r.measuredAt) || !Array.isArray(r.timings) || r.timings.length > BACKEND_ORDER.length || !r.timings.every(isTiming)) return null;
  return { backend: r.backend, device, measuredAt: r.measuredAt as number, timings: r.timings };
}

export function forgetChoice(storage: StorageLike): void {
  storage.removeItem(CHOICE_KEY);
}

/**
 * Connects the engine: a forced backend as asked; otherwise the remembered choice for this device, or a new measurement
 * that is then remembered. A remembered connection carries the timings it was chosen by, for the header.
 */
export async function connectWithChoice(
  connect: (o: InitOptions) => Promise<EngineConnection>,
  opts: { backend?: BackendName },
  env: { storage: StorageLike | null; device: string; now: () => number },
): Promise<EngineConnection> {
  if (opts.backend) return connect({ backend: opts.backend });
  const remembered = env.storage ? readChoice(env.storage, env.device) : null;
  const conn = await connect({ measure: true, prefer: remembered?.backend });
  const info: BackendInfo = conn.info;
  if (info.choice === 'remembered' && remembered) {
    conn.info = { ...info, timings: remembered.timings, measuredAt: remembered.measuredAt };
  } else if (info.choice === 'measured' && info.timings) {
    const measuredAt = env.now();
    conn.info = { ...info, measuredAt };
    try {
      env.storage?.setItem(CHOICE_KEY, JSON.stringify({ backend: info.backend, device: env.device, measuredAt, timings: info.timings } satisfies RememberedChoice));
    } catch {
      // Storage full or blocked: the next visit measures again, nothing else changes.
    }
  }
  return conn;
}
