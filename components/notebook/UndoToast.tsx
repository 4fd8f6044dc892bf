'use client';
// "Cell deleted · Undo" toast after D D or the delete button; Z in command mode does the same.
import { useEffect, useState } from 'react';

const SHOW_MS = 8000;

export function UndoToast({ count, onUndo }: { count: number; onUndo(): void }) {
  const [visibleFor, setVisibleFor] = useState(0);
  // A new deletion (count goes up) shows the toast again; undo or time hides it.
  useEffect(() => {
    if (count === 0) return setVisibleFor(0);
    setVisibleFor(count);
    const t = setTimeout(() => setVisibleFor(0), SHOW_MS);
    return () => clearTimeout(t);
  }, [count]);
  if (!visibleFor || count === 0) return null;
  return (
    <div className="toast" role="status" data-testid="undo-toast">
      Cell deleted.{' '}
      <button type="button" onClick={onUndo} data-testid="undo-delete">
        Undo (Z)
      </button>
    </div>
  );
}
