'use client';
// The Share button's dialog: a link that carries the notebook in its fragment, or, past ~8 KB, a .md download.
import { useEffect, useMemo, useRef, useState } from 'react';
import { shareLink, SHARE_LINK_MAX_CHARS } from '@/lib/notebook/share';
import type { Notebook } from '@/lib/notebook/types';
import { downloadNotebook } from './download';
import { openPageUrl } from './links';

/** The share link of `nb` (with `?workshop=1` when asked), computed in the browser (it needs the page's origin). */
export function notebookShareLink(nb: Notebook, opts: { workshop?: boolean } = {}) {
  return shareLink(nb, openPageUrl(window.location.origin) + (opts.workshop ? '?workshop=1' : ''));
}

export function ShareDialog({ notebook, onClose }: { notebook: Notebook; onClose(): void }) {
  const link = useMemo(() => {
    try {
      return { ok: true as const, ...notebookShareLink(notebook) };
    } catch (e) {
      // serializeNotebook refuses what it cannot write (e.g. front matter YAML cannot hold).
      return { ok: false as const, error: e instanceof Error ? e.message : String(e) };
    }
  }, [notebook]);
  const [copied, setCopied] = useState<string | null>(null);
  const field = useRef<HTMLInputElement>(null);
  const close = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    (field.current ?? close.current)?.focus();
    field.current?.select();
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && onClose();
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose]);

  const copy = async (url: string) => {
    try {
      await navigator.clipboard.writeText(url);
      setCopied('Copied.');
    } catch {
      field.current?.select();
      setCopied('Select the link and copy it (this page may not use the clipboard).');
    }
  };

  return (
    <div className="dialog-backdrop">
      <div className="dialog share-dialog" role="dialog" aria-modal="true" aria-labelledby="share-title" data-testid="share-dialog">
        <h2 id="share-title">Share this notebook</h2>
        {!link.ok ? (
          <p role="alert" data-testid="share-error">
            This notebook cannot be written as text: {link.error}
          </p>
        ) : link.fits ? (
          <>
            <p>
              The link holds the notebook itself (its text and front matter, not outputs or training), compressed after the <code>#</code>, so no server
              stores it. Whoever opens it sees the code and decides whether to run it.
            </p>
            <div className="share-row">
              <input ref={field} readOnly value={link.url} data-testid="share-link" aria-label="share link" onFocus={(e) => e.target.select()} />
              <button type="button" className="primary" data-testid="share-copy" onClick={() => void copy(link.url)}>
                Copy
              </button>
            </div>
            <p className="muted" aria-live="polite">
              {copied ?? `${link.length.toLocaleString()} characters.`}
            </p>
          </>
        ) : (
          <>
            <p data-testid="share-too-long">
              As a link this notebook would be {link.length.toLocaleString()} characters, more than the {SHARE_LINK_MAX_CHARS.toLocaleString()} that
              browsers and chat tools carry safely. Send the .md file instead; it opens with Import on the notebook list.
            </p>
            <button type="button" className="primary" data-testid="share-download" onClick={() => downloadNotebook(notebook)}>
              ⤓ Download .md
            </button>
          </>
        )}
        <div className="dialog-actions">
          <button type="button" ref={close} onClick={onClose} data-testid="share-close">
            Close
          </button>
        </div>
      </div>
    </div>
  );
}
