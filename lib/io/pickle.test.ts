// Pickle VM: agrees with CPython's pickler for protocols 0-5, and refuses everything outside the allow-list.
import { describe, expect, it } from 'vitest';
import { describe as describeValue, FormatError } from './errors';
import { callable, pickleLimits, PyTuple, unpickle, type PickleHooks } from './pickle';
import { PY_PICKLES } from './testdata/pyPickles';
import { PickleWriter } from './testUtils';
import { findTorchGlobal } from './torchGlobals';

const hex = (h: string) => new Uint8Array(h.match(/../g)!.map((b) => parseInt(b, 16)));

/** Python values as plain JSON-able data, so whole structures compare with one toEqual. */
function plain(v: unknown): unknown {
  if (v instanceof PyTuple) return { tuple: v.items.map(plain) };
  if (v instanceof Map) return Object.fromEntries([...v].map(([k, x]) => [String(k), plain(x)]));
  if (v instanceof Set) return { set: [...v].map(plain) };
  if (v instanceof Uint8Array) return { bytes: [...v] };
  if (Array.isArray(v)) return v.map(plain);
  if (typeof v === 'bigint') return `${v}n`;
  return v;
}

// Builtins the generic test value needs; a test-only allow-list (the torch one is stricter).
const hooks: PickleHooks = {
  findGlobal(m, n) {
    if ((m === 'builtins' || m === '__builtin__') && (n === 'set' || n === 'frozenset')) return callable(n, (a) => new Set((a[0] as unknown[]) ?? []));
    return findTorchGlobal(m, n);
  },
};

const EXPECTED = {
  a: [1, -2, 3.5, null, true, false, 255, 256, 65535, 65536, -1, 2 ** 31 - 1, -(2 ** 31)],
  b: { tuple: [1, 2, 3] },
  big: `${2n ** 70n}n`,
  neg: -(2 ** 40),
  s: 'h\u00e9llo \u20ac \u{1F600} \\u',
  bytes: { bytes: [0, 1, 255] },
  t1: { tuple: ['x'] },
  empty: { tuple: [] },
  set: { set: [7] },
  fs: { set: [8] },
  od: { k: 1 },
  f: -0.1,
  inf: Infinity,
  shared: { tuple: [[1], [1]] },
};

function fails(bytes: Uint8Array, h: PickleHooks = hooks): FormatError {
  try {
    unpickle(bytes, h);
  } catch (e) {
    if (e instanceof FormatError) return e;
    throw e;
  }
  throw new Error('expected a FormatError');
}

describe('unpickle', () => {
  PY_PICKLES.forEach((h, protocol) => {
    it(`reads CPython protocol ${protocol} exactly`, () => {
      const bytes = hex(h);
      const { value, end } = unpickle(bytes, hooks);
      expect(plain(value)).toEqual(EXPECTED);
      expect(end).toBe(bytes.length);
      // Memo sharing is kept: both tuple entries are the same list object, as in Python.
      const shared = (value as Map<string, PyTuple>).get('shared')!;
      expect(shared.items[0]).toBe(shared.items[1]);
    });
  });

  it('reports the end offset so consecutive pickles can be read', () => {
    const one = new PickleWriter().proto(2).int(7).stop().bytes();
    const two = new Uint8Array([...one, ...new PickleWriter().proto(2).str('x').stop().bytes()]);
    const first = unpickle(two, hooks);
    expect(first).toEqual({ value: 7, end: one.length });
    expect(unpickle(two, hooks, first.end).value).toBe('x');
  });

  it('passes persistent ids to the loader', () => {
    const bytes = new PickleWriter().proto(2).str('key').op(0x51).stop().bytes();
    expect(unpickle(bytes, { findGlobal: hooks.findGlobal, persistentLoad: (pid) => ({ loaded: pid }) }).value).toEqual({ loaded: 'key' });
    expect(fails(bytes).code).toBe('unsupported');
  });
});

describe('malicious and malformed pickles', () => {
  it('refuses os.system via GLOBAL + REDUCE before anything could be called', () => {
    const evil = new PickleWriter().proto(2).global('os', 'system').str('touch /tmp/pwned').op(0x85).reduce().stop().bytes();
    const e = fails(evil);
    expect(e.code).toBe('unsafe-pickle');
    expect(e.message).toContain('refusing to load global os.system');
  });

  it('refuses builtins.eval via STACK_GLOBAL (protocol 4)', () => {
    const evil = new PickleWriter().proto(4).op(0x8c, 8, ...new TextEncoder().encode('builtins')).op(0x8c, 4, ...new TextEncoder().encode('eval')).op(0x93).stop().bytes();
    expect(fails(evil).message).toContain('builtins.eval');
  });

  it('refuses INST and OBJ of disallowed classes, and EXT registry codes', () => {
    expect(fails(new PickleWriter().mark().str('ls').op(0x69, ...new TextEncoder().encode('subprocess\nPopen\n')).stop().bytes()).code).toBe('unsafe-pickle');
    expect(fails(new PickleWriter().proto(2).op(0x82, 1).stop().bytes()).code).toBe('unsafe-pickle');
    // torch names outside the allow-list are refused too (torch.load would import them).
    expect(fails(new PickleWriter().proto(2).global('torch.nn.modules.linear', 'Linear').stop().bytes()).code).toBe('unsafe-pickle');
    expect(fails(new PickleWriter().proto(2).global('torch', 'load').stop().bytes()).code).toBe('unsafe-pickle');
  });

  it('refuses to call things that are not allowed callables (e.g. a storage type or a string)', () => {
    const callType = new PickleWriter().proto(2).global('torch', 'FloatStorage').emptyTuple().reduce().stop().bytes();
    expect(fails(callType).code).toBe('bad-pickle');
    const callStr = new PickleWriter().proto(2).str('os.system').emptyTuple().reduce().stop().bytes();
    expect(fails(callStr).code).toBe('bad-pickle');
  });

  it('fails cleanly on truncation, underflow, bad memo, unknown opcodes and giant lengths', () => {
    const good = new PickleWriter().proto(2).emptyDict().str('a').int(1).op(0x73).stop().bytes();
    for (let n = 0; n < good.length; n++) expect(fails(good.subarray(0, n)).code).toBe('truncated');
    expect(fails(new Uint8Array([0x80, 2, 0x74, 0x2e])).code).toBe('bad-pickle'); // TUPLE without MARK
    expect(fails(new Uint8Array([0x80, 2, 0x2e])).code).toBe('bad-pickle'); // STOP on empty stack
    expect(fails(new Uint8Array([0x80, 2, 0x68, 5, 0x2e])).code).toBe('bad-pickle'); // BINGET unset memo
    expect(fails(new Uint8Array([0x80, 2, 0xff, 0x2e])).code).toBe('bad-pickle');
    expect(fails(new Uint8Array([0x80, 9, 0x2e])).code).toBe('unsupported');
    expect(fails(new Uint8Array([0x58, 0xff, 0xff, 0xff, 0x7f, 0x2e])).code).toBe('truncated'); // 2 GB string
    expect(fails(new Uint8Array([0x8e, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])).code).toBe('truncated');
    expect(fails(new Uint8Array([0x8b, 0x00, 0x00, 0x10, 0x00, 0x2e])).code).toBe('bad-pickle'); // LONG4 of 1 MB
    expect(fails(new Uint8Array([0x4b, 1, 0x4b, 2, 0x73, 0x2e])).code).toBe('bad-pickle'); // SETITEM on an int
    expect(fails(new Uint8Array([0x28, 0x4b, 1, 0x2e])).code).toBe('bad-pickle'); // STOP inside MARK
    expect(fails(new Uint8Array([0x58, 2, 0, 0, 0, 0xc3, 0x28, 0x2e])).code).toBe('bad-pickle'); // bad UTF-8
  });
});

describe('pickle bombs', () => {
  const repeat = (w: PickleWriter, n: number, ...ops: number[]) => {
    for (let i = 0; i < n; i++) w.op(...ops);
    return w;
  };

  it('limits the stack: 175 KB of DUP', () => {
    const e = fails(repeat(new PickleWriter().proto(2).op(0x4e), 175_000, 0x32).stop().bytes());
    expect(e.code).toBe('too-large');
    expect(e.message).toMatch(/more than 65536 values on the stack/);
  });

  it('limits the memo with a FormatError, not "Map maximum size exceeded"', () => {
    const e = fails(repeat(new PickleWriter().proto(4).op(0x4e), 300_000, 0x94).stop().bytes());
    expect(e.code).toBe('too-large');
    expect(e.message).toMatch(/more than 75001 memo entries/);
    // Scattered LONG_BINPUT indices count the same (5 bytes each stay under n / 4, so a tighter limit shows it).
    const w = new PickleWriter().proto(2).op(0x4e);
    for (let i = 0; i < 2000; i++) w.op(0x72, i & 0xff, (i >> 8) & 0xff, 0x40, 0x40);
    const bytes = w.stop().bytes();
    expect(() => unpickle(bytes, hooks, 0, { ...pickleLimits(bytes.length), maxMemo: 1000 })).toThrow(/more than 1000 memo entries/);
    expect(pickleLimits(1 << 30).maxMemo).toBe(1 << 22);
  });

  it('limits MARK nesting', () => {
    expect(fails(repeat(new PickleWriter().proto(2), 5000, 0x28).stop().bytes()).message).toMatch(/more than 4096 nested MARKs/);
  });

  it('counts what allowed callables copy, so re-building one big list is not quadratic', () => {
    // A 10,000-int list in memo 0, then torch.Size(memo0) over and over: 30 bytes of pickle per 10,000 copies.
    const w = new PickleWriter().proto(2).op(0x5d).mark();
    for (let i = 0; i < 10_000; i++) w.op(0x4b, i & 0xff);
    w.op(0x65, 0x71, 0, 0x30).global('torch', 'Size').op(0x71, 1, 0x30);
    repeat(w, 5000, 0x68, 1, 0x68, 0, 0x85, 0x52, 0x30);
    const t0 = performance.now();
    expect(fails(w.emptyDict().stop().bytes()).message).toMatch(/container items built/);
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  it('takes explicit limits, e.g. on opcodes', () => {
    const ok = new PickleWriter().proto(2).op(0x4e, 0x30, 0x4e).stop().bytes();
    expect(unpickle(ok, hooks).value).toBeNull();
    expect(() => unpickle(ok, hooks, 0, { ...pickleLimits(ok.length), maxOps: 3 })).toThrow(/more than 3 opcodes/);
  });

  it('describes a value that would print to gigabytes in 80 characters', () => {
    // Each TUPLE2 of a DUP doubles what JSON.stringify would write: 2^40 leaves from 80 bytes of pickle.
    const w = repeat(new PickleWriter().proto(2).emptyTuple(), 40, 0x32, 0x86);
    const { value } = unpickle(w.stop().bytes(), hooks);
    const t0 = performance.now();
    const text = describeValue(value);
    expect(performance.now() - t0).toBeLessThan(50);
    expect(text.length).toBeLessThanOrEqual(80);
    expect(text.startsWith('((((')).toBe(true);
    // A million levels deep does not overflow the call stack either.
    const deep = unpickle(repeat(new PickleWriter().proto(2).emptyTuple(), 1_000_000, 0x85).stop().bytes(), hooks).value;
    expect(describeValue(deep).length).toBeLessThanOrEqual(80);
    expect(describeValue([Infinity, -Infinity, NaN, 2n ** 70n])).toBe('[Infinity, -Infinity, NaN, 1180591620717411303424n]');
  });
});
