'use client';
// A cell's outputs: DOM nodes from display()/views mounted as they are, other values through the inspector, errors with line and stack.
import { useLayoutEffect, useRef } from 'react';
import type { CellRuntimeState } from '@/lib/notebook/types';
import { ErrorBoundary } from './ErrorBoundary';
import { inspect, inspectTree, isExpandable } from './inspect';

const isNode = (v: unknown): v is Node => typeof Node !== 'undefined' && v instanceof Node;

function DomOutput({ node }: { node: Node }) {
  const host = useRef<HTMLDivElement>(null);
  useLayoutEffect(() => {
    const el = host.current!;
    el.replaceChildren(node);
    return () => {
      // Detach only if still ours: a rerun may already have moved the node elsewhere.
      if (node.parentNode === el) el.removeChild(node);
    };
  }, [node]);
  return <div ref={host} className="output-dom" />;
}

function ValueOutput({ value }: { value: unknown }) {
  if (isNode(value)) return <DomOutput node={value} />;
  const summary = isExpandable(value) ? inspect(value, { depth: 1 }) : null;
  // Nothing folded away (a short flat array): the one line is the whole value.
  if (summary === null || summary === inspect(value)) return <pre className="output-value">{inspect(value)}</pre>;
  // Objects show one summary line (nested values folded), expandable to every key, as Observable's inspector does.
  return (
    <details className="output-value output-tree">
      <summary>{summary}</summary>
      <pre>{inspectTree(value)}</pre>
    </details>
  );
}

export function CellError({ error, stopped }: { error: NonNullable<CellRuntimeState['error']>; stopped?: boolean }) {
  // A stopped cell (interrupted, or an input failed) is not this cell's fault: shown quieter than an error.
  return (
    <div className={stopped ? 'cell-error cell-stopped' : 'cell-error'} role={stopped ? 'status' : 'alert'} data-testid={stopped ? 'cell-stopped' : 'cell-error'}>
      <div className="cell-error-message">
        {error.line ? <span className="cell-error-line">line {error.line}{error.column ? `:${error.column}` : ''} · </span> : null}
        {error.message}
      </div>
      {error.stack ? (
        <details>
          <summary>stack</summary>
          <pre>{error.stack}</pre>
        </details>
      ) : null}
    </div>
  );
}

export function CellOutputs({ state }: { state: CellRuntimeState | undefined }) {
  if (!state) return null;
  const outputs = state.outputs ?? [];
  // A DOM value that display() already showed is not shown twice; a cell that displays things (a view) speaks through
  // them, so its plain value (the view's current value) is not printed under the widget.
  const showValue = state.value !== undefined && state.status !== 'error' && !outputs.includes(state.value) && (outputs.length === 0 || isNode(state.value));
  if (!state.error && outputs.length === 0 && !showValue) return null;
  return (
    <div className="cell-outputs" data-cell-output data-testid="cell-output">
      <ErrorBoundary resetKey={state}>
        {outputs.map((o, i) => (
          <ValueOutput key={i} value={o} />
        ))}
        {showValue ? <ValueOutput value={state.value} /> : null}
      </ErrorBoundary>
      {state.error ? <CellError error={state.error} stopped={state.status === 'stopped'} /> : null}
    </div>
  );
}
