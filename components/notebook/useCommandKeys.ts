'use client';
// Thin hook: routes key presses outside editors and inputs to the command-mode key map.
import { useEffect, useRef } from 'react';
import { commandKey, initialKeyState, isTextTarget, type CommandAction, type KeyState } from './keymap';

export function useCommandKeys(enabled: boolean, onAction: (action: CommandAction) => void): void {
  const handler = useRef(onAction);
  useEffect(() => {
    handler.current = onAction;
  });
  useEffect(() => {
    if (!enabled) return;
    let state: KeyState = initialKeyState;
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || e.isComposing || isTextTarget(e.target)) return;
      // Keys belong to an open dialog, not to the notebook behind it.
      const target = e.target as Element | null;
      if (target?.closest?.('[role="dialog"]')) return;
      // Enter on a focused button or link presses it.
      if (e.key === 'Enter' && target?.closest?.('button, a, [role="button"]')) return;
      const r = commandKey(e, state, performance.now());
      state = r.state;
      if (!r.action) return;
      e.preventDefault();
      handler.current(r.action);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [enabled]);
}
