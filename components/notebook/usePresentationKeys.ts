'use client';
// Thin hook: routes key presses to the slide deck while presenting, leaving keys that belong to a field or button alone.
import { useEffect, useRef } from 'react';
import { keyBelongsToTarget, presentationKey, type SlideAction } from './keymap';

export function usePresentationKeys(enabled: boolean, onAction: (action: SlideAction) => void): void {
  const handler = useRef(onAction);
  useEffect(() => {
    handler.current = onAction;
  });
  useEffect(() => {
    if (!enabled) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || e.isComposing || keyBelongsToTarget(e.key, e.target)) return;
      if ((e.target as Element | null)?.closest?.('[role="dialog"]')) return;
      const action = presentationKey(e);
      if (!action) return;
      e.preventDefault();
      handler.current(action);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [enabled]);
}
