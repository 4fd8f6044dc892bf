// Zustand store of the open notebook: saved cells, per-cell runtime state, selection, edit mode and deletion undo.
import { create } from 'zustand';
import { transitionCell } from '../notebook/cellState';
import type { CellData, CellKind, CellRuntimeState, FrontMatter, Notebook } from '../notebook/types';
import { deleteCell, insertCell, moveCell, neighbour, newCell, restoreCell, setCellKind, setCellSource, type DeletedCell } from './cellOps';

export type EditMode = 'command' | 'edit';

export interface NotebookState {
  slug: string | null;
  frontMatter: FrontMatter;
  cells: CellData[];
  runtime: Record<string, CellRuntimeState>;
  selectedId: string | null;
  mode: EditMode;
  /** False for a notebook imported from outside until the user agrees to run its code. */
  trusted: boolean;
  /** Bundled notebook whose cells differ from the bundled file (saved locally). */
  hasLocalEdits: boolean;
  /** Cells deleted in this session, last one on top, for undo. */
  deleted: DeletedCell[];
  /** Bumped on each edit of the saved data (not runtime state), so autosave knows what to write. */
  revision: number;
  savedRevision: number;

  load(args: { slug: string; notebook: Notebook; trusted: boolean; hasLocalEdits: boolean }): void;
  setSource(id: string, source: string): void;
  /** Inserts a new cell next to the selected one and selects it. */
  insert(where: 'above' | 'below', kind?: CellKind, source?: string): string;
  remove(id: string): void;
  undoRemove(): string | null;
  setKind(id: string, kind: CellKind): void;
  move(id: string, delta: -1 | 1): void;
  select(id: string | null, mode?: EditMode): void;
  selectRelative(delta: number): void;
  setMode(mode: EditMode): void;
  setCellState(id: string, state: CellRuntimeState): void;
  clearRuntime(): void;
  setTrusted(trusted: boolean): void;
  markSaved(revision: number): void;
  toNotebook(): Notebook;
}

export const useNotebookStore = create<NotebookState>()((set, get) => {
  // Every edit of saved data goes through here so `revision` and the local-edits flag stay honest.
  const edit = (cells: CellData[], extra: Partial<NotebookState> = {}) =>
    set((s) => (cells === s.cells && Object.keys(extra).length === 0 ? s : { ...extra, cells, revision: s.revision + 1, hasLocalEdits: true }));

  return {
    slug: null,
    frontMatter: { title: '' },
    cells: [],
    runtime: {},
    selectedId: null,
    mode: 'command',
    trusted: true,
    hasLocalEdits: false,
    deleted: [],
    revision: 0,
    savedRevision: 0,

    load: ({ slug, notebook, trusted, hasLocalEdits }) =>
      set({
        slug,
        frontMatter: notebook.frontMatter,
        cells: notebook.cells,
        runtime: {},
        selectedId: notebook.cells[0]?.id ?? null,
        mode: 'command',
        trusted,
        hasLocalEdits,
        deleted: [],
        revision: 0,
        savedRevision: 0,
      }),

    setSource: (id, source) => {
      const cells = setCellSource(get().cells, id, source);
      if (cells === get().cells) return;
      // The runtime only sees a source when the cell runs; until then its outputs are marked stale here.
      const rt = get().runtime[id];
      edit(cells, rt && rt.status !== 'stale' && rt.status !== 'idle' ? { runtime: { ...get().runtime, [id]: transitionCell(rt, { type: 'edit' }) } } : {});
    },

    insert: (where, kind = 'code', source = '') => {
      const cell = newCell(kind, source);
      edit(insertCell(get().cells, get().selectedId, where, cell), { selectedId: cell.id });
      return cell.id;
    },

    remove: (id) => {
      const { cells, deleted } = deleteCell(get().cells, id);
      if (!deleted) return;
      // Select the cell that took its place (or the new last one), as Jupyter does.
      const next = cells[Math.min(deleted.index, cells.length - 1)]?.id ?? null;
      edit(cells, { deleted: [...get().deleted, deleted], selectedId: next, mode: 'command' });
    },

    undoRemove: () => {
      const stack = get().deleted;
      const last = stack[stack.length - 1];
      if (!last) return null;
      edit(restoreCell(get().cells, last), { deleted: stack.slice(0, -1), selectedId: last.cell.id });
      return last.cell.id;
    },

    setKind: (id, kind) => edit(setCellKind(get().cells, id, kind)),
    move: (id, delta) => edit(moveCell(get().cells, id, delta)),
    select: (id, mode) => set(mode ? { selectedId: id, mode } : { selectedId: id }),
    selectRelative: (delta) => set({ selectedId: neighbour(get().cells, get().selectedId, delta) }),
    setMode: (mode) => set({ mode }),
    setCellState: (id, state) => set((s) => ({ runtime: { ...s.runtime, [id]: state } })),
    clearRuntime: () => set({ runtime: {} }),
    setTrusted: (trusted) => set((s) => ({ trusted, revision: s.revision + 1 })),
    markSaved: (revision) => set({ savedRevision: revision }),
    toNotebook: () => ({ frontMatter: get().frontMatter, cells: get().cells }),
  };
});
