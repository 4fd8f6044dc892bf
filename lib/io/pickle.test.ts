// Pickle VM: agrees with CPython's pickler for protocols 0-5, and refuses everything outside the allow-list.
import { describe, expect, it } from 'vitest';
import { FormatError } from './errors';
import { callable, PyTuple, unpickle, type PickleHooks } from './pickle';
import { PY_PICKLES } from './testdata/py-pickles';
import { PickleWriter } from './test-utils';
import { findTorchGlobal } from './torch-globals';

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
