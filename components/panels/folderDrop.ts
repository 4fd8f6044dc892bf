// A dropped or picked folder (a cluster run's global_stepN or checkpoints folder) as a file set the GPT-NeoX import
// reads, and the drop zone's and folder picker's glue. A folder can be hostile (millions of files, deep nesting,
// terabytes): its entries are counted, its depth checked and its sizes summed from metadata before any byte is read.
import type { NeoxFileSet } from '@/lib/io/neoxImport';
import { blobSource } from '@/lib/io/byteSource';
import { h } from '@/components/viz/dom';
import { formatBytes } from '@/lib/format/numbers';
import { button } from './panelKit';

export interface FolderLimits {
  /** Files and subfolders together. */
  maxEntries: number;
  maxBytes: number;
  /** Folders below the dropped one (`global_step7/configs/model.yml` is at depth 1). */
  maxDepth: number;
}

/** A pipe-parallel global_stepN folder holds one file per layer; a checkpoints folder a few such tags. */
export const FOLDER_LIMITS: FolderLimits = { maxEntries: 2000, maxBytes: 2 * 1024 ** 3, maxDepth: 6 };

/** The subset of the File and Directory Entries API that is read (real entries and test fakes both fit). */
export interface EntryLike {
  name: string;
  isFile: boolean;
  isDirectory: boolean;
}
export interface FileEntryLike extends EntryLike {
  file(ok: (f: File) => void, fail?: (e: unknown) => void): void;
}
export interface DirectoryEntryLike extends EntryLike {
  createReader(): { readEntries(ok: (batch: EntryLike[]) => void, fail?: (e: unknown) => void): void };
}

/** What a folder picker gives (`<input webkitdirectory>`): files whose `webkitRelativePath` starts with the folder's name. */
export type PickedFiles = ArrayLike<File>;

export interface PickedFolder {
  /** The dropped folder's name. */
  name: string;
  /** Paths from the dropped folder's parent (`global_step7/mp_rank_00_model_states.pt`), so the tag stays visible. */
  files: Map<string, File>;
  bytes: number;
}

class Budget {
  entries = 0;
  bytes = 0;
  constructor(readonly name: string, readonly limits: FolderLimits) {}
  tooMany(): Error {
    return new Error(`folder ${this.name} holds more than ${this.limits.maxEntries} files and folders: drop one global_stepN folder`);
  }
  entry(depth: number, path: string): void {
    if (++this.entries > this.limits.maxEntries) throw this.tooMany();
    if (depth > this.limits.maxDepth) throw new Error(`folder ${this.name} nests deeper than ${this.limits.maxDepth} levels (${path})`);
  }
  file(size: number): void {
    this.bytes += size;
    if (this.bytes > this.limits.maxBytes) throw new Error(`folder ${this.name} holds more than ${formatBytes(this.limits.maxBytes)}: drop one global_stepN folder`);
  }
}

/** The browser fails these calls with a DOMException (not always an Error in the page's realm). */
const failure = (e: unknown, what: string) => {
  const m = (e as { message?: unknown } | null)?.message;
  return new Error(typeof m === 'string' && m ? `${what}: ${m}` : what);
};
const readBatch = (reader: ReturnType<DirectoryEntryLike['createReader']>, path: string) =>
  new Promise<EntryLike[]>((ok, fail) => reader.readEntries(ok, (e) => fail(failure(e, `cannot list ${path}`))));
const fileOf = (entry: FileEntryLike, path: string) => new Promise<File>((ok, fail) => entry.file(ok, (e) => fail(failure(e, `cannot open ${path}`))));

/** Walks a dropped folder: lists every level (readEntries hands out batches until an empty one), takes each file's metadata, never its contents. */
export async function readDirectoryEntry(root: DirectoryEntryLike, limits: FolderLimits = FOLDER_LIMITS): Promise<PickedFolder> {
  const budget = new Budget(root.name, limits);
  const files = new Map<string, File>();
  const walk = async (dir: DirectoryEntryLike, path: string, depth: number): Promise<void> => {
    const reader = dir.createReader();
    for (let batch = await readBatch(reader, path); batch.length; batch = await readBatch(reader, path)) {
      for (const e of batch) {
        const p = `${path}/${e.name}`;
        budget.entry(depth, p);
        if (e.isDirectory) await walk(e as DirectoryEntryLike, p, depth + 1);
        else if (e.isFile) {
          const f = await fileOf(e as FileEntryLike, p);
          budget.file(f.size);
          files.set(p, f);
        }
      }
    }
  };
  await walk(root, root.name, 0);
  return { name: root.name, files, bytes: budget.bytes };
}

/** The same folder from a folder picker, under the same limits (the browser has already listed it). */
export function readPickedFiles(list: PickedFiles, limits: FolderLimits = FOLDER_LIMITS): PickedFolder {
  const first = list.length ? list[0].webkitRelativePath.split('/')[0] : '';
  if (!first) throw new Error('no files in the chosen folder');
  const budget = new Budget(first, limits);
  if (list.length > limits.maxEntries) throw budget.tooMany();
  const files = new Map<string, File>();
  for (let i = 0; i < list.length; i++) {
    const f = list[i];
    const p = f.webkitRelativePath || `${first}/${f.name}`;
    budget.entry(p.split('/').length - 2, p);
    budget.file(f.size);
    files.set(p, f);
  }
  return { name: first, files, bytes: budget.bytes };
}

/** The folder as the import reads it: each file is read (piece by piece) only when the import asks for it. */
export function folderFileSet(folder: PickedFolder): NeoxFileSet {
  return {
    paths: [...folder.files.keys()],
    read: async (p) => {
      const f = folder.files.get(p);
      if (!f) throw new Error(`${p} is not in folder ${folder.name}`);
      return blobSource(f);
    },
  };
}

/** Where a folder comes from: a dropped directory entry or a folder picker's files. */
export type FolderInput = DirectoryEntryLike | PickedFiles;

/** The folder's name, known before it is walked (for messages). */
export function folderName(input: FolderInput): string {
  if ('createReader' in input) return input.name;
  return (input.length ? input[0].webkitRelativePath.split('/')[0] : '') || 'folder';
}

export function readFolder(input: FolderInput, limits: FolderLimits = FOLDER_LIMITS): Promise<PickedFolder> {
  return 'createReader' in input ? readDirectoryEntry(input, limits) : Promise.resolve().then(() => readPickedFiles(input, limits));
}

/**
 * A "choose a folder" button beside the drop zone, and folder drops on the zone. Must be wired before the zone's file
 * drop (wireFileDrop): a dropped folder is taken here and its drop event stops, everything else goes on to the file drop.
 */
export function wireFolderDrop(zone: HTMLElement, onFolder: (folder: FolderInput) => void): { input: HTMLInputElement; pick: HTMLButtonElement } {
  const doc = zone.ownerDocument;
  const input = h(doc, 'input', { type: 'file', 'data-testid': 'ckpt-folder-input', 'aria-label': 'choose a global_stepN folder' });
  input.setAttribute('webkitdirectory', '');
  input.hidden = true;
  const pick = button(doc, 'Choose a folder…', 'ckpt-folder-pick', 'load a cluster run\'s global_stepN (or checkpoints) folder');
  pick.addEventListener('click', (e) => {
    e.stopPropagation();
    input.click();
  });
  input.addEventListener('change', () => {
    const files = input.files ? [...input.files] : [];
    input.value = '';
    if (files.length) onFolder(files);
  });
  zone.addEventListener('drop', (e) => {
    // Entries must be taken while the event is dispatched; the walk itself runs later.
    const item = e.dataTransfer?.items?.[0];
    const entry = item && typeof item.webkitGetAsEntry === 'function' ? item.webkitGetAsEntry() : null;
    if (!entry?.isDirectory) return;
    e.preventDefault();
    e.stopImmediatePropagation();
    zone.classList.remove('drag');
    onFolder(entry as unknown as DirectoryEntryLike);
  });
  return { input, pick };
}
