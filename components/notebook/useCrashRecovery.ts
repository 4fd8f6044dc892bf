'use client';
// Thin hook: restarts a crashed session on a chosen backend and resumes it from the autosave (recovery.ts does the work);
// with ?debug=1 it also exposes window.__tokenformerDebug.crashEngine() for tests.
import { useCallback, useEffect, useRef, useState } from 'react';
import type { BackendName } from '@/lib/engine/types';
import { BACKEND_LABEL, describeOutcome, recoverEngine, type RecoveryOutcome } from './recovery';
import type { NotebookSession } from './session';
import { sessionWiring } from './wiring';

export interface TokenformerDebug {
  /** Ends the engine worker and reports it as a crash, as a lost GPU device would. */
  crashEngine(message?: string): Promise<void>;
}

declare global {
  interface Window {
    __tokenformerDebug?: TokenformerDebug;
  }
}

export type RecoveryNotice = { phase: 'restarting' | RecoveryOutcome['kind']; text: string };

/** Puts `?backend=` in the address without a navigation, so a reload keeps the backend recovery moved to. */
function setUrlBackend(backend: BackendName | undefined) {
  const url = new URL(window.location.href);
  if (backend) url.searchParams.set('backend', backend);
  else url.searchParams.delete('backend');
  window.history.replaceState(window.history.state, '', url);
}

export function useCrashRecovery(session: NotebookSession | null, opts: { debug: boolean }) {
  const [notice, setNotice] = useState<RecoveryNotice | null>(null);
  // Outcomes that arrive after the notebook has a new session (or none) are dropped.
  const current = useRef(session);
  useEffect(() => {
    current.current = session;
  }, [session]);

  const restartOn = useCallback(
    async (backend: BackendName | undefined) => {
      if (!session) return;
      setNotice({ phase: 'restarting', text: `Restarting the engine${backend ? ` on ${BACKEND_LABEL[backend]}` : ''}…` });
      const outcome = recoverEngine(backend, {
        restart: async (b) => {
          await session.restart({ backend: b });
          const conn = session.connection();
          if (!conn) throw new Error('the notebook was closed');
          return conn;
        },
        store: sessionWiring.checkpointStore(),
      });
      // After the session has the new backend, so the page's ?backend= handling sees nothing to change.
      setUrlBackend(backend);
      const o = await outcome;
      if (current.current === session) setNotice({ phase: o.kind, text: describeOutcome(o) });
    },
    [session],
  );

  useEffect(() => {
    if (!opts.debug || !session) return;
    const hook: TokenformerDebug = { crashEngine: (message) => session.simulateCrash(message) };
    window.__tokenformerDebug = hook;
    return () => {
      if (window.__tokenformerDebug === hook) delete window.__tokenformerDebug;
    };
  }, [opts.debug, session]);

  const dismiss = useCallback(() => setNotice(null), []);
  return { notice, restartOn, dismiss };
}
