// @vitest-environment jsdom
import { act, createElement } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { PlotView } from './PlotView';
import { heatmap } from './heatmap';

beforeAll(() => {
  (globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;
});

let root: Root | null = null;
let host: HTMLDivElement;
afterEach(() => {
  act(() => root?.unmount());
  root = null;
  host?.remove();
});

function mount(ui: ReturnType<typeof createElement>) {
  host = document.createElement('div');
  document.body.appendChild(host);
  root = createRoot(host);
  act(() => root!.render(ui));
}

function chart(label: string, dispose: () => void) {
  return (doc: Document) => Object.assign(doc.createElement('p'), { textContent: label, dispose });
}

describe('PlotView', () => {
  it('mounts the element, replaces it when deps change, and disposes on unmount', () => {
    const disposeA = vi.fn();
    const disposeB = vi.fn();
    mount(createElement(PlotView, { render: chart('A', disposeA), deps: [1], className: 'c' }));
    expect(host.querySelector('[data-viz-host]')!.innerHTML).toBe('<p>A</p>');

    // Same deps: a new render function alone does not rebuild the chart.
    act(() => root!.render(createElement(PlotView, { render: chart('B', disposeB), deps: [1] })));
    expect(host.textContent).toBe('A');

    act(() => root!.render(createElement(PlotView, { render: chart('B', disposeB), deps: [2] })));
    expect(host.textContent).toBe('B');
    expect(disposeA).toHaveBeenCalledTimes(1);

    act(() => root!.unmount());
    root = null;
    expect(disposeB).toHaveBeenCalledTimes(1);
  });

  it('shows a render error in place', () => {
    mount(createElement(PlotView, { render: () => { throw new Error('bad shape'); }, deps: [] }));
    expect(host.querySelector('.viz-error')!.textContent).toBe('chart error: bad shape');
  });

  it('detaches a real chart\'s listeners on unmount', () => {
    const onClick = vi.fn();
    const data = { values: Float32Array.from([1, 2]), rows: 1, cols: 2, rowLabels: ['x'] };
    mount(createElement(PlotView, { render: (doc) => heatmap(data, { document: doc, paint: () => {}, onClick, width: 100 }), deps: [data] }));
    const canvas = host.querySelector('canvas.viz-heatmap-cells')!;
    canvas.dispatchEvent(new MouseEvent('click', { clientX: 1, clientY: 1 }));
    expect(onClick).toHaveBeenCalledTimes(1);
    act(() => root!.unmount());
    root = null;
    canvas.dispatchEvent(new MouseEvent('click', { clientX: 1, clientY: 1 }));
    expect(onClick).toHaveBeenCalledTimes(1);
  });
});
