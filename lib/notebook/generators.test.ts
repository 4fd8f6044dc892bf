// @vitest-environment jsdom
// observe() and input(): latest value wins, return() disposes at once, form controls read as the right type.
import { describe, expect, it } from 'vitest';
import { input, observe } from './generators';

describe('observe', () => {
  it('yields pushed values, collapsing a backlog to the latest', async () => {
    let push!: (v: number) => void;
    const s = observe<number>((change) => {
      push = change;
    });
    push(1);
    push(2);
    expect(await s.next()).toEqual({ value: 2, done: false });
    const pending = s.next();
    push(3);
    expect(await pending).toEqual({ value: 3, done: false });
  });

  it('return() disposes immediately, even with a next() waiting', async () => {
    let disposed = 0;
    const s = observe<number>(() => () => disposed++);
    const pending = s.next();
    await s.return();
    expect(disposed).toBe(1);
    expect(await pending).toEqual({ value: undefined, done: true });
    expect(await s.next()).toEqual({ value: undefined, done: true });
    await s.return();
    expect(disposed).toBe(1);
  });

  it('is async-iterable', async () => {
    const s = observe<string>((change) => change('only'));
    for await (const v of s) {
      expect(v).toBe('only');
      break;
    }
  });
});

describe('input', () => {
  it('reads numbers from range inputs and follows input events', async () => {
    const el = document.createElement('input');
    el.type = 'range';
    el.value = '4';
    const s = input<number>(el);
    expect(await s.next()).toEqual({ value: 4, done: false });
    el.value = '9';
    el.dispatchEvent(new Event('input'));
    expect(await s.next()).toEqual({ value: 9, done: false });
    await s.return();
  });

  it('reads checkboxes on click and stops listening after return()', async () => {
    const el = document.createElement('input');
    el.type = 'checkbox';
    const s = input<boolean>(el);
    expect((await s.next()).value).toBe(false);
    el.click();
    expect((await s.next()).value).toBe(true);
    await s.return();
    el.click();
    expect(await s.next()).toEqual({ value: undefined, done: true });
  });

  it('reads plain .value for other elements (Observable Inputs forms)', async () => {
    const target = Object.assign(new EventTarget(), { value: { a: 1 } });
    const s = input(target);
    expect((await s.next()).value).toEqual({ a: 1 });
    await s.return();
  });
});
