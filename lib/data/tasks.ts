// The built-in synthetic tasks as one-line text examples (`sort: dbca|abcd`), each with a solver that
// scores a model's continuation by exact match; generated lines are checked against that same solver.
import { DataError, assertInt } from './errors';
import type { Rng } from './rng';

export type SyntheticTask = 'copy' | 'reverse' | 'sort' | 'modadd' | 'brackets' | 'mix';
export const SYNTHETIC_TASKS: readonly SyntheticTask[] = ['copy', 'reverse', 'sort', 'modadd', 'brackets', 'mix'];

export interface TaskOptions {
  /** Longest input of copy/reverse/sort/brackets, in characters (default 8). */
  maxLen?: number;
  /** Modulus of `add:` lines; operands are drawn from [0, modulus) (default 97, a prime as in grokking work). */
  modulus?: number;
}

/** One example: the model sees `prompt` and should continue with `answer` then a newline. */
export interface Example {
  prompt: string;
  answer: string;
  /** `prompt + answer + '\n'`, the line as it appears in the corpus. */
  line: string;
}

interface LineKind {
  /** Word before the colon; it tells the scorer which solver applies. */
  prefix: string;
  /** Ends the input; the answer follows it. */
  sep: '|' | '=';
  input(rng: Rng, o: Required<TaskOptions>): string;
  /** The answer for an input, or null when the input is not a valid input of this kind. */
  solve(input: string, o: Required<TaskOptions>): string | null;
}

const LETTERS = 'abcdefghijklmnopqrstuvwxyz';
const OPEN = '([{';
const CLOSE = ')]}';

const letters = (rng: Rng, o: Required<TaskOptions>): string =>
  Array.from({ length: rng.range(1, o.maxLen) }, () => LETTERS[rng.int(26)]).join('');
const isLetters = (s: string): boolean => /^[a-z]+$/.test(s);

/** A random balanced string of `pairs` pairs: open while there is room, close when only closers fit. */
function balanced(rng: Rng, pairs: number): string {
  const stack: number[] = [];
  let out = '';
  let opened = 0;
  while (out.length < 2 * pairs) {
    const canOpen = opened < pairs;
    if (canOpen && (stack.length === 0 || rng.int(2) === 0)) {
      const k = rng.int(3);
      stack.push(k);
      out += OPEN[k];
      opened++;
    } else {
      out += CLOSE[stack.pop()!];
    }
  }
  return out;
}

/** The closers that complete a prefix, or null when it is not the prefix of any balanced string. */
function closers(s: string): string | null {
  const stack: number[] = [];
  for (const ch of s) {
    const o = OPEN.indexOf(ch);
    const c = CLOSE.indexOf(ch);
    if (o >= 0) stack.push(o);
    else if (c < 0 || stack.pop() !== c) return null;
  }
  return stack.reverse().map((k) => CLOSE[k]).join('');
}
const isBrackets = (s: string): boolean => s.length > 0 && [...s].every((ch) => OPEN.includes(ch) || CLOSE.includes(ch));

const KINDS: Record<string, LineKind> = {
  copy: { prefix: 'copy', sep: '|', input: letters, solve: (s) => (isLetters(s) ? s : null) },
  reverse: { prefix: 'reverse', sep: '|', input: letters, solve: (s) => (isLetters(s) ? [...s].reverse().join('') : null) },
  sort: { prefix: 'sort', sep: '|', input: letters, solve: (s) => (isLetters(s) ? [...s].sort().join('') : null) },
  add: {
    prefix: 'add',
    sep: '=',
    input: (rng, o) => `${rng.int(o.modulus)}+${rng.int(o.modulus)}`,
    solve: (s, o) => {
      const m = /^(0|[1-9]\d*)\+(0|[1-9]\d*)$/.exec(s);
      if (!m || +m[1] >= o.modulus || +m[2] >= o.modulus) return null;
      return String((+m[1] + +m[2]) % o.modulus);
    },
  },
  balanced: {
    prefix: 'balanced',
    sep: '|',
    // Half balanced, half one edit away from balanced (a near miss is what makes the task non-trivial).
    input: (rng, o) => {
      const s = balanced(rng, rng.range(1, Math.max(1, o.maxLen >> 1)));
      if (rng.int(2) === 0) return s;
      const i = rng.int(s.length);
      const edit = rng.int(3);
      if (edit === 0 && s.length > 1) return s.slice(0, i) + s.slice(i + 1); // drop one
      const other = (OPEN + CLOSE).replace(s[i], '');
      return s.slice(0, i) + rng.pick([...other]) + s.slice(i + 1); // replace one
    },
    solve: (s) => (isBrackets(s) ? (closers(s) === '' ? 'yes' : 'no') : null),
  },
  close: {
    prefix: 'close',
    sep: '|',
    // Cut a balanced string where something is still open; the answer closes it.
    input: (rng, o) => {
      const s = balanced(rng, rng.range(1, Math.max(1, o.maxLen >> 1)));
      const cuts: number[] = [];
      for (let i = 1; i < s.length; i++) if (closers(s.slice(0, i))) cuts.push(i);
      return s.slice(0, rng.pick(cuts));
    },
    solve: (s) => {
      const c = isBrackets(s) ? closers(s) : null;
      return c ? c : null; // '' (nothing to close) is not a close: prompt
    },
  },
};

/** Which line kinds each task draws from; `mix` draws from all of them, one random kind per line. */
export const TASK_KINDS: Record<SyntheticTask, readonly string[]> = {
  copy: ['copy'],
  reverse: ['reverse'],
  sort: ['sort'],
  modadd: ['add'],
  brackets: ['balanced', 'close'],
  mix: ['copy', 'reverse', 'sort', 'add', 'balanced', 'close'],
};

export function resolveTaskOptions(opts: TaskOptions = {}): Required<TaskOptions> {
  const o = { maxLen: opts.maxLen ?? 8, modulus: opts.modulus ?? 97 };
  assertInt('maxLen', o.maxLen, 2, 64);
  assertInt('modulus', o.modulus, 2, 1_000_000);
  return o;
}

/** One random example of `task`. */
export function generateExample(task: SyntheticTask, rng: Rng, opts: TaskOptions = {}): Example {
  const kinds = TASK_KINDS[task];
  if (!kinds) throw new DataError('bad-option', `unknown synthetic task "${task}" (known: ${SYNTHETIC_TASKS.join(', ')})`);
  const o = resolveTaskOptions(opts);
  const kind = KINDS[rng.pick(kinds)];
  const input = kind.input(rng, o);
  const prompt = `${kind.prefix}: ${input}${kind.sep}`;
  const answer = kind.solve(input, o);
  if (answer === null) throw new Error(`generator bug: ${kind.prefix} produced an invalid input "${input}"`);
  return { prompt, answer, line: `${prompt}${answer}\n` };
}

/** The correct answer for a prompt such as `reverse: abc|` or `add: 17+25=`. */
export function solvePrompt(prompt: string, opts: TaskOptions = {}): string {
  const o = resolveTaskOptions(opts);
  const m = /^([a-z]+): (.*)$/s.exec(prompt);
  const kind = m ? KINDS[m[1]] : undefined;
  if (!m || !kind || !m[2].endsWith(kind.sep)) {
    throw new DataError('bad-prompt', `"${prompt}" is not a synthetic-task prompt (like "reverse: abc|" or "add: 17+25=")`);
  }
  const answer = kind.solve(m[2].slice(0, -1), o);
  if (answer === null) throw new DataError('bad-prompt', `"${prompt}" is not a valid ${kind.prefix} input`);
  return answer;
}

export interface Score {
  correct: boolean;
  expected: string;
  /** The continuation up to (not including) its first newline. */
  got: string;
}

/**
 * Exact match: the continuation must be the answer followed by a newline, so generate at least
 * `answer.length + 1` tokens. An unterminated continuation is wrong ("42" may have been going to be "427").
 */
export function scoreCompletion(prompt: string, continuation: string, opts: TaskOptions = {}): Score {
  const expected = solvePrompt(prompt, opts);
  const nl = continuation.indexOf('\n');
  const got = nl < 0 ? continuation : continuation.slice(0, nl);
  return { correct: nl >= 0 && got === expected, expected, got };
}

/** Fraction of exact matches over paired prompts and continuations. */
export function exactMatchAccuracy(prompts: readonly string[], continuations: readonly string[], opts: TaskOptions = {}): number {
  if (prompts.length !== continuations.length) {
    throw new DataError('bad-option', `${prompts.length} prompts but ${continuations.length} continuations`);
  }
  if (prompts.length === 0) return 0;
  let right = 0;
  for (let i = 0; i < prompts.length; i++) if (scoreCompletion(prompts[i], continuations[i], opts).correct) right++;
  return right / prompts.length;
}
