// Command-mode key map: single keys, the D D chord with its time window, and modifiers left to the browser.
import { describe, expect, it } from 'vitest';
import { commandKey, DOUBLE_KEY_MS, initialKeyState } from './keymap';

const press = (key: string, extra: object = {}, state = initialKeyState, now = 1000) => commandKey({ key, ...extra }, state, now);

describe('commandKey', () => {
  it('maps single keys', () => {
    expect(press('a').action).toBe('insertAbove');
    expect(press('B', { shiftKey: true }).action).toBe('insertBelow');
    expect(press('m').action).toBe('toMarkdown');
    expect(press('y').action).toBe('toCode');
    expect(press('z').action).toBe('undoDelete');
    expect(press('Enter').action).toBe('edit');
    expect(press('Enter', { shiftKey: true }).action).toBe('runAdvance');
    expect(press('Enter', { metaKey: true }).action).toBe('run');
    expect(press('ArrowUp', { altKey: true }).action).toBe('moveUp');
    expect(press('ArrowDown').action).toBe('selectNext');
  });

  it('deletes on D D within the window only', () => {
    const first = press('d');
    expect(first.action).toBeNull();
    expect(press('d', {}, first.state, 1000 + DOUBLE_KEY_MS - 1).action).toBe('delete');
    expect(press('d', {}, first.state, 1000 + DOUBLE_KEY_MS + 1).action).toBeNull();
    const broken = press('x', {}, first.state, 1100);
    expect(press('d', {}, broken.state, 1200).action).toBeNull();
  });

  it('leaves browser shortcuts alone', () => {
    expect(press('c', { ctrlKey: true }).action).toBeNull();
    expect(press('r', { metaKey: true }).action).toBeNull();
  });
});
