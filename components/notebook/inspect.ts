// A short, readable text form of any cell value that is not a DOM node (Observable's inspector, in miniature).

const MAX_ITEMS = 20;
const MAX_DEPTH = 3;
const MAX_STRING = 2000;

function typedArrayName(v: unknown): string | null {
  return ArrayBuffer.isView(v) && !(v instanceof DataView) ? v.constructor.name : null;
}

function key(k: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(k) ? k : JSON.stringify(k);
}

function inner(v: unknown, depth: number, seen: WeakSet<object>, maxDepth = MAX_DEPTH): string {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'undefined':
      return 'undefined';
    case 'string':
      return depth === 0 ? (v.length > MAX_STRING ? v.slice(0, MAX_STRING) + '…' : v) : JSON.stringify(v.length > 80 ? v.slice(0, 80) + '…' : v);
    case 'number':
      return Object.is(v, -0) ? '-0' : String(v);
    case 'bigint':
      return `${v}n`;
    case 'boolean':
      return String(v);
    case 'symbol':
      return v.toString();
    case 'function':
      return `ƒ ${v.name || '(anonymous)'}()`;
  }
  const o = v as object;
  if (seen.has(o)) return '[circular]';
  if (o instanceof Date) return o.toISOString();
  if (o instanceof Error) return `${o.name}: ${o.message}`;
  if (o instanceof RegExp) return String(o);
  if (o instanceof Promise) return 'Promise {…}';
  const typed = typedArrayName(o);
  const empty = (Array.isArray(o) && o.length === 0) || (Object.getPrototypeOf(o) === Object.prototype && Object.keys(o).length === 0);
  if (depth >= maxDepth && !empty) return Array.isArray(o) ? `Array(${o.length})` : typed ? `${typed}(${(o as ArrayLike<unknown>).length})` : '{…}';
  seen.add(o);
  try {
    if (typed || Array.isArray(o)) {
      const arr = o as ArrayLike<unknown>;
      const items = Array.from({ length: Math.min(arr.length, MAX_ITEMS) }, (_, i) => inner(arr[i], depth + 1, seen, maxDepth));
      if (arr.length > MAX_ITEMS) items.push(`… ${arr.length - MAX_ITEMS} more`);
      return `${typed ? `${typed}(${arr.length}) ` : arr.length > MAX_ITEMS ? `Array(${arr.length}) ` : ''}[${items.join(', ')}]`;
    }
    if (o instanceof Map) {
      const items = [...o].slice(0, MAX_ITEMS).map(([k, val]) => `${inner(k, depth + 1, seen, maxDepth)} => ${inner(val, depth + 1, seen, maxDepth)}`);
      return `Map(${o.size}) {${items.join(', ')}${o.size > MAX_ITEMS ? ', …' : ''}}`;
    }
    if (o instanceof Set) {
      const items = [...o].slice(0, MAX_ITEMS).map((x) => inner(x, depth + 1, seen, maxDepth));
      return `Set(${o.size}) {${items.join(', ')}${o.size > MAX_ITEMS ? ', …' : ''}}`;
    }
    const entries = Object.entries(o);
    const items = entries.slice(0, MAX_ITEMS).map(([k, val]) => `${key(k)}: ${inner(val, depth + 1, seen, maxDepth)}`);
    if (entries.length > MAX_ITEMS) items.push(`… ${entries.length - MAX_ITEMS} more`);
    const name = o.constructor && o.constructor !== Object ? `${o.constructor.name} ` : '';
    return `${name}{${items.join(', ')}}`;
  } finally {
    seen.delete(o);
  }
}

/** Text for a value; top-level strings print raw (like console.log), nested ones quoted. */
export function inspect(v: unknown, opts: { depth?: number } = {}): string {
  return inner(v, 0, new WeakSet(), opts.depth ?? MAX_DEPTH);
}

/** Whether a value has insides worth folding (objects, arrays, maps...), as opposed to a one-line primitive. */
export function isExpandable(v: unknown): boolean {
  return typeof v === 'object' && v !== null && !(v instanceof Date) && !(v instanceof RegExp) && !(v instanceof Error) && !(v instanceof Promise);
}

/** Multi-line form of a value, one key per line, nested values indented (the expanded view). */
export function inspectTree(v: unknown, indent = '', depth = 0, seen = new WeakSet<object>()): string {
  if (!isExpandable(v) || depth >= 6 || ArrayBuffer.isView(v)) return inner(v, 1, new WeakSet());
  const o = v as object;
  if (seen.has(o)) return '[circular]';
  seen.add(o);
  try {
    const next = indent + '  ';
    const entries: [string, unknown][] =
      o instanceof Map ? [...o].map(([k, x]) => [inner(k, 1, new WeakSet()), x]) : o instanceof Set ? [...o].map((x, i) => [String(i), x]) : Object.entries(o);
    const shown = entries.slice(0, 200).map(([k, x]) => `${next}${Array.isArray(o) ? '' : `${o instanceof Map ? k : key(k)}: `}${inspectTree(x, next, depth + 1, seen)}`);
    if (entries.length > 200) shown.push(`${next}… ${entries.length - 200} more`);
    const [open, close] = Array.isArray(o) || o instanceof Set ? ['[', ']'] : ['{', '}'];
    const name = Array.isArray(o) ? '' : o instanceof Map ? `Map(${o.size}) ` : o instanceof Set ? `Set(${o.size}) ` : o.constructor && o.constructor !== Object ? `${o.constructor.name} ` : '';
    return shown.length ? `${name}${open}\n${shown.join(',\n')}\n${indent}${close}` : `${name}${open}${close}`;
  } finally {
    seen.delete(o);
  }
}
