'use client';
// Asks before running code from a notebook imported from outside: its code is shown in the cells, nothing has run yet.
import { useEffect, useRef } from 'react';

/** `from` says where the notebook came from: "a file" (the default), "a share link", "https://…". */
export function TrustBanner({ onTrust, from = 'a file' }: { onTrust(): void; from?: string }) {
  return (
    <div className="trust-banner" role="status" data-testid="trust-banner">
      This notebook was imported from {from}. Its code is shown below and has not run. Read it before running it.
      <button type="button" onClick={onTrust} data-testid="trust-accept-banner">
        Trust this notebook
      </button>
    </div>
  );
}

export function TrustDialog({ codeCells, onAccept, onCancel, from = 'a file' }: { codeCells: number; onAccept(): void; onCancel(): void; from?: string }) {
  const accept = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    accept.current?.focus();
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && onCancel();
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onCancel]);
  return (
    <div className="dialog-backdrop">
      <div className="dialog" role="dialog" aria-modal="true" aria-labelledby="trust-title" data-testid="trust-dialog">
        <h2 id="trust-title">Run code from an imported notebook?</h2>
        <p>
          This notebook came from {from} and has {codeCells} code cell{codeCells === 1 ? '' : 's'}. Code in a notebook can do anything this page can
          do. Run it only if you trust where it came from.
        </p>
        <div className="dialog-actions">
          <button type="button" onClick={onCancel} data-testid="trust-cancel">
            Cancel
          </button>
          <button type="button" ref={accept} onClick={onAccept} data-testid="trust-accept" className="primary">
            Trust and run
          </button>
        </div>
      </div>
    </div>
  );
}
