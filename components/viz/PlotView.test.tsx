// @vitest-environment jsdom
import { createElement } from 'react';
import { describe, expect, it, vi } from 'vitest';
import { reactTestRoot } from '../testing/reactRoot';
import { PlotView } from './PlotView';
import { heatmap } from './heatmap';

const react = reactTestRoot();

function chart(label: string, dispose: () => void) {
  return (doc: Document) => Object.assign(doc.createElement('p'), { textContent: label, dispose });
}

describe('PlotView', () => {
  it('mounts the element, replaces it when deps change, and disposes on unmount', () => {
    const disposeA = vi.fn();
    const disposeB = vi.fn();
    const host = react.mount(createElement(PlotView, { render: chart('A', disposeA), deps: [1], className: 'c' }));
    expect(host.querySelector('[data-viz-host]')!.innerHTML).toBe('<p>A</p>');

    // Same deps: a new render function alone does not rebuild the chart.
    react.render(createElement(PlotView, { render: chart('B', disposeB), deps: [1] }));
    expect(host.textContent).toBe('A');

    react.render(createElement(PlotView, { render: chart('B', disposeB), deps: [2] }));
    expect(host.textContent).toBe('B');
    expect(disposeA).toHaveBeenCalledTimes(1);

    react.unmount();
    expect(disposeB).toHaveBeenCalledTimes(1);
  });

  it('shows a render error in place', () => {
    const host = react.mount(createElement(PlotView, { render: () => { throw new Error('bad shape'); }, deps: [] }));
    expect(host.querySelector('.viz-error')!.textContent).toBe('chart error: bad shape');
  });

  it('detaches a real chart\'s listeners on unmount', () => {
    const onClick = vi.fn();
    const data = { values: Float32Array.from([1, 2]), rows: 1, cols: 2, rowLabels: ['x'] };
    const host = react.mount(createElement(PlotView, { render: (doc) => heatmap(data, { document: doc, paint: () => {}, onClick, width: 100 }), deps: [data] }));
    const canvas = host.querySelector('canvas.viz-heatmap-cells')!;
    canvas.dispatchEvent(new MouseEvent('click', { clientX: 1, clientY: 1 }));
    expect(onClick).toHaveBeenCalledTimes(1);
    react.unmount();
    canvas.dispatchEvent(new MouseEvent('click', { clientX: 1, clientY: 1 }));
    expect(onClick).toHaveBeenCalledTimes(1);
  });
});
