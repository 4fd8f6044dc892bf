// Saves a notebook as a .md file through a temporary object URL (browser only).
import { serializeNotebook } from '@/lib/notebook/format';
import type { Notebook } from '@/lib/notebook/types';

/** File name from the title: "Growing a model!" -> "growing-a-model.md". */
export function fileNameFor(title: string): string {
  const base = title
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^\w\s-]/g, '')
    .trim()
    .replace(/[\s_]+/g, '-')
    .slice(0, 60);
  return `${base || 'notebook'}.md`;
}

/** Throws NotebookFormatError when the notebook cannot be written as .md (the caller shows it). */
export function downloadNotebook(nb: Notebook): void {
  const text = serializeNotebook(nb);
  const url = URL.createObjectURL(new Blob([text], { type: 'text/markdown;charset=utf-8' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = fileNameFor(nb.frontMatter.title);
  document.body.append(a);
  a.click();
  a.remove();
  // Some browsers start the download after click() returns; give them a moment before revoking.
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
