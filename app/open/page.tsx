// /open: share links (#nb=...), `?notebook=<URL>` imports and, in a static export, user notebooks (`?id=`): all client-side.
import type { Metadata } from 'next';
import { Suspense } from 'react';
import { OpenNotebook } from '@/components/notebook/OpenNotebook';

export const metadata: Metadata = { title: 'Notebook · TokenFormer Lab' };

export default function OpenPage() {
  return (
    // useSearchParams reads the URL in the browser; the boundary keeps the page static.
    <Suspense fallback={<p className="notebook-loading">Loading notebook…</p>}>
      <OpenNotebook />
    </Suspense>
  );
}
