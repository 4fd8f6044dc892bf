'use client';
// Keeps a failing output (a widget that throws while rendering) inside its cell instead of taking the page down.
import { Component, type ReactNode } from 'react';

interface Props {
  /** A new key (e.g. a new run) clears a caught error. */
  resetKey?: unknown;
  label?: string;
  children: ReactNode;
}

interface State {
  error: Error | null;
  key: unknown;
}

export class ErrorBoundary extends Component<Props, State> {
  override state: State = { error: null, key: this.props.resetKey };

  static getDerivedStateFromError(error: unknown): Partial<State> {
    return { error: error instanceof Error ? error : new Error(String(error)) };
  }

  static getDerivedStateFromProps(props: Props, state: State): Partial<State> | null {
    return props.resetKey !== state.key ? { key: props.resetKey, error: null } : null;
  }

  override render() {
    if (this.state.error) {
      return (
        <div className="cell-error" role="alert" data-testid="output-error">
          <strong>{this.props.label ?? 'Output failed to render'}:</strong> {this.state.error.message}
        </div>
      );
    }
    return this.props.children;
  }
}
