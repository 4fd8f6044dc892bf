// The open-notebook store: edits bump the revision, deletion undo restores cell and selection, loads reset.
import { beforeEach, describe, expect, it } from 'vitest';
import { useNotebookStore } from './notebookStore';

const nb = () => ({
  frontMatter: { title: 'T' },
  cells: [
    { id: 'a', kind: 'code' as const, source: '1' },
    { id: 'b', kind: 'code' as const, source: '2' },
  ],
});

describe('notebookStore', () => {
  beforeEach(() => useNotebookStore.getState().load({ slug: 's', notebook: nb(), trusted: true, hasLocalEdits: false }));
  const st = () => useNotebookStore.getState();

  it('loads with the first cell selected in command mode', () => {
    expect(st().selectedId).toBe('a');
    expect(st().mode).toBe('command');
    expect(st().revision).toBe(0);
  });

  it('counts edits and marks local edits; an unchanged source is not an edit', () => {
    st().setSource('a', '1');
    expect(st().revision).toBe(0);
    st().setSource('a', '10');
    expect(st().revision).toBe(1);
    expect(st().hasLocalEdits).toBe(true);
  });

  it('deletes, selects the next cell, and undoes', () => {
    st().remove('a');
    expect(st().cells.map((c) => c.id)).toEqual(['b']);
    expect(st().selectedId).toBe('b');
    expect(st().undoRemove()).toBe('a');
    expect(st().cells.map((c) => c.id)).toEqual(['a', 'b']);
    expect(st().selectedId).toBe('a');
    expect(st().undoRemove()).toBeNull();
  });

  it('inserts next to the selection and selects the new cell', () => {
    st().select('b');
    const id = st().insert('above', 'markdown');
    expect(st().cells.map((c) => c.id)).toEqual(['a', id, 'b']);
    expect(st().selectedId).toBe(id);
    expect(st().cells[1].kind).toBe('markdown');
  });

  it('keeps runtime state apart from saved data', () => {
    st().setCellState('a', { status: 'running', outputs: [], startedAt: 1 });
    expect(st().revision).toBe(0);
    expect(st().toNotebook().cells[0]).toEqual({ id: 'a', kind: 'code', source: '1' });
  });
});
