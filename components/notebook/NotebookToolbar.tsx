'use client';
// Notebook toolbar: run all, interrupt, restart, download .md, revert to the bundled version, present, share, save state.
export interface NotebookToolbarProps {
  onRunAll(): void;
  onInterrupt(): void;
  onRestart(): void;
  onDownload(): void;
  /** Shown for bundled notebooks with local edits. */
  onRevert?: () => void;
  /** Enters presentation mode. */
  onPresent(): void;
  /** Opens the share dialog. */
  onShare(): void;
  /** Workshop mode: back to the original notebook (bundled file or link), for each participant. */
  onReset?: () => void;
  /** A notebook opened from a link or URL: save it as the reader's own. */
  onKeep?: () => void;
  /** "saved", "saving…" or an error. */
  saveState: string;
  /** Anything running or queued. */
  busy: boolean;
  disabled?: boolean;
}

export function NotebookToolbar(p: NotebookToolbarProps) {
  return (
    <div className="notebook-toolbar" role="toolbar" aria-label="notebook actions">
      <button type="button" onClick={p.onRunAll} disabled={p.disabled} data-testid="run-all" title="Run all cells">
        ▶▶ Run all
      </button>
      <button type="button" onClick={p.onInterrupt} disabled={p.disabled} data-testid="interrupt" data-busy={p.busy || undefined} title="Stop running cells and training">
        ■ Interrupt
      </button>
      <button type="button" onClick={p.onRestart} disabled={p.disabled} data-testid="restart" title="Fresh engine and runtime; cell sources stay">
        ↻ Restart
      </button>
      <button type="button" onClick={p.onDownload} disabled={p.disabled} data-testid="download" title="Download as .md">
        ⤓ Download .md
      </button>
      {p.onRevert ? (
        <button type="button" onClick={p.onRevert} data-testid="revert" title="Drop your edits and reload the bundled notebook">
          ⟲ Revert to bundled
        </button>
      ) : null}
      {p.onReset ? (
        <button type="button" onClick={p.onReset} data-testid="reset-original" title="Drop your edits and results and start again from the original notebook">
          ⟲ Reset to the original
        </button>
      ) : null}
      <button type="button" onClick={p.onPresent} data-testid="present" title="Present: one slide per # or ## heading, code hidden (?present=1)">
        ▣ Present
      </button>
      <button type="button" onClick={p.onShare} data-testid="share" title="A link that carries this notebook (or a .md file when it is too long)">
        ⇪ Share
      </button>
      {p.onKeep ? (
        <button type="button" onClick={p.onKeep} data-testid="keep-notebook" className="primary" title="Save this notebook in your notebooks, in this browser">
          + Keep in my notebooks
        </button>
      ) : null}
      <span className="save-state" data-testid="save-state" aria-live="polite">
        {p.saveState}
      </span>
    </div>
  );
}
