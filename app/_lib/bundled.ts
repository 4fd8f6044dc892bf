// Server-only: the bundled notebooks in notebooks/*.md, read and parsed at build time (or on request).
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { parseNotebook } from '@/lib/notebook/format';
import type { Notebook } from '@/lib/notebook/types';
import type { BundledEntry } from '@/components/notebook/NotebookIndex';

const DIR = path.join(process.cwd(), 'notebooks');
// File names become URL slugs; anything else (dots, slashes) could walk out of notebooks/.
const SLUG = /^[a-z0-9][a-z0-9_-]*$/i;

export const isBundledSlug = (slug: string) => SLUG.test(slug) && !slug.startsWith('u-');

export async function bundledSlugs(): Promise<string[]> {
  const files = await readdir(DIR).catch(() => [] as string[]);
  return files
    .filter((f) => f.endsWith('.md'))
    .map((f) => f.slice(0, -3))
    .filter(isBundledSlug)
    .sort();
}

/** The bundled notebook for a slug, or null when there is no such file. A malformed file throws (a build error). */
export async function loadBundled(slug: string): Promise<Notebook | null> {
  if (!isBundledSlug(slug)) return null;
  const file = path.join(DIR, `${slug}.md`);
  const text = await readFile(file, 'utf8').catch(() => null);
  if (text === null) return null;
  try {
    return parseNotebook(text);
  } catch (e) {
    throw new Error(`notebooks/${slug}.md: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}

export async function listBundled(): Promise<BundledEntry[]> {
  const entries = await Promise.all(
    (await bundledSlugs()).map(async (slug): Promise<BundledEntry | null> => {
      const notebook = await loadBundled(slug);
      if (!notebook) return null;
      const { mtimeMs } = await stat(path.join(DIR, `${slug}.md`));
      const { title, description } = notebook.frontMatter;
      return { slug, title: title || slug, description: typeof description === 'string' ? description : undefined, updatedAt: Math.round(mtimeMs), notebook };
    }),
  );
  // Welcome first, the rest by title.
  return entries
    .filter((e): e is BundledEntry => e !== null)
    .sort((a, b) => (a.slug === 'welcome' ? -1 : b.slug === 'welcome' ? 1 : a.title.localeCompare(b.title)));
}
