// The loop guard: compiled cells call it from every loop body, and it stops code that has held the thread for seconds.
//
// "Held the thread" is measured with a ping: the first check posts a macrotask (a MessageChannel message) and notes the
// time; the ping's arrival proves the event loop turned. A check that finds its ping unanswered for longer than the limit
// throws. Nothing runs while no loop does (no timer, no polling), a hidden tab's throttled timers cannot make a loop look
// stuck, and an async loop that only ever awaits resolved promises (which starves the page just as well) is caught too.

export const DEFAULT_LOOP_LIMIT_MS = 5000;

/** Most loop iterations between two clock reads; fewer when iterations are slow, so a check still comes every few ms. */
const MAX_STRIDE = 1 << 14;

/** Thrown inside a loop of cell code that has run `limitMs` without letting the page do anything else. */
export class LoopGuardError extends Error {
  constructor(limitMs: number) {
    super(`cell ran for ${+(limitMs / 1000).toFixed(1)} s without yielding (infinite loop?): stopped`);
    this.name = 'LoopGuardError';
  }
}

/** Called from every loop body of compiled cell code; returns how many iterations may pass before the next call. */
export type LoopCheck = () => number;

export interface LoopGuard {
  readonly check: LoopCheck;
  readonly limitMs: number;
  /** Closes the ping channel; a check after this still works (it opens a new one). */
  dispose(): void;
}

export interface LoopGuardOptions {
  /** How long code may hold the thread before a loop check throws (default 5000 ms). */
  limitMs?: number;
  /** Clock in ms (default `performance.now`); tests pass a fake. */
  now?: () => number;
  /** Runs `fn` as a macrotask, i.e. after the current task and its microtasks (default: a MessageChannel message). */
  post?: (fn: () => void) => void;
}

export function createLoopGuard(opts: LoopGuardOptions = {}): LoopGuard {
  const limitMs = opts.limitMs ?? DEFAULT_LOOP_LIMIT_MS;
  if (!(limitMs > 0) || !Number.isFinite(limitMs)) throw new RangeError(`loop guard limit must be a positive number of ms, got ${limitMs}`);
  const now = opts.now ?? (() => performance.now());
  let channel: MessageChannel | null = null;
  const post =
    opts.post ??
    ((fn: () => void) => {
      if (!channel) {
        channel = new MessageChannel();
        channel.port1.onmessage = () => fn();
        // Node: a pending ping must not keep the process alive.
        (channel.port1 as { unref?: () => void }).unref?.();
      }
      channel.port2.postMessage(null);
    });

  /** When the unanswered ping was posted; null when none is out. */
  let pingAt: number | null = null;
  /** The gap forgiveness below is used once per ping. */
  let forgiven = false;
  let lastCheck = -Infinity;
  let stride = 1;
  const answered = () => {
    pingAt = null;
  };

  const check: LoopCheck = () => {
    const t = now();
    const gap = t - lastCheck;
    lastCheck = t;
    if (gap < 2) stride = Math.min(MAX_STRIDE, stride * 2);
    else if (gap > 16) stride = Math.max(1, stride >> 3);
    if (pingAt === null) {
      pingAt = t;
      forgiven = false;
      post(answered);
    } else if (gap > limitMs && !forgiven) {
      // No check for longer than the limit: the machine slept or the page was frozen with a ping in its queue, or one
      // iteration ran that long. Count again from now, once; the smaller stride makes the next gaps short.
      forgiven = true;
      pingAt = t;
    } else if (t - pingAt > limitMs) {
      // The ping stays unanswered, so every further check throws too: code that catches this cannot loop on.
      throw new LoopGuardError(limitMs);
    }
    return stride;
  };

  return {
    check: Object.freeze(check),
    limitMs,
    dispose() {
      channel?.port1.close();
      channel = null;
      pingAt = null;
    },
  };
}

let shared: LoopGuard | null = null;

/** One guard with the default limit, for cell functions made without a runtime's own (tests, tools). */
export function defaultLoopGuard(): LoopGuard {
  return (shared ??= createLoopGuard());
}
