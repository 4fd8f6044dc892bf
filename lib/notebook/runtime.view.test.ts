// @vitest-environment jsdom
// view() and display() with real DOM inputs: a view's value is the cell's value, and input events re-run dependents.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as Inputs from '@observablehq/inputs';
import { afterEach, describe, expect, it } from 'vitest';
import { parseNotebook } from './format';
import { NotebookRuntime } from './runtime';
import type { CellRuntimeState } from './types';

const live: NotebookRuntime[] = [];
afterEach(() => {
  for (const rt of live.splice(0)) rt.dispose();
});

function setup(builtins: Record<string, unknown>) {
  const states = new Map<string, CellRuntimeState>();
  const rt = new NotebookRuntime({ builtins, onCellState: (id, s) => states.set(id, s) });
  live.push(rt);
  return { rt, states };
}

async function until(pred: () => boolean, what = 'condition', ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

describe('view()', () => {
  it('displays a plain input and makes its value the cell value, reactively', async () => {
    const slider = document.createElement('input');
    Object.assign(slider, { type: 'range', min: '0', max: '10', value: '3' });
    const { rt, states } = setup({ slider });
    rt.setCells([
      { id: 'a', kind: 'code', source: 'const n = view(slider)' },
      { id: 'b', kind: 'code', source: 'n * 2' },
    ]);
    rt.runAll();
    await until(() => states.get('b')?.value === 6, 'first value');
    expect(states.get('a')).toMatchObject({ status: 'done', value: 3, outputs: [slider] });
    slider.value = '7';
    slider.dispatchEvent(new Event('input'));
    await until(() => states.get('b')?.value === 14, 'dependent re-ran');
    expect(states.get('a')).toMatchObject({ status: 'done', value: 7 });
  });

  it('works with Observable Inputs and stops listening when the cell re-runs', async () => {
    const { rt, states } = setup({ Inputs });
    const source = 'const choice = view(Inputs.radio(["a", "b"], {value: "a"}))';
    rt.setCells([
      { id: 'a', kind: 'code', source },
      { id: 'b', kind: 'code', source: 'choice.toUpperCase()' },
    ]);
    rt.runAll();
    await until(() => states.get('b')?.value === 'A');
    const form = states.get('a')!.outputs[0] as HTMLFormElement & { value: string };
    expect(form).toBeInstanceOf(HTMLFormElement);
    form.value = 'b';
    form.dispatchEvent(new Event('input', { bubbles: true }));
    await until(() => states.get('b')?.value === 'B');
    // After a re-run the old form is gone: its events change nothing.
    rt.runCell('a');
    await until(() => states.get('a')?.outputs[0] !== form && states.get('b')?.value === 'A');
    form.value = 'b';
    form.dispatchEvent(new Event('input', { bubbles: true }));
    await new Promise((r) => setTimeout(r, 30));
    expect(states.get('b')?.value).toBe('A');
  });

  it('display() appends DOM nodes in order', async () => {
    const { rt, states } = setup({});
    rt.setCells([{ id: 'a', kind: 'code', source: 'display(document.createElement("p")); display("text")' }]);
    rt.runAll();
    await until(() => states.get('a')?.status === 'done');
    const outputs = states.get('a')!.outputs;
    expect(outputs[0]).toBeInstanceOf(HTMLParagraphElement);
    expect(outputs[1]).toBe('text');
  });
});

describe('the example in docs/notebooks.md', () => {
  it('parses and runs', async () => {
    const doc = readFileSync(join(__dirname, '..', '..', 'docs', 'notebooks.md'), 'utf8');
    const example = /````markdown\n([\s\S]*?)````\n/.exec(doc)![1];
    const nb = parseNotebook(example);
    expect(nb.frontMatter).toMatchObject({ title: 'A first loop', defaults: { steps: 200 } });
    // 10 steps instead of 200 keeps the test fast.
    const cells = nb.cells.map((c) => ({ ...c, source: c.source.replace('value: 200', 'value: 10') }));
    const { rt, states } = setup({ Inputs });
    rt.setCells(cells);
    rt.runAll();
    const last = cells.at(-1)!.id;
    await until(() => states.get(last)?.value === 'step 10: loss 0.904', 'the loop to finish');
    const loop = cells.find((c) => c.source.includes('yield'))!.id;
    await until(() => states.get(loop)?.status === 'done');
    const { step, loss } = states.get(loop)?.value as { step: number; loss: number };
    expect(step).toBe(10);
    expect(loss).toBeCloseTo(0.99 ** 10, 12);
  });
});
