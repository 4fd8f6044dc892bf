// Generators for values that change over time (Observable's Generators.observe and .input); the runtime's DOM glue.

/** An async iterator whose return() stops it at once, even while a next() is waiting (an async generator could not). */
export interface ValueStream<T> extends AsyncIterableIterator<T> {
  next(): Promise<IteratorResult<T, undefined>>;
  return(): Promise<IteratorResult<T, undefined>>;
  throw(error?: unknown): Promise<IteratorResult<T, undefined>>;
}

/**
 * A stream of the values passed to `change`. Values that arrive while nobody is pulling collapse to the latest: a
 * cell shows the current value, not a backlog. `initialize` returns a dispose function, called on return().
 */
export function observe<T>(initialize: (change: (value: T) => void) => (() => void) | void): ValueStream<T> {
  let latest: { value: T } | null = null;
  let waiting: ((r: IteratorResult<T, undefined>) => void) | null = null;
  let done = false;
  const change = (value: T) => {
    if (done) return;
    if (waiting) {
      const resolve = waiting;
      waiting = null;
      resolve({ value, done: false });
    } else {
      latest = { value };
    }
  };
  const dispose = initialize(change);
  const finish = () => {
    if (done) return;
    done = true;
    latest = null;
    if (dispose) dispose();
    waiting?.({ value: undefined, done: true });
    waiting = null;
  };
  const stream: ValueStream<T> = {
    next() {
      if (done) return Promise.resolve({ value: undefined, done: true });
      if (latest) {
        const { value } = latest;
        latest = null;
        return Promise.resolve({ value, done: false });
      }
      return new Promise((resolve) => (waiting = resolve));
    },
    return() {
      finish();
      return Promise.resolve({ value: undefined, done: true });
    },
    throw(error?: unknown) {
      finish();
      return Promise.reject(error);
    },
    [Symbol.asyncIterator]() {
      return stream;
    },
  };
  return stream;
}

/** What input() reads: a form control, or anything (an Observable Inputs form) with a value and an input event. */
export interface InputLike extends EventTarget {
  value?: unknown;
  type?: string;
  checked?: boolean;
  valueAsNumber?: number;
  valueAsDate?: Date | null;
  multiple?: boolean;
  files?: ArrayLike<unknown> | null;
  selectedOptions?: ArrayLike<{ value: string }>;
}

/** The value a control stands for: a number for range/number inputs, a boolean for checkboxes, .value otherwise. */
export function valueOf(el: InputLike): unknown {
  switch (el.type) {
    case 'range':
    case 'number':
      return el.valueAsNumber;
    case 'date':
      return el.valueAsDate;
    case 'checkbox':
      return el.checked;
    case 'file':
      return el.multiple ? el.files : el.files?.[0];
    case 'select-multiple':
      return Array.from(el.selectedOptions ?? [], (o) => o.value);
    default:
      return el.value;
  }
}

function eventOf(el: InputLike): string {
  switch (el.type) {
    case 'button':
    case 'submit':
    case 'checkbox':
      return 'click';
    case 'file':
      return 'change';
    default:
      return 'input';
  }
}

/** The control's current value, then its value after each input event, until return(). */
export function input<T = unknown>(el: InputLike): ValueStream<T> {
  return observe<T>((change) => {
    const event = eventOf(el);
    const listener = () => change(valueOf(el) as T);
    el.addEventListener(event, listener);
    const initial = valueOf(el);
    if (initial !== undefined) change(initial as T);
    return () => el.removeEventListener(event, listener);
  });
}

/** Given to cells as the `Generators` builtin. */
export const Generators = { observe, input };
