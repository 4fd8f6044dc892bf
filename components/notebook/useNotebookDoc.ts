'use client';
// Thin hook: loads the notebook for a route (saved copy first, else the bundled file) and autosaves edits to IndexedDB.
// A notebook that arrived by link or URL (`incoming`) is shown unsaved and untrusted until the reader keeps it.
import { useCallback, useEffect, useRef, useState } from 'react';
import type { Notebook } from '@/lib/notebook/types';
import { createAutosaver, type Autosaver } from '@/lib/store/autosave';
import { deleteSaved, isUserSlug, loadSaved, saveNotebook } from '@/lib/store/library';
import { useNotebookStore } from '@/lib/store/notebookStore';

export type DocStatus = 'loading' | 'ready' | 'missing' | 'error';

interface Pending {
  slug: string;
  notebook: Notebook;
  trusted: boolean;
  revision: number;
}

export function useNotebookDoc(slug: string, bundled: Notebook | null, incoming: Notebook | null = null) {
  const [status, setStatus] = useState<DocStatus>('loading');
  const [error, setError] = useState<string | null>(null);
  const saver = useRef<Autosaver<Pending> | null>(null);

  useEffect(() => {
    let cancelled = false;
    const store = useNotebookStore.getState;
    if (incoming) {
      // Code from outside never runs until the reader has seen it and agreed; nothing is written until they keep it.
      store().load({ slug, notebook: incoming, trusted: false, hasLocalEdits: false });
      setStatus('ready');
      return;
    }
    const autosaver = createAutosaver<Pending>(
      async (p) => {
        await saveNotebook(p.slug, p.notebook, p.trusted);
        if (store().slug === p.slug) store().markSaved(p.revision);
      },
      400,
      (e) => setError(`autosave failed: ${e instanceof Error ? e.message : String(e)}`),
    );
    saver.current = autosaver;

    (async () => {
      const saved = await loadSaved(slug).catch(() => undefined);
      if (cancelled) return;
      if (saved) store().load({ slug, notebook: saved.notebook, trusted: saved.trusted, hasLocalEdits: !isUserSlug(slug) });
      else if (bundled) store().load({ slug, notebook: bundled, trusted: true, hasLocalEdits: false });
      else return setStatus('missing');
      setStatus('ready');
    })().catch((e: unknown) => {
      if (cancelled) return;
      setError(e instanceof Error ? e.message : String(e));
      setStatus('error');
    });

    const unsubscribe = useNotebookStore.subscribe((s, prev) => {
      if (s.slug !== slug || s.revision === prev.revision || s.revision === 0) return;
      autosaver.schedule({ slug, notebook: { frontMatter: s.frontMatter, cells: s.cells }, trusted: s.trusted, revision: s.revision });
      // Agreeing to run an imported notebook is written at once: a reload right after must not ask again.
      if (s.trusted !== prev.trusted) void autosaver.flush();
    });
    // Leaving the page (tab closed, navigation) writes what is pending instead of losing the last keystrokes.
    const flush = () => void autosaver.flush();
    const onVisibility = () => document.visibilityState === 'hidden' && flush();
    window.addEventListener('pagehide', flush);
    document.addEventListener('visibilitychange', onVisibility);
    return () => {
      cancelled = true;
      unsubscribe();
      window.removeEventListener('pagehide', flush);
      document.removeEventListener('visibilitychange', onVisibility);
      flush();
    };
  }, [slug, bundled, incoming]);

  /** Drops local edits of a bundled notebook and shows the bundled file again. */
  const revert = useCallback(async () => {
    if (incoming) {
      // Back to the text of the link; agreeing to run it once still holds for the same text.
      const s = useNotebookStore.getState();
      s.load({ slug, notebook: incoming, trusted: s.trusted, hasLocalEdits: false });
      return;
    }
    if (!bundled || isUserSlug(slug)) return;
    saver.current?.cancel();
    await deleteSaved(slug);
    useNotebookStore.getState().load({ slug, notebook: bundled, trusted: true, hasLocalEdits: false });
  }, [slug, bundled, incoming]);

  const flush = useCallback(() => saver.current?.flush() ?? Promise.resolve(), []);

  return { status, error, revert, flush };
}
