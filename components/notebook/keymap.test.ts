// Command-mode key map: single keys, the D D chord with its time window, and modifiers left to the browser.
import { describe, expect, it } from 'vitest';
import { commandKey, DOUBLE_KEY_MS, initialKeyState, keyBelongsToTarget, presentationKey } from './keymap';

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

describe('presentationKey', () => {
  it('maps the usual slide keys and leaves modified keys to the browser', () => {
    expect(['ArrowRight', 'PageDown', ' '].map((key) => presentationKey({ key }))).toEqual(['next', 'next', 'next']);
    expect(['ArrowLeft', 'PageUp'].map((key) => presentationKey({ key }))).toEqual(['prev', 'prev']);
    expect(presentationKey({ key: ' ', shiftKey: true })).toBe('prev');
    expect(presentationKey({ key: 'Home' })).toBe('first');
    expect(presentationKey({ key: 'End' })).toBe('last');
    expect(presentationKey({ key: 'Escape' })).toBe('exit');
    expect(presentationKey({ key: 'ArrowLeft', altKey: true })).toBeNull();
    expect(presentationKey({ key: 'ArrowRight', metaKey: true })).toBeNull();
    expect(presentationKey({ key: 'a' })).toBeNull();
  });

  it('keyBelongsToTarget: fields keep their keys, buttons keep Space and Enter, the rest goes to the deck', () => {
    // A stand-in element: closest() matches its own tag against a selector list.
    const el = (tag: string) =>
      ({ isContentEditable: false, closest: (sel: string) => (sel.split(',').some((s) => s.trim() === tag) ? {} : null) }) as unknown as EventTarget;
    expect(keyBelongsToTarget(' ', null)).toBe(false);
    expect(keyBelongsToTarget('ArrowRight', el('textarea'))).toBe(true);
    expect(keyBelongsToTarget('ArrowRight', el('input'))).toBe(true);
    expect(keyBelongsToTarget('Escape', el('input'))).toBe(false);
    expect(keyBelongsToTarget(' ', el('button'))).toBe(true);
    expect(keyBelongsToTarget('ArrowRight', el('button'))).toBe(false);
    expect(keyBelongsToTarget(' ', el('div'))).toBe(false);
  });
});
