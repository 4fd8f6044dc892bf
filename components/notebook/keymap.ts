// Command-mode keys (Jupyter's): a pure map from a key press to a notebook action, so it is testable without a DOM.

export type CommandAction =
  | 'edit'
  | 'run'
  | 'runAdvance'
  | 'insertAbove'
  | 'insertBelow'
  | 'delete'
  | 'undoDelete'
  | 'toMarkdown'
  | 'toCode'
  | 'selectPrev'
  | 'selectNext'
  | 'moveUp'
  | 'moveDown';

export interface KeyLike {
  key: string;
  shiftKey?: boolean;
  ctrlKey?: boolean;
  metaKey?: boolean;
  altKey?: boolean;
}

/** The second D of "D D" must come within this many ms of the first. */
export const DOUBLE_KEY_MS = 800;

export interface KeyState {
  /** When the last lone "d" was pressed, or null. */
  lastD: number | null;
}

export const initialKeyState: KeyState = { lastD: null };

/** Maps one key press in command mode to an action (or none) and the next key state. */
export function commandKey(e: KeyLike, state: KeyState, now: number): { action: CommandAction | null; state: KeyState } {
  const mod = Boolean(e.ctrlKey || e.metaKey);
  const none = { action: null, state: { lastD: null } };
  if (e.key === 'Enter') {
    if (e.shiftKey) return { action: 'runAdvance', state: { lastD: null } };
    if (mod) return { action: 'run', state: { lastD: null } };
    return { action: 'edit', state: { lastD: null } };
  }
  if (e.altKey && !mod) {
    if (e.key === 'ArrowUp') return { action: 'moveUp', state: { lastD: null } };
    if (e.key === 'ArrowDown') return { action: 'moveDown', state: { lastD: null } };
    return none;
  }
  if (mod) return { action: null, state }; // leave browser shortcuts (copy, reload, ...) alone
  if (e.key === 'ArrowUp' || e.key === 'k') return { action: 'selectPrev', state: { lastD: null } };
  if (e.key === 'ArrowDown' || e.key === 'j') return { action: 'selectNext', state: { lastD: null } };
  switch (e.key.toLowerCase()) {
    case 'a':
      return { action: 'insertAbove', state: { lastD: null } };
    case 'b':
      return { action: 'insertBelow', state: { lastD: null } };
    case 'm':
      return { action: 'toMarkdown', state: { lastD: null } };
    case 'y':
      return { action: 'toCode', state: { lastD: null } };
    case 'z':
      return { action: 'undoDelete', state: { lastD: null } };
    case 'd':
      if (state.lastD !== null && now - state.lastD <= DOUBLE_KEY_MS) return { action: 'delete', state: { lastD: null } };
      return { action: null, state: { lastD: now } };
    default:
      return e.key === 'Shift' || e.key === 'Control' || e.key === 'Alt' || e.key === 'Meta' ? { action: null, state } : none;
  }
}

/** Whether a key event came from somewhere that takes text (then command keys must not fire). */
export function isTextTarget(target: EventTarget | null): boolean {
  if (!target || typeof (target as Element).closest !== 'function') return false;
  const el = target as HTMLElement;
  if (el.isContentEditable) return true;
  return Boolean(el.closest('input, textarea, select, [contenteditable="true"], .cm-editor, [data-cell-output]'));
}

/** What a key does in presentation mode. */
export type SlideAction = 'next' | 'prev' | 'first' | 'last' | 'exit';

/** Presentation keys, as slide viewers have them: →/PageDown/Space on, ←/PageUp/Shift+Space back, Home/End, Esc leaves. */
export function presentationKey(e: KeyLike): SlideAction | null {
  if (e.ctrlKey || e.metaKey || e.altKey) return null; // browser shortcuts (back, zoom, ...) stay the browser's
  switch (e.key) {
    case 'ArrowRight':
    case 'PageDown':
      return 'next';
    case ' ':
    case 'Spacebar':
      return e.shiftKey ? 'prev' : 'next';
    case 'ArrowLeft':
    case 'PageUp':
      return 'prev';
    case 'Home':
      return 'first';
    case 'End':
      return 'last';
    case 'Escape':
      return 'exit';
    default:
      return null;
  }
}

/**
 * Whether a key belongs to the element it was pressed in rather than to the slide deck: anything in a text field or
 * editor, arrows/Home/End in any form control (a slider moves), and Space/Enter on a button or link (it presses it).
 */
export function keyBelongsToTarget(key: string, target: EventTarget | null): boolean {
  if (!target || typeof (target as Element).closest !== 'function') return false;
  const el = target as HTMLElement;
  if (el.isContentEditable || el.closest('textarea, [contenteditable="true"], .cm-editor')) return true;
  const input = el.closest('input, select');
  if (input) return key !== 'Escape' && key !== 'PageUp' && key !== 'PageDown';
  if (key === ' ' || key === 'Enter') return Boolean(el.closest('button, a, [role="button"], summary'));
  return false;
}
