'use client';
// Thin hook: owns one NotebookSession (engine + runtime) for the open notebook and mirrors its state into the stores.
import { useEffect, useRef, useState } from 'react';
import type { BackendName } from '@/lib/engine/types';
import { useEngineStore } from '@/lib/store/engineStore';
import { useNotebookStore } from '@/lib/store/notebookStore';
import { makeBuiltins } from './builtins';
import { NotebookSession } from './session';
import { sessionWiring } from './wiring';

export function useNotebookSession(ready: boolean, opts: { backend?: BackendName; quick: boolean }): NotebookSession | null {
  const [session, setSession] = useState<NotebookSession | null>(null);
  const { backend, quick } = opts;
  // The backend a new session starts with; a later change restarts the session instead of replacing it (below).
  const initialBackend = useRef(backend);
  useEffect(() => {
    initialBackend.current = backend;
  });

  useEffect(() => {
    if (!ready) return;
    const notebook = useNotebookStore.getState;
    const engine = useEngineStore.getState;
    const s = new NotebookSession({
      connect: sessionWiring.connect,
      createRuntime: sessionWiring.createRuntime,
      builtins: (conn) => makeBuiltins({ engine: conn, quick, createLab: sessionWiring.createLab, defaults: notebook().frontMatter.defaults }),
      onCellState: (id, state) => notebook().setCellState(id, state),
      onEngine: (patch) => engine().set(patch),
      onReset: () => notebook().clearRuntime(),
      backend: initialBackend.current,
    });
    s.start(notebook().cells);
    setSession(s);
    return () => {
      s.dispose();
      engine().reset();
      // Cell states from this session's runtime mean nothing to the next one.
      notebook().clearRuntime();
      setSession(null);
    };
  }, [ready, quick]);

  // ?backend= changed (a link, or crash recovery moving down the order): a restart on it, like the toolbar's restart.
  useEffect(() => {
    if (session && session.backend !== backend) void session.restart({ backend });
  }, [session, backend]);

  return session;
}
