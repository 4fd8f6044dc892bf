'use client';
// One open notebook: header with the engine's real state, toolbar, cells with keyboard control, autosave, the trust gate,
// presentation mode (?present=1), crash recovery, sharing by link and workshop mode (?workshop=1).
import Link from 'next/link';
import { useRouter, useSearchParams } from 'next/navigation';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { Notebook } from '@/lib/notebook/types';
import { createUserNotebook, isUserSlug } from '@/lib/store/library';
import { useNotebookStore } from '@/lib/store/notebookStore';
import { Cell, type CellActions } from './Cell';
import { applyCommand, removeCell, runAll, runAndAdvance, runCell, runCells, setKind, undoRemove, type CommandDeps } from './commands';
import { downloadNotebook } from './download';
import { EngineCrashBanner, EngineRecoveryNotice } from './EngineCrashBanner';
import { bundledPageUrl, notebookHref } from './links';
import { NotebookHeader } from './NotebookHeader';
import { forgetChoice } from './backendChoice';
import { NotebookToolbar } from './NotebookToolbar';
import { Presentation } from './Presentation';
import { asBackend } from './recovery';
import { notebookShareLink, ShareDialog } from './ShareDialog';
import { TrustBanner, TrustDialog } from './TrustDialog';
import { UndoToast } from './UndoToast';
import { useCommandKeys } from './useCommandKeys';
import { useCrashRecovery } from './useCrashRecovery';
import { useNotebookDoc } from './useNotebookDoc';
import { useNotebookSession } from './useNotebookSession';
import { browserStorage } from './wiring';
import { browserMachine, workshopSettings } from './workshop';

const isOn = (v: string | null) => ['1', 'true', 'yes'].includes(v ?? '');

export interface NotebookViewProps {
  slug: string;
  /** The bundled file's notebook (parsed on the server), or null for a user notebook. */
  bundled: Notebook | null;
  /** A notebook that arrived by share link or URL: shown untrusted and unsaved until the reader keeps it. */
  incoming?: { notebook: Notebook; from: string } | null;
}

export function NotebookView({ slug, bundled, incoming = null }: NotebookViewProps) {
  const params = useSearchParams();
  const router = useRouter();
  const backend = asBackend(params.get('backend'));
  const presentParam = isOn(params.get('present'));

  const doc = useNotebookDoc(slug, bundled, incoming?.notebook ?? null);
  // Fixed once the notebook is loaded (its front matter may ask for workshop mode), before the session starts.
  const [machine] = useState(() => browserMachine(backend));
  const workshopFrontMatter = useNotebookStore((s) => s.frontMatter.workshop);
  const room = useMemo(() => workshopSettings(params, { title: '', workshop: workshopFrontMatter }, machine), [params, workshopFrontMatter, machine]);
  const quick = room.quick;
  const session = useNotebookSession(doc.status === 'ready', { backend, quick });
  const recovery = useCrashRecovery(session, { debug: isOn(params.get('debug')) });

  const cells = useNotebookStore((s) => s.cells);
  const runtime = useNotebookStore((s) => s.runtime);
  const selectedId = useNotebookStore((s) => s.selectedId);
  const mode = useNotebookStore((s) => s.mode);
  const trusted = useNotebookStore((s) => s.trusted);
  const frontMatter = useNotebookStore((s) => s.frontMatter);
  const hasLocalEdits = useNotebookStore((s) => s.hasLocalEdits);
  const dirty = useNotebookStore((s) => s.revision !== s.savedRevision);
  const deletedCount = useNotebookStore((s) => s.deleted.length);

  const [trustPrompt, setTrustPrompt] = useState<(() => void) | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [sharing, setSharing] = useState(false);
  const [presenting, setPresenting] = useState(presentParam);
  // A link or history step to ?present=1 (or away from it) enters (leaves) presentation mode.
  useEffect(() => setPresenting(presentParam), [presentParam]);
  const present = useCallback((on: boolean) => {
    setPresenting(on);
    const url = new URL(window.location.href);
    if (on) url.searchParams.set('present', '1');
    else url.searchParams.delete('present');
    window.history.replaceState(window.history.state, '', url);
  }, []);

  // Commands read the newest session and store through this ref, so cell callbacks can stay stable.
  const deps = useRef<CommandDeps>({ store: useNotebookStore.getState, session: null, whenTrusted: () => undefined });
  useEffect(() => {
    deps.current = {
      store: useNotebookStore.getState,
      session,
      whenTrusted: (fn) => {
        if (useNotebookStore.getState().trusted) fn();
        else setTrustPrompt(() => fn);
      },
    };
  }, [session]);

  const actions = useMemo<CellActions>(
    () => ({
      select: (id, m) => useNotebookStore.getState().select(id, m),
      setSource: (id, source) => useNotebookStore.getState().setSource(id, source),
      run: (id) => runCell(id, deps.current),
      runAdvance: (id) => {
        runAndAdvance(id, deps.current);
        revealSelected();
      },
      escape: () => useNotebookStore.getState().setMode('command'),
      remove: (id) => removeCell(id, deps.current),
      move: (id, delta) => useNotebookStore.getState().move(id, delta),
      toggleKind: (id) => {
        const cell = useNotebookStore.getState().cells.find((c) => c.id === id);
        if (cell) setKind(id, cell.kind === 'code' ? 'markdown' : 'code', deps.current);
      },
    }),
    [],
  );

  useCommandKeys(doc.status === 'ready' && !trustPrompt && mode === 'command' && !presenting, (action) => {
    applyCommand(action, deps.current);
    revealSelected();
  });

  // In command mode the selected cell holds the focus, so the keys act on what the user sees selected.
  useEffect(() => {
    if (mode !== 'command' || !selectedId || presenting) return;
    const el = document.querySelector<HTMLElement>(`[data-cell-id="${CSS.escape(selectedId)}"]`);
    if (!el) return;
    const active = document.activeElement;
    // Only take the focus from nowhere, another cell, or an editor being left; never from a widget's input or button.
    if (!active || active === document.body || active.matches('.cell') || active.closest('.cm-editor')) el.focus({ preventScroll: true });
  }, [mode, selectedId, cells, presenting]);

  // User notebooks are not known to the server, so their tab title is set here.
  useEffect(() => {
    if (frontMatter.title) document.title = `${frontMatter.title} · TokenFormer Lab`;
  }, [frontMatter.title]);

  // Bundled notebooks may ask to run on open (front matter `autorun: true`); imported ones never do.
  const autoran = useRef(false);
  useEffect(() => {
    if (!session || autoran.current) return;
    autoran.current = true;
    const s = useNotebookStore.getState();
    if (s.frontMatter.autorun === true && s.trusted) runAll(deps.current);
  }, [session]);

  const onDownload = useCallback(() => {
    try {
      downloadNotebook(useNotebookStore.getState().toNotebook());
    } catch (e) {
      setNotice(`Could not save as .md: ${e instanceof Error ? e.message : String(e)}`);
    }
  }, []);

  const revertTo = useCallback(
    async (question: string) => {
      if (!window.confirm(question)) return;
      await session?.interrupt();
      await doc.revert();
      session?.setCells(useNotebookStore.getState().cells);
      await session?.restart();
    },
    [doc, session],
  );
  const onRevert = useCallback(() => revertTo('Drop your edits to this notebook and go back to the bundled version?'), [revertTo]);
  const onReset = useCallback(() => revertTo('Reset to the original notebook? Your edits and results go, and the engine restarts.'), [revertTo]);

  /** Saves a notebook that came by link or URL as the reader's own (trusted only if they already agreed). */
  const onKeep = useCallback(async () => {
    try {
      const s = useNotebookStore.getState();
      const rec = await createUserNotebook(s.toNotebook(), { trusted: s.trusted });
      router.replace(notebookHref(rec.slug));
    } catch (e) {
      setNotice(`Could not keep this notebook: ${e instanceof Error ? e.message : String(e)}`);
    }
  }, [router]);

  // In workshop mode the slides show where participants open the same notebook.
  const participantLink = useMemo(() => {
    if (!presenting || !room.workshop || typeof window === 'undefined') return null;
    if (bundled && !isUserSlug(slug) && !incoming) return bundledPageUrl(window.location.origin, slug, '?workshop=1');
    try {
      const link = notebookShareLink({ frontMatter, cells }, { workshop: true });
      return link.fits ? link.url : null;
    } catch {
      return null;
    }
  }, [presenting, room.workshop, bundled, slug, incoming, frontMatter, cells]);

  const onRemeasure = useCallback(() => {
    const storage = browserStorage();
    if (storage) forgetChoice(storage);
    void session?.restart();
  }, [session]);

  if (doc.status === 'loading') return <p className="notebook-loading">Loading notebook…</p>;
  if (doc.status === 'missing' || doc.status === 'error') {
    return (
      <div className="notebook-missing" role="alert">
        <h1>{doc.status === 'missing' ? 'Notebook not found' : 'Could not open this notebook'}</h1>
        {doc.error ? <p>{doc.error}</p> : <p>It may have been deleted in another tab, or saved in another browser.</p>}
        <Link href="/">Back to all notebooks</Link>
      </div>
    );
  }

  const busy = Object.values(runtime).some((r) => r.status === 'running' || r.status === 'queued');
  const canRevert = Boolean(bundled) && !isUserSlug(slug) && hasLocalEdits && !room.workshop;
  const canReset = room.workshop && (Boolean(incoming) || (Boolean(bundled) && !isUserSlug(slug)));
  const crashBanner = <EngineCrashBanner session={session} onRestart={(b) => void recovery.restartOn(b)} />;
  const recoveryNotice = <EngineRecoveryNotice notice={recovery.notice} onDismiss={recovery.dismiss} />;
  return (
    <div className="notebook" data-testid="notebook" data-mode={mode} data-quick={quick || undefined} data-workshop={room.workshop || undefined}>
      <NotebookHeader title={frontMatter.title} description={frontMatter.description} origin={incoming ? 'shared' : bundled ? 'bundled' : 'user'} onRemeasure={onRemeasure} />
      {/* The toolbar and what the engine has to say stay in sight wherever the page is scrolled. */}
      <div className="notebook-sticky">
        <NotebookToolbar
          onRunAll={() => runAll(deps.current)}
          onInterrupt={() => void session?.interrupt()}
          onRestart={() => void session?.restart()}
          onDownload={onDownload}
          onRevert={canRevert ? () => void onRevert() : undefined}
          onReset={canReset ? () => void onReset() : undefined}
          onPresent={() => present(true)}
          onShare={() => setSharing(true)}
          onKeep={incoming ? () => void onKeep() : undefined}
          saveState={doc.error ?? (incoming ? 'not saved' : dirty ? 'saving…' : hasLocalEdits || isUserSlug(slug) ? 'saved' : '')}
          busy={busy}
          disabled={!session}
        />
        {!presenting ? crashBanner : null}
        {!presenting ? recoveryNotice : null}
        {room.workshop ? (
          <p className="workshop-badge" data-testid="workshop-badge" data-quick={quick || undefined}>
            Workshop mode{room.reason ? ` · quick settings (${room.reason})` : quick ? ' · quick settings' : ''}
          </p>
        ) : null}
      </div>
      {notice ? (
        <div className="notice" role="alert" onClick={() => setNotice(null)}>
          {notice}
        </div>
      ) : null}
      {!trusted ? <TrustBanner from={incoming?.from} onTrust={() => useNotebookStore.getState().setTrusted(true)} /> : null}
      {presenting ? (
        // Cells unmount while presenting: a DOM output (a chart, a widget) can sit in one place only, and here it is the slide.
        <Presentation
          title={frontMatter.title}
          cells={cells}
          runtime={runtime}
          trusted={trusted}
          onRunCells={(ids) => runCells(ids, deps.current)}
          onExit={() => present(false)}
          keysEnabled={!trustPrompt}
          banner={
            <>
              {crashBanner}
              {recoveryNotice}
              {participantLink ? (
                <p className="participant-link">
                  Follow along: <a href={participantLink} data-testid="participant-link">{participantLink.length > 90 ? `${participantLink.slice(0, 87)}…` : participantLink}</a>
                </p>
              ) : null}
            </>
          }
        />
      ) : (
        <main className="cells" aria-label="cells">
          {cells.map((cell, i) => (
            <Cell
              key={cell.id}
              cell={cell}
              index={i}
              state={runtime[cell.id]}
              selected={cell.id === selectedId}
              editing={cell.id === selectedId && mode === 'edit'}
              trusted={trusted}
              actions={actions}
            />
          ))}
          <div className="add-cell">
            <button type="button" data-testid="add-code" onClick={() => addAtEnd('code')}>
              + Code
            </button>
            <button type="button" data-testid="add-markdown" onClick={() => addAtEnd('markdown')}>
              + Markdown
            </button>
          </div>
        </main>
      )}
      <UndoToast count={deletedCount} onUndo={() => undoRemove(deps.current)} />
      {sharing ? <ShareDialog notebook={{ frontMatter, cells }} onClose={() => setSharing(false)} /> : null}
      {trustPrompt ? (
        <TrustDialog
          from={incoming?.from}
          codeCells={cells.filter((c) => c.kind === 'code').length}
          onCancel={() => setTrustPrompt(null)}
          onAccept={() => {
            const run = trustPrompt;
            setTrustPrompt(null);
            useNotebookStore.getState().setTrusted(true);
            run();
          }}
        />
      ) : null}
    </div>
  );
}

/**
 * Scrolls the selected cell into view after a keyboard move. Never on a click: scrolling a tall cell on mousedown would
 * move the button under the pointer before mouseup and lose the click.
 */
function revealSelected() {
  requestAnimationFrame(() => {
    const id = useNotebookStore.getState().selectedId;
    if (id) document.querySelector(`[data-cell-id="${CSS.escape(id)}"]`)?.scrollIntoView({ block: 'nearest' });
  });
}

function addAtEnd(kind: 'code' | 'markdown') {
  const s = useNotebookStore.getState();
  s.select(s.cells[s.cells.length - 1]?.id ?? null);
  s.insert('below', kind);
  useNotebookStore.getState().setMode('edit');
}
