// Notebook commands as plain functions with injected dependencies (store, session, trust gate); hooks only call them.
import type { NotebookState } from '@/lib/store/notebookStore';
import type { CommandAction } from './keymap';
import type { NotebookSession } from './session';

export interface CommandDeps {
  store: () => NotebookState;
  session: NotebookSession | null;
  /** Runs `fn` at once for a trusted notebook, else after the user agrees to run its code. */
  whenTrusted(fn: () => void): void;
}

/** Runs one cell with its current source; markdown cells just render. */
export function runCell(id: string, deps: CommandDeps): void {
  const s = deps.store();
  const cell = s.cells.find((c) => c.id === id);
  if (!cell) return;
  if (cell.kind === 'markdown') {
    if (s.selectedId === id) s.setMode('command');
    return;
  }
  deps.whenTrusted(() => {
    // The runtime sees a source only when asked to run it, so typing never reruns half-written code.
    deps.session?.runCell(id, deps.store().cells);
  });
}

/** Runs several code cells (a slide's) behind one trust prompt. */
export function runCells(ids: readonly string[], deps: CommandDeps): void {
  const code = ids.filter((id) => deps.store().cells.find((c) => c.id === id)?.kind === 'code');
  if (!code.length) return;
  deps.whenTrusted(() => {
    for (const id of code) deps.session?.runCell(id, deps.store().cells);
  });
}

export function runAll(deps: CommandDeps): void {
  deps.whenTrusted(() => {
    deps.session?.runAll(deps.store().cells);
  });
}

/** Shift+Enter: run, then select the next cell; on the last cell, add a new one and edit it (as Jupyter does). */
export function runAndAdvance(id: string, deps: CommandDeps): void {
  runCell(id, deps);
  const s = deps.store();
  const i = s.cells.findIndex((c) => c.id === id);
  if (i < 0) return;
  if (i === s.cells.length - 1) {
    s.select(id);
    s.insert('below', 'code');
    deps.store().setMode('edit');
  } else {
    s.select(s.cells[i + 1].id, 'command');
  }
}

/** Removing a cell also removes its variable from the runtime, so dependents see it gone. */
export function removeCell(id: string, deps: CommandDeps): void {
  deps.store().remove(id);
  deps.session?.syncStructure(deps.store().cells);
}

export function undoRemove(deps: CommandDeps): void {
  if (deps.store().undoRemove()) deps.session?.syncStructure(deps.store().cells);
}

/** A code cell turned markdown leaves the runtime (its outputs go); a markdown cell turned code waits for a run. */
export function setKind(id: string, kind: 'code' | 'markdown', deps: CommandDeps): void {
  const before = deps.store().cells.find((c) => c.id === id)?.kind;
  deps.store().setKind(id, kind);
  if (before === 'code' && kind === 'markdown') deps.session?.syncStructure(deps.store().cells);
}

export function applyCommand(action: CommandAction, deps: CommandDeps): void {
  const s = deps.store();
  const id = s.selectedId;
  switch (action) {
    case 'insertAbove':
    case 'insertBelow':
      s.insert(action === 'insertAbove' ? 'above' : 'below');
      return;
    case 'undoDelete':
      return undoRemove(deps);
    case 'selectPrev':
      return s.selectRelative(-1);
    case 'selectNext':
      return s.selectRelative(1);
  }
  if (!id) return;
  switch (action) {
    case 'edit':
      return s.setMode('edit');
    case 'run':
      return runCell(id, deps);
    case 'runAdvance':
      return runAndAdvance(id, deps);
    case 'delete':
      return removeCell(id, deps);
    case 'toMarkdown':
    case 'toCode':
      return setKind(id, action === 'toMarkdown' ? 'markdown' : 'code', deps);
    case 'moveUp':
      return s.move(id, -1);
    case 'moveDown':
      return s.move(id, 1);
  }
}
