// The user's notebook library in IndexedDB: create, duplicate, import, delete, and local edits of bundled notebooks.
import { del, get, set, update, values } from 'idb-keyval';
import { keyvalStore, openKeyvalDb } from '../io/keyval';
import type { Notebook } from '../notebook/types';

/** One saved notebook: a user's own, or the local edits of a bundled one. */
export interface StoredNotebook {
  /** `user:<slug>` or `bundled:<slug>`, so a bundled slug and a user slug can never collide. */
  key: string;
  origin: 'user' | 'bundled';
  slug: string;
  notebook: Notebook;
  createdAt: number;
  updatedAt: number;
  /** False for a file imported from outside until the user agrees to run its code. */
  trusted: boolean;
}

// Each write resolves once its transaction has committed, so a reload right after a save still finds the data.
const db = keyvalStore('notebooks', () => openKeyvalDb('tokenformer-lab-notebooks', 'notebooks', 'key', 'IndexedDB is not available here'));
const storedKey = (origin: StoredNotebook['origin'], slug: string) => `${origin}:${slug}`;
const getStored = (key: string) => get<StoredNotebook>(key, db);
const putStored = (rec: StoredNotebook) => set(rec.key, rec, db);
const deleteStored = (key: string) => del(key, db);
const listStored = () => values<StoredNotebook>(db);

/** A user notebook's URL slug starts with `u-`; bundled slugs come from file names and never do. */
export const USER_SLUG_PREFIX = 'u-';
export const isUserSlug = (slug: string) => slug.startsWith(USER_SLUG_PREFIX);

function newUserSlug(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(6));
  return USER_SLUG_PREFIX + Array.from(bytes, (b) => b.toString(36).padStart(2, '0')).join('').slice(0, 10);
}

export interface SaveOptions {
  trusted?: boolean;
}

/** Stores `notebook` as a new user notebook and returns the record (its slug is the URL). */
export async function createUserNotebook(notebook: Notebook, opts: SaveOptions = {}): Promise<StoredNotebook> {
  const slug = newUserSlug();
  const now = Date.now();
  const rec: StoredNotebook = {
    key: storedKey('user', slug),
    origin: 'user',
    slug,
    notebook,
    createdAt: now,
    updatedAt: now,
    trusted: opts.trusted ?? true,
  };
  await putStored(rec);
  return rec;
}

/** The saved copy for a route slug: the user notebook, or the local edits of a bundled one. */
export function loadSaved(slug: string): Promise<StoredNotebook | undefined> {
  return getStored(storedKey(isUserSlug(slug) ? 'user' : 'bundled', slug));
}

/** Saves the current cells for a route slug, keeping creation time and trust from the existing record. */
export async function saveNotebook(slug: string, notebook: Notebook, trusted: boolean): Promise<void> {
  const origin = isUserSlug(slug) ? 'user' : 'bundled';
  const key = storedKey(origin, slug);
  const now = Date.now();
  // Read and write in one transaction (idb-keyval's update), so two tabs saving at once cannot lose createdAt.
  await update<StoredNotebook>(key, (prev) => ({ key, origin, slug, notebook, createdAt: prev?.createdAt ?? now, updatedAt: now, trusted }), db);
}

/** Deletes a user notebook, or drops the local edits of a bundled one (= revert to the bundled version). */
export function deleteSaved(slug: string): Promise<void> {
  return deleteStored(storedKey(isUserSlug(slug) ? 'user' : 'bundled', slug));
}

export async function listSaved(): Promise<{ user: StoredNotebook[]; bundledEdits: Map<string, StoredNotebook> }> {
  const all = await listStored();
  const user = all.filter((r) => r.origin === 'user').sort((a, b) => b.updatedAt - a.updatedAt);
  const bundledEdits = new Map(all.filter((r) => r.origin === 'bundled').map((r) => [r.slug, r]));
  return { user, bundledEdits };
}

/** A copy with fresh cell ids, so the copy and the original never share runtime state. */
export function cloneNotebook(nb: Notebook, title?: string): Notebook {
  return {
    frontMatter: { ...nb.frontMatter, ...(title ? { title } : {}) },
    cells: nb.cells.map((c) => ({ ...c, id: crypto.randomUUID() })),
  };
}
