// Test helper (jsdom): a React root mounted into the document for one test and unmounted after it.
import { act, type ReactNode } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, beforeAll } from 'vitest';

export interface TestRoot {
  /** Renders `ui` into a fresh host element in document.body and returns the host. */
  mount(ui: ReactNode): HTMLDivElement;
  /** Renders `ui` again into the mounted root (an update, not a new mount). */
  render(ui: ReactNode): void;
  /** Unmounts the root (running effects' clean-ups); the host stays in the document until the test ends. */
  unmount(): void;
}

/** Call at the top of a test file: registers the act environment and the clean-up after each test. */
export function reactTestRoot(): TestRoot {
  let root: Root | null = null;
  let host: HTMLDivElement | null = null;
  beforeAll(() => {
    (globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;
  });
  const unmount = () => {
    const r = root;
    root = null;
    if (r) act(() => r.unmount());
  };
  afterEach(() => {
    unmount();
    host?.remove();
    host = null;
  });
  return {
    mount(ui) {
      host = document.createElement('div');
      document.body.appendChild(host);
      const r = createRoot(host);
      root = r;
      act(() => r.render(ui));
      return host;
    },
    render(ui) {
      const r = root;
      if (!r) throw new Error('render before mount');
      act(() => r.render(ui));
    },
    unmount,
  };
}
