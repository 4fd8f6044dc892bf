// The notebook route: a bundled notebook (parsed here, on the server) or a user notebook (loaded from IndexedDB in the client).
import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { Suspense } from 'react';
import { isUserSlug } from '@/lib/store/library';
import { NotebookView } from '@/components/notebook/NotebookView';
import { bundledSlugs, loadBundled } from '../../_lib/bundled';

export async function generateStaticParams() {
  return (await bundledSlugs()).map((slug) => ({ slug }));
}

export async function generateMetadata({ params }: { params: Promise<{ slug: string }> }): Promise<Metadata> {
  const nb = await loadBundled((await params).slug);
  return { title: nb ? `${nb.frontMatter.title} · TokenFormer Lab` : 'Notebook · TokenFormer Lab' };
}

export default async function NotebookPage({ params }: { params: Promise<{ slug: string }> }) {
  const { slug } = await params;
  const bundled = await loadBundled(slug);
  // User notebooks live in the browser, so only the client can tell whether one exists; a bundled one must be a file.
  if (!bundled && !isUserSlug(slug)) notFound();
  return (
    // useSearchParams (?backend=, ?quick=) reads the URL in the browser; the boundary keeps the page static.
    <Suspense fallback={<p className="notebook-loading">Loading notebook…</p>}>
      <NotebookView slug={slug} bundled={bundled} />
    </Suspense>
  );
}
