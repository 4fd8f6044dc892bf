'use client';
// The /open page: a notebook carried by a share link (#nb=...), fetched from `?notebook=<URL>`, or, in a static export,
// a user notebook by id (`?id=u-...`; a static host has no page per user notebook). All of it happens in the browser.
import Link from 'next/link';
import { useSearchParams } from 'next/navigation';
import { useEffect, useState } from 'react';
import { fetchNotebook } from '@/lib/notebook/importUrl';
import { decodeSharePayload, sharePayload } from '@/lib/notebook/share';
import type { Notebook } from '@/lib/notebook/types';
import { isUserSlug } from '@/lib/store/library';
import { NotebookView } from './NotebookView';

type Opened = { kind: 'loading'; what: string } | { kind: 'error'; message: string } | { kind: 'notebook'; notebook: Notebook; from: string; key: number };

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

export function OpenNotebook() {
  const params = useSearchParams();
  const id = params.get('id');
  const url = params.get('notebook');
  // The fragment never reaches a server, and the page is static: it is read here, and again when it changes.
  const [hash, setHash] = useState<string | null>(null);
  const [opened, setOpened] = useState<Opened>({ kind: 'loading', what: 'notebook' });

  useEffect(() => {
    const read = () => setHash(window.location.hash);
    read();
    window.addEventListener('hashchange', read);
    return () => window.removeEventListener('hashchange', read);
  }, []);

  useEffect(() => {
    if (id !== null || hash === null) return;
    const payload = sharePayload(hash);
    if (payload !== null) {
      try {
        setOpened({ kind: 'notebook', notebook: decodeSharePayload(payload), from: 'a share link', key: Date.now() });
      } catch (e) {
        setOpened({ kind: 'error', message: message(e) });
      }
      return;
    }
    if (url === null) {
      setOpened({ kind: 'error', message: 'This address carries no notebook: a share link has #nb=… after the page, an import has ?notebook=<URL>.' });
      return;
    }
    let cancelled = false;
    setOpened({ kind: 'loading', what: url });
    fetchNotebook(url).then(
      (r) => !cancelled && setOpened({ kind: 'notebook', notebook: r.notebook, from: r.url, key: Date.now() }),
      (e: unknown) => !cancelled && setOpened({ kind: 'error', message: message(e) }),
    );
    return () => {
      cancelled = true;
    };
  }, [id, url, hash]);

  if (id !== null) {
    if (isUserSlug(id)) return <NotebookView key={id} slug={id} bundled={null} />;
    return <OpenError message={`"${id.slice(0, 40)}" is not the id of a notebook saved in this browser.`} />;
  }
  if (opened.kind === 'loading') return <p className="notebook-loading">Loading {opened.what === 'notebook' ? 'notebook' : opened.what}…</p>;
  if (opened.kind === 'error') return <OpenError message={opened.message} />;
  return <NotebookView key={opened.key} slug="shared" bundled={null} incoming={{ notebook: opened.notebook, from: opened.from }} />;
}

function OpenError({ message: text }: { message: string }) {
  return (
    <div className="notebook-missing" role="alert" data-testid="open-error">
      <h1>Could not open this notebook</h1>
      <p>{text}</p>
      <Link href="/">Back to all notebooks</Link>
    </div>
  );
}
