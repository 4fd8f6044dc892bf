'use client';
// The notebook list: bundled notebooks and the user's own (IndexedDB), with create, duplicate, delete and .md import.
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useCallback, useEffect, useRef, useState } from 'react';
import { parseNotebook } from '@/lib/notebook/format';
import type { Notebook } from '@/lib/notebook/types';
import { cloneNotebook, createUserNotebook, deleteSaved, listSaved, type StoredNotebook } from '@/lib/store/library';
import { newCell } from '@/lib/store/cellOps';
import { notebookHref, OPEN_ROUTE } from './links';

export interface BundledEntry {
  slug: string;
  title: string;
  description?: string;
  /** File modification time (ms since epoch). */
  updatedAt: number;
  notebook: Notebook;
}

function relativeTime(t: number, now: number | null): string {
  // Before mount `now` is null: print a fixed date so server and client HTML agree.
  if (now === null) return new Date(t).toISOString().slice(0, 10);
  const s = Math.round((t - now) / 1000);
  const fmt = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
  for (const [unit, sec] of [['year', 31536000], ['month', 2592000], ['day', 86400], ['hour', 3600], ['minute', 60]] as const) {
    if (Math.abs(s) >= sec) return fmt.format(Math.round(s / sec), unit);
  }
  return 'just now';
}

function blankNotebook(): Notebook {
  return {
    frontMatter: { title: 'Untitled notebook' },
    cells: [newCell('markdown', '# Untitled notebook\n\nNotes go here; `$x^2$` renders as math.'), newCell('code', '')],
  };
}

interface Row {
  slug: string;
  title: string;
  description?: string;
  updatedAt: number;
  origin: 'bundled' | 'user';
  edited?: boolean;
  imported?: boolean;
  notebook: Notebook;
}

export function NotebookIndex({ bundled }: { bundled: BundledEntry[] }) {
  const router = useRouter();
  const [saved, setSaved] = useState<{ user: StoredNotebook[]; bundledEdits: Map<string, StoredNotebook> } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [now, setNow] = useState<number | null>(null);
  const fileInput = useRef<HTMLInputElement>(null);

  const refresh = useCallback(() => {
    listSaved()
      .then(setSaved)
      .catch((e: unknown) => setError(`Your notebooks could not be read: ${e instanceof Error ? e.message : String(e)}`));
  }, []);
  useEffect(() => {
    refresh();
    setNow(Date.now());
  }, [refresh]);
  // `/?notebook=<URL>` imports from a URL: the open page fetches it and shows it behind the trust prompt.
  useEffect(() => {
    const url = new URLSearchParams(window.location.search).get('notebook');
    if (url) router.replace(`${OPEN_ROUTE}?notebook=${encodeURIComponent(url)}${window.location.hash}`);
  }, [router]);

  const open = async (nb: Notebook, trusted = true) => {
    const rec = await createUserNotebook(nb, { trusted });
    router.push(notebookHref(rec.slug));
  };
  const act = (fn: () => Promise<unknown>) => () => void fn().catch((e: unknown) => setError(e instanceof Error ? e.message : String(e)));

  const onImport = async (file: File) => {
    const nb = parseNotebook(await file.text());
    if (!nb.frontMatter.title) nb.frontMatter.title = file.name.replace(/\.md$/i, '');
    // Code from outside never runs until the user has seen it and agreed.
    await open(nb, false);
  };

  const rows: Row[] = [
    ...bundled.map((b) => {
      const edit = saved?.bundledEdits.get(b.slug);
      return {
        slug: b.slug,
        title: b.title,
        description: b.description,
        updatedAt: edit?.updatedAt ?? b.updatedAt,
        origin: 'bundled' as const,
        edited: Boolean(edit),
        notebook: edit?.notebook ?? b.notebook,
      };
    }),
    ...(saved?.user ?? []).map((u) => ({
      slug: u.slug,
      title: u.notebook.frontMatter.title || 'Untitled',
      description: u.notebook.frontMatter.description,
      updatedAt: u.updatedAt,
      origin: 'user' as const,
      imported: !u.trusted,
      notebook: u.notebook,
    })),
  ];

  return (
    <div className="index">
      <div className="index-actions">
        <button type="button" className="primary" data-testid="new-notebook" onClick={act(() => open(blankNotebook()))}>
          New notebook
        </button>
        <button type="button" data-testid="import-notebook" onClick={() => fileInput.current?.click()}>
          Import .md…
        </button>
        <input
          ref={fileInput}
          type="file"
          accept=".md,text/markdown,text/plain"
          hidden
          data-testid="import-input"
          onChange={(e) => {
            const f = e.target.files?.[0];
            e.target.value = '';
            if (f) act(() => onImport(f))();
          }}
        />
      </div>
      {error ? (
        <p className="notice" role="alert" data-testid="index-error">
          {error}
        </p>
      ) : null}
      {(['bundled', 'user'] as const).map((origin) => {
        const list = rows.filter((r) => r.origin === origin);
        return (
          <section key={origin} className="index-section" aria-labelledby={`h-${origin}`}>
            <h2 id={`h-${origin}`}>{origin === 'bundled' ? 'Bundled notebooks' : 'Your notebooks'}</h2>
            {list.length === 0 ? (
              <p className="muted">{origin === 'user' ? (saved ? 'None yet: create one, duplicate a bundled one, or import a .md file.' : 'Loading…') : 'None.'}</p>
            ) : (
              <ul className="notebook-list">
                {list.map((r) => (
                  <li key={r.slug} className="notebook-item" data-testid="notebook-item" data-slug={r.slug}>
                    <div className="notebook-item-main">
                      <Link href={notebookHref(r.slug)} data-testid="notebook-link" className="notebook-link">
                        {r.title}
                      </Link>
                      {r.edited ? <span className="tag">edited</span> : null}
                      {r.imported ? <span className="tag tag-warn">imported, not run</span> : null}
                      {r.description ? <p className="notebook-item-description">{r.description}</p> : null}
                      <time className="muted" dateTime={new Date(r.updatedAt).toISOString()}>
                        edited {relativeTime(r.updatedAt, now)}
                      </time>
                    </div>
                    <div className="notebook-item-actions">
                      <button type="button" data-testid="duplicate-notebook" onClick={act(() => open(cloneNotebook(r.notebook, `Copy of ${r.title}`), !r.imported))}>
                        Duplicate
                      </button>
                      {r.origin === 'user' ? (
                        <button
                          type="button"
                          data-testid="delete-notebook"
                          onClick={act(async () => {
                            if (!window.confirm(`Delete "${r.title}"? This cannot be undone.`)) return;
                            await deleteSaved(r.slug);
                            refresh();
                          })}
                        >
                          Delete
                        </button>
                      ) : null}
                    </div>
                  </li>
                ))}
              </ul>
            )}
          </section>
        );
      })}
    </div>
  );
}
