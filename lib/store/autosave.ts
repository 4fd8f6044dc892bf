// Debounced saving: coalesces bursts of edits into one write, and can flush at once (page hide, navigation).

export interface Autosaver<T> {
  /** Asks for `value` to be saved after `delayMs` of quiet. */
  schedule(value: T): void;
  /** Writes the pending value now, if any; resolves when it is stored. */
  flush(): Promise<void>;
  /** Drops the pending value (e.g. after a revert) without writing it. */
  cancel(): void;
}

export function createAutosaver<T>(save: (value: T) => Promise<void>, delayMs = 400, onError?: (e: unknown) => void): Autosaver<T> {
  let pending: { value: T } | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  // Writes are chained so an older write can never land after a newer one.
  let chain: Promise<void> = Promise.resolve();

  const clear = () => {
    if (timer) clearTimeout(timer);
    timer = null;
  };
  const flush = () => {
    clear();
    if (pending) {
      const { value } = pending;
      pending = null;
      chain = chain.then(() => save(value)).catch((e) => onError?.(e));
    }
    return chain;
  };
  return {
    schedule(value) {
      pending = { value };
      clear();
      timer = setTimeout(() => void flush(), delayMs);
    },
    flush,
    cancel() {
      clear();
      pending = null;
    },
  };
}
