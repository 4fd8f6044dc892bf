// Pure edits of a notebook's cell list (insert, delete, move, change kind); the store and its tests share them.
import type { CellData, CellKind } from '../notebook/types';

export const newCellId = (): string =>
  typeof crypto !== 'undefined' && 'randomUUID' in crypto ? crypto.randomUUID() : `c${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;

export function newCell(kind: CellKind = 'code', source = ''): CellData {
  return { id: newCellId(), kind, source };
}

/** Inserts `cell` above or below the cell `refId` (at the end when `refId` is unknown). */
export function insertCell(cells: CellData[], refId: string | null, where: 'above' | 'below', cell: CellData): CellData[] {
  const i = refId ? cells.findIndex((c) => c.id === refId) : -1;
  const at = i < 0 ? cells.length : where === 'above' ? i : i + 1;
  return [...cells.slice(0, at), cell, ...cells.slice(at)];
}

export interface DeletedCell {
  cell: CellData;
  index: number;
}

/** Removes a cell; returns what is needed to undo it. */
export function deleteCell(cells: CellData[], id: string): { cells: CellData[]; deleted: DeletedCell | null } {
  const index = cells.findIndex((c) => c.id === id);
  if (index < 0) return { cells, deleted: null };
  return { cells: [...cells.slice(0, index), ...cells.slice(index + 1)], deleted: { cell: cells[index], index } };
}

export function restoreCell(cells: CellData[], d: DeletedCell): CellData[] {
  const at = Math.min(Math.max(d.index, 0), cells.length);
  return [...cells.slice(0, at), d.cell, ...cells.slice(at)];
}

/** Moves a cell one place up (-1) or down (+1); a move past either end leaves the list as it is. */
export function moveCell(cells: CellData[], id: string, delta: -1 | 1): CellData[] {
  const i = cells.findIndex((c) => c.id === id);
  const j = i + delta;
  if (i < 0 || j < 0 || j >= cells.length) return cells;
  const out = [...cells];
  [out[i], out[j]] = [out[j], out[i]];
  return out;
}

/** Replaces one cell; returns `cells` itself when nothing changes, so "no edit" is cheap to detect. */
function update(cells: CellData[], id: string, changed: (c: CellData) => boolean, next: (c: CellData) => CellData): CellData[] {
  const i = cells.findIndex((c) => c.id === id);
  if (i < 0 || !changed(cells[i])) return cells;
  const out = [...cells];
  out[i] = next(cells[i]);
  return out;
}

export function setCellKind(cells: CellData[], id: string, kind: CellKind): CellData[] {
  return update(cells, id, (c) => c.kind !== kind, (c) => ({ ...c, kind }));
}

export function setCellSource(cells: CellData[], id: string, source: string): CellData[] {
  return update(cells, id, (c) => c.source !== source, (c) => ({ ...c, source }));
}

/** The id `delta` places away from `id`, clamped to the list; null for an empty list. */
export function neighbour(cells: CellData[], id: string | null, delta: number): string | null {
  if (cells.length === 0) return null;
  const i = id ? cells.findIndex((c) => c.id === id) : -1;
  const j = Math.min(Math.max((i < 0 ? 0 : i) + delta, 0), cells.length - 1);
  return cells[j].id;
}
