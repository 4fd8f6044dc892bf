'use client';
// Thin hook: owns one NotebookSession (engine + runtime) for the open notebook and mirrors its state into the stores.
import { useEffect, useState } from 'react';
import type { BackendName } from '@/lib/engine/types';
import { useEngineStore } from '@/lib/store/engineStore';
import { useNotebookStore } from '@/lib/store/notebookStore';
import { makeBuiltins } from './builtins';
import { NotebookSession } from './session';
import { sessionWiring } from './wiring';

export function useNotebookSession(ready: boolean, opts: { backend?: BackendName; quick: boolean }): NotebookSession | null {
  const [session, setSession] = useState<NotebookSession | null>(null);
  const { backend, quick } = opts;

  useEffect(() => {
    if (!ready) return;
    const notebook = useNotebookStore.getState;
    const engine = useEngineStore.getState;
    const s = new NotebookSession({
      connect: sessionWiring.connect,
      createRuntime: sessionWiring.createRuntime,
      builtins: (conn) => makeBuiltins({ engine: conn, quick, createLab: sessionWiring.createLab }),
      onCellState: (id, state) => notebook().setCellState(id, state),
      onEngine: (patch) => engine().set(patch),
      onReset: () => notebook().clearRuntime(),
      backend,
    });
    s.start(notebook().cells);
    setSession(s);
    return () => {
      s.dispose();
      engine().reset();
      setSession(null);
    };
  }, [ready, backend, quick]);

  return session;
}
