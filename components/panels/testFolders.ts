// Test helper: a folder on disk as the browser hands it over, a dropped directory entry or a webkitdirectory input's
// files. Node's File (jsdom's cannot hand out its bytes) stands in for the browser's.
import { File as NodeFile } from 'node:buffer';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { DirectoryEntryLike, EntryLike, FileEntryLike } from './folderDrop';

const baseName = (dir: string) => dir.split('/').filter(Boolean).pop()!;
const fileAt = (p: string, name: string) => new NodeFile([readFileSync(p)], name) as unknown as File;

/** The directory entry a drop of `dir` gives; its reader lists `batch` entries per call, then an empty batch. */
export function diskEntry(dir: string, batch = 3): DirectoryEntryLike {
  const kid = (n: string): EntryLike => {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) return diskEntry(p, batch);
    const entry: FileEntryLike = { name: n, isFile: true, isDirectory: false, file: (ok) => setTimeout(() => ok(fileAt(p, n)), 0) };
    return entry;
  };
  return {
    name: baseName(dir),
    isFile: false,
    isDirectory: true,
    createReader: () => {
      const names = readdirSync(dir);
      return { readEntries: (ok) => setTimeout(() => ok(names.splice(0, batch).map(kid)), 0) };
    },
  };
}

/** The files a webkitdirectory input gives for `dir`, each with its `webkitRelativePath`. */
export function diskPicked(dir: string, rel = baseName(dir)): File[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) return diskPicked(p, `${rel}/${n}`);
    const f = fileAt(p, n);
    Object.defineProperty(f, 'webkitRelativePath', { value: `${rel}/${n}` });
    return [f];
  });
}
