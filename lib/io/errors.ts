// Typed errors for every file format this project reads: callers switch on `code`, users read `message`.

export type FormatErrorCode =
  | 'truncated'
  | 'bad-header'
  | 'header-too-large'
  | 'too-large'
  | 'unexpected-tensor'
  | 'bad-offsets'
  | 'unknown-dtype'
  | 'shape-mismatch'
  | 'non-finite'
  | 'unsafe-pickle'
  | 'bad-pickle'
  | 'bad-zip'
  | 'bad-config'
  | 'bad-metadata'
  | 'missing-tensor'
  | 'duplicate-tensor'
  | 'unknown-format'
  | 'unsupported';

export class FormatError extends Error {
  override name = 'FormatError';
  constructor(
    readonly code: FormatErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Describes a value for an error message in at most `max` characters, whatever it is: a hostile pickle can
 * build a structure that prints to gigabytes (shared children doubling at every level) or nests a million
 * deep, so the walk stops as soon as the budget is spent and never recurses further than the text is long.
 */
export function describe(v: unknown, max = 80): string {
  let out = '';
  const full = () => out.length > max;
  const walk = (x: unknown): void => {
    if (full()) return;
    if (typeof x === 'string') out += JSON.stringify(x.length > max ? x.slice(0, max) : x);
    else if (typeof x === 'bigint') out += `${x}n`;
    else if (typeof x !== 'object' || x === null) out += String(x); // numbers keep Infinity and NaN, unlike JSON
    else if (x instanceof Uint8Array) out += `bytes(${x.length})`;
    else if (Array.isArray(x)) list('[', x, ']');
    else if (x instanceof Set) list('{', x, '}');
    else if (x instanceof Map) pairs(x);
    else if (Array.isArray((x as { items?: unknown }).items)) list('(', (x as { items: unknown[] }).items, ')');
    else pairs(Object.entries(x));
  };
  const list = (open: string, items: Iterable<unknown>, close: string) => {
    out += open;
    let first = true;
    for (const item of items) {
      if (full()) return;
      if (!first) out += ', ';
      first = false;
      walk(item);
    }
    out += close;
  };
  const pairs = (entries: Iterable<[unknown, unknown]>) => {
    out += '{';
    let first = true;
    for (const [k, val] of entries) {
      if (full()) return;
      if (!first) out += ', ';
      first = false;
      walk(k);
      out += ': ';
      walk(val);
    }
    out += '}';
  };
  walk(v);
  return out.length > max ? `${out.slice(0, max - 3)}...` : out;
}
