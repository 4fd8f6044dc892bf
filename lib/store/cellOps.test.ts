// Cell list edits: insert positions, delete with undo, moves at the edges, neighbours.
import { describe, expect, it } from 'vitest';
import type { CellData } from '../notebook/types';
import { deleteCell, insertCell, moveCell, neighbour, restoreCell, setCellKind } from './cellOps';

const c = (id: string): CellData => ({ id, kind: 'code', source: id });
const ids = (cells: CellData[]) => cells.map((x) => x.id).join('');

describe('cellOps', () => {
  const abc = [c('a'), c('b'), c('c')];
  it('inserts above, below, and at the end for an unknown ref', () => {
    expect(ids(insertCell(abc, 'b', 'above', c('x')))).toBe('axbc');
    expect(ids(insertCell(abc, 'b', 'below', c('x')))).toBe('abxc');
    expect(ids(insertCell(abc, null, 'above', c('x')))).toBe('abcx');
  });
  it('deletes and restores in place', () => {
    const { cells, deleted } = deleteCell(abc, 'b');
    expect(ids(cells)).toBe('ac');
    expect(ids(restoreCell(cells, deleted!))).toBe('abc');
    expect(deleteCell(abc, 'zz').deleted).toBeNull();
  });
  it('restores at the end when the list got shorter', () => {
    const { deleted } = deleteCell(abc, 'c');
    expect(ids(restoreCell([c('a')], deleted!))).toBe('ac');
  });
  it('moves within bounds only', () => {
    expect(ids(moveCell(abc, 'b', -1))).toBe('bac');
    expect(ids(moveCell(abc, 'c', 1))).toBe('abc');
    expect(moveCell(abc, 'a', -1)).toBe(abc);
  });
  it('changes kind without touching other cells', () => {
    const out = setCellKind(abc, 'a', 'markdown');
    expect(out[0].kind).toBe('markdown');
    expect(out[1]).toBe(abc[1]);
  });
  it('finds clamped neighbours', () => {
    expect(neighbour(abc, 'b', 1)).toBe('c');
    expect(neighbour(abc, 'c', 1)).toBe('c');
    expect(neighbour(abc, null, -1)).toBe('a');
    expect(neighbour([], 'a', 1)).toBeNull();
  });
});
