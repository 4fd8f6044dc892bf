'use client';
// One notebook cell: CodeMirror source (or rendered markdown when not editing), run status, outputs, and cell actions.
import { memo, useMemo } from 'react';
import type { CellData, CellRuntimeState } from '@/lib/notebook/types';
import { CellEditor } from './CellEditor';
import { CellOutputs } from './CellOutputs';
import { CellStatusBadge } from './CellStatus';
import { ErrorBoundary } from './ErrorBoundary';
import { renderMarkdownOrError } from './markdown';

/** What a cell can ask of the notebook; one stable object shared by all cells. */
export interface CellActions {
  select(id: string, mode?: 'command' | 'edit'): void;
  setSource(id: string, source: string): void;
  run(id: string): void;
  runAdvance(id: string): void;
  /** Leave edit mode. */
  escape(): void;
  remove(id: string): void;
  move(id: string, delta: -1 | 1): void;
  toggleKind(id: string): void;
}

export interface CellProps {
  cell: CellData;
  index: number;
  state: CellRuntimeState | undefined;
  selected: boolean;
  /** Selected and in edit mode: the editor has the keyboard. */
  editing: boolean;
  trusted: boolean;
  actions: CellActions;
}

function MarkdownView({ source, trusted, onEdit }: { source: string; trusted: boolean; onEdit(): void }) {
  const html = useMemo(() => renderMarkdownOrError(source, { trusted }), [source, trusted]);
  if (!source.trim()) {
    return (
      <div className="markdown-empty" onDoubleClick={onEdit}>
        Empty markdown cell, double-click or press Enter to edit
      </div>
    );
  }
  return <div className="markdown-body" data-testid="markdown" onDoubleClick={onEdit} dangerouslySetInnerHTML={{ __html: html }} />;
}

function CellImpl({ cell, index, state, selected, editing, trusted, actions }: CellProps) {
  const status = state?.status ?? 'idle';
  const isMarkdown = cell.kind === 'markdown';
  const showEditor = !isMarkdown || editing;
  return (
    <section
      className={`cell cell-${cell.kind}${selected ? ' selected' : ''}${editing ? ' editing' : ''}`}
      data-testid="cell"
      data-cell-id={cell.id}
      data-status={status}
      data-kind={cell.kind}
      data-selected={selected || undefined}
      tabIndex={-1}
      aria-label={`cell ${index + 1} (${cell.kind})`}
      onMouseDown={(e) => {
        // A click in the editor selects through the editor's focus (edit mode); anywhere else is command mode.
        if (!(e.target as Element).closest('.cm-editor')) actions.select(cell.id, 'command');
      }}
    >
      <div className="cell-gutter">
        <span className="cell-index">[{index + 1}]</span>
        <CellStatusBadge state={state} />
      </div>
      <div className="cell-main">
        <div className="cell-tools" role="toolbar" aria-label="cell actions">
          <button type="button" onClick={() => actions.run(cell.id)} title="Run (Mod+Enter)" aria-label="run cell" data-testid="run-cell">
            ▶
          </button>
          <button type="button" onClick={() => actions.move(cell.id, -1)} title="Move up (Alt+↑)" aria-label="move cell up">
            ↑
          </button>
          <button type="button" onClick={() => actions.move(cell.id, 1)} title="Move down (Alt+↓)" aria-label="move cell down">
            ↓
          </button>
          <button type="button" onClick={() => actions.toggleKind(cell.id)} title="Markdown (M) / code (Y)" aria-label="toggle markdown">
            {isMarkdown ? 'JS' : 'MD'}
          </button>
          <button type="button" onClick={() => actions.remove(cell.id)} title="Delete (D D, undo with Z)" aria-label="delete cell">
            ✕
          </button>
        </div>
        {showEditor ? (
          <CellEditor
            value={cell.source}
            language={isMarkdown ? 'markdown' : 'javascript'}
            focused={editing}
            errorLine={state?.status === 'error' ? state.error?.line : undefined}
            onChange={(s) => actions.setSource(cell.id, s)}
            onRun={() => actions.run(cell.id)}
            onRunAdvance={() => actions.runAdvance(cell.id)}
            onEscape={actions.escape}
            onFocus={() => actions.select(cell.id, 'edit')}
            ariaLabel={`cell ${index + 1} source`}
          />
        ) : (
          <MarkdownView source={cell.source} trusted={trusted} onEdit={() => actions.select(cell.id, 'edit')} />
        )}
        {!isMarkdown ? (
          <ErrorBoundary resetKey={state} label="Cell output failed">
            <CellOutputs state={state} />
          </ErrorBoundary>
        ) : null}
      </div>
    </section>
  );
}

export const Cell = memo(CellImpl);
