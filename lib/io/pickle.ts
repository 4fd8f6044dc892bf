// A pickle reader that never executes anything: globals are resolved only through the caller's allow-list.
import { describe, FormatError } from './errors';

/** A Python tuple (lists are JS arrays, dicts are Maps, sets are Sets, bytes are Uint8Arrays). */
export class PyTuple {
  constructor(readonly items: unknown[]) {}
}

/** What an allow-listed global stands for: a pure function of its (already parsed) arguments. */
export interface PyCallable {
  readonly kind: 'callable';
  readonly qualname: string;
  call(args: unknown[]): unknown;
}

export const callable = (qualname: string, call: (args: unknown[]) => unknown): PyCallable => ({ kind: 'callable', qualname, call });
const isCallable = (x: unknown): x is PyCallable => typeof x === 'object' && x !== null && (x as PyCallable).kind === 'callable';

export interface PickleHooks {
  /** Returns what `module.name` stands for, or throws FormatError('unsafe-pickle'). Never imports or runs code. */
  findGlobal(module: string, name: string): unknown;
  /** Resolves persistent ids (PyTorch uses them for tensor storages); without it they are an error. */
  persistentLoad?(pid: unknown): unknown;
}

export interface UnpickleResult {
  value: unknown;
  /** Offset just after the STOP opcode, where the next pickle (if any) starts. */
  end: number;
}

// Integers in tensor pickles are shapes, offsets and the 10-byte legacy magic; longer ones are abuse.
export const MAX_LONG_BYTES = 64;

/**
 * Resource limits of one run, by default proportional to the pickle's size `n` (bytes from `start`) with floors
 * that no real state dict comes near. A run that would pass one stops with FormatError('too-large').
 */
export interface PickleLimits {
  /** Opcodes executed. Every opcode takes at least one byte, so n + 1 is a guard, never the binding limit. */
  maxOps: number;
  /** Values on the stack, all open MARK levels together: max(65,536, n / 16). */
  maxStack: number;
  /** Memo entries: max(65,536, n / 4), at most 2^22 (~200 MB of Map; a JS Map holds at most 2^24). */
  maxMemo: number;
  /** Open MARKs (nesting): 4,096. */
  maxMarks: number;
  /** Container items built or copied, including the results of allowed callables: max(2^22, 16 n). */
  maxWork: number;
}

export function pickleLimits(n: number): PickleLimits {
  return {
    maxOps: n + 1,
    maxStack: Math.max(1 << 16, Math.floor(n / 16)),
    maxMemo: Math.min(Math.max(1 << 16, Math.floor(n / 4)), 1 << 22),
    maxMarks: 4096,
    maxWork: Math.max(1 << 22, 16 * n),
  };
}

/**
 * Runs the pickle at `start` until STOP. Throws FormatError ('truncated', 'bad-pickle', 'unsafe-pickle',
 * 'unsupported', 'too-large' past a limit).
 */
export function unpickle(bytes: Uint8Array, hooks: PickleHooks, start = 0, limits: PickleLimits = pickleLimits(bytes.length - start)): UnpickleResult {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  let pos = start;
  let stack: unknown[] = [];
  const metastack: unknown[][] = [];
  const memo = new Map<number, unknown>();
  let below = 0; // values held by the stacks under open MARKs
  let ops = 0;
  let work = 0;

  const bad = (msg: string) => new FormatError('bad-pickle', `pickle byte ${pos}: ${msg}`);
  const over = (what: string, limit: number) => new FormatError('too-large', `pickle byte ${pos}: more than ${limit} ${what} (a pickle bomb?)`);
  const push = (x: unknown) => {
    if (below + stack.length >= limits.maxStack) throw over('values on the stack', limits.maxStack);
    stack.push(x);
  };
  const spend = (n: number) => {
    work += n;
    if (work > limits.maxWork) throw over('container items built', limits.maxWork);
  };
  const remember = (i: number, x: unknown) => {
    if (!memo.has(i) && memo.size >= limits.maxMemo) throw over('memo entries', limits.maxMemo);
    memo.set(i, x);
  };
  const need = (n: number) => {
    if (n < 0 || pos + n > bytes.length) throw new FormatError('truncated', `pickle ends inside an opcode at byte ${pos} (needs ${n} more bytes, ${bytes.length - pos} left)`);
  };
  const take = (n: number) => {
    need(n);
    pos += n;
    return bytes.subarray(pos - n, pos);
  };
  const u8 = () => (need(1), bytes[pos++]);
  const u16 = () => (need(2), (pos += 2), dv.getUint16(pos - 2, true));
  const i32 = () => (need(4), (pos += 4), dv.getInt32(pos - 4, true));
  const u32 = () => (need(4), (pos += 4), dv.getUint32(pos - 4, true));
  const u64 = () => {
    need(8);
    const lo = dv.getUint32(pos, true);
    const hi = dv.getUint32(pos + 4, true);
    pos += 8;
    return hi * 2 ** 32 + lo; // > 2^53 only for lengths that fail the `need` check anyway
  };
  const line = () => {
    const nl = bytes.indexOf(0x0a, pos);
    if (nl < 0) throw new FormatError('truncated', `pickle ends inside a text line at byte ${pos}`);
    const s = new TextDecoder('latin1').decode(bytes.subarray(pos, nl));
    pos = nl + 1;
    return s;
  };
  const str = (n: number) => {
    try {
      return utf8.decode(take(n));
    } catch (e) {
      if (e instanceof FormatError) throw e;
      throw bad('string is not valid UTF-8');
    }
  };
  const pop = () => {
    if (!stack.length) throw bad('stack underflow');
    return stack.pop();
  };
  const top = () => {
    if (!stack.length) throw bad('stack underflow');
    return stack[stack.length - 1];
  };
  // Note: `stack.push(f(popMark()))` would push onto the stack popMark just left; always pop into a const first.
  const popMark = () => {
    const items = stack;
    const prev = metastack.pop();
    if (!prev) throw bad('no MARK on the stack');
    below -= prev.length;
    stack = prev;
    return items;
  };
  const pairsInto = (d: unknown, items: unknown[]) => {
    if (!(d instanceof Map)) throw bad(`SETITEM(S) on ${typeName(d)}, not a dict`);
    if (items.length % 2) throw bad('SETITEMS with an odd number of items');
    spend(items.length);
    for (let i = 0; i < items.length; i += 2) d.set(items[i], items[i + 1]);
  };
  const appendInto = (l: unknown, items: unknown[]) => {
    if (!Array.isArray(l)) throw bad(`APPEND(S) on ${typeName(l)}, not a list`);
    spend(items.length);
    for (const x of items) l.push(x);
  };
  const callGlobal = (f: unknown, args: unknown, op: string) => {
    if (!isCallable(f)) throw bad(`${op} on ${typeName(f)}, which is not an allowed callable`);
    if (!(args instanceof PyTuple)) throw bad(`${op} arguments are ${typeName(args)}, not a tuple`);
    // Allowed callables copy their arguments (OrderedDict, torch.Size, _codecs.encode): called again and
    // again on one memoized list, that is quadratic, so what they take and make counts as work.
    spend(args.items.length + sizeOf(args.items[0]));
    const out = f.call(args.items);
    spend(sizeOf(out));
    return out;
  };
  const global = (module: string, name: string) => hooks.findGlobal(module, name);
  const persistent = (pid: unknown) => {
    if (!hooks.persistentLoad) throw new FormatError('unsupported', 'pickle uses persistent ids but no loader was given');
    return hooks.persistentLoad(pid);
  };
  const long = (n: number) => {
    if (n > MAX_LONG_BYTES) throw bad(`integer of ${n} bytes (limit ${MAX_LONG_BYTES})`);
    const b = take(n);
    if (!n) return 0;
    // One hex string, not a shift per byte: the per-byte loop is quadratic in the integer's length.
    let hex = '';
    for (let i = n - 1; i >= 0; i--) hex += b[i].toString(16).padStart(2, '0');
    let v = BigInt(`0x${hex}`);
    if (b[n - 1] & 0x80) v -= 1n << BigInt(8 * n);
    return small(v);
  };
  const memoIndex = (n: number) => {
    if (!memo.has(n)) throw bad(`memo ${n} read before it was written`);
    return memo.get(n);
  };

  try {
    return loop();
  } catch (e) {
    // Whatever the limits missed (an engine limit such as the call stack) still ends as a FormatError.
    if (e instanceof RangeError) throw new FormatError('too-large', `pickle byte ${pos}: ${e.message}`);
    throw e;
  }

  function loop(): UnpickleResult {
    for (;;) {
      if (++ops > limits.maxOps) throw over('opcodes', limits.maxOps);
      const op = u8();
      switch (op) {
        case 0x80: { // PROTO
          const p = u8();
          if (p > 5) throw new FormatError('unsupported', `pickle protocol ${p} (only 0-5 are known)`);
          break;
        }
        case 0x95: { // FRAME: a length hint only; the data follows inline
          const n = u64();
          need(n);
          break;
        }
        case 0x2e: // STOP
          if (metastack.length) throw bad('STOP inside an open MARK');
          return { value: pop(), end: pos };
        case 0x28: // MARK
          if (metastack.length >= limits.maxMarks) throw over('nested MARKs', limits.maxMarks);
          metastack.push(stack);
          below += stack.length;
          stack = [];
          break;
        case 0x30: // POP
          if (stack.length) stack.pop();
          else popMark();
          break;
        case 0x31: popMark(); break; // POP_MARK
        case 0x32: push(top()); break; // DUP
        case 0x4e: push(null); break; // NONE
        case 0x88: push(true); break; // NEWTRUE
        case 0x89: push(false); break; // NEWFALSE
        case 0x4b: push(u8()); break; // BININT1
        case 0x4d: push(u16()); break; // BININT2
        case 0x4a: push(i32()); break; // BININT
        case 0x8a: push(long(u8())); break; // LONG1
        case 0x8b: { // LONG4
          const n = i32();
          if (n < 0) throw bad('negative LONG4 length');
          push(long(n));
          break;
        }
        case 0x49: { // INT (text; "00"/"01" are False/True in protocol 0)
          const s = line();
          push(s === '00' ? false : s === '01' ? true : textInt(s, bad));
          break;
        }
        case 0x4c: push(textInt(line().replace(/L$/, ''), bad)); break; // LONG (text)
        case 0x46: { // FLOAT (text)
          const s = line().trim().toLowerCase();
          const v = s === 'inf' ? Infinity : s === '-inf' ? -Infinity : Number(s);
          if (s === '' || (Number.isNaN(v) && s !== 'nan' && s !== '-nan')) throw bad(`bad float ${describe(s)}`);
          push(v);
          break;
        }
        case 0x47: push((need(8), (pos += 8), dv.getFloat64(pos - 8, false))); break; // BINFLOAT (big-endian)
        case 0x58: push(str(u32())); break; // BINUNICODE
        case 0x8c: push(str(u8())); break; // SHORT_BINUNICODE
        case 0x8d: push(str(u64())); break; // BINUNICODE8
        case 0x54: { // BINSTRING (Python 2 str; legacy checkpoints), read as latin-1
          const n = i32();
          if (n < 0) throw bad('negative BINSTRING length');
          push(new TextDecoder('latin1').decode(take(n)));
          break;
        }
        case 0x56: push(rawUnicodeEscape(line(), bad)); break; // UNICODE (protocol 0 text)
        case 0x55: push(new TextDecoder('latin1').decode(take(u8()))); break; // SHORT_BINSTRING
        case 0x42: push(take(u32()).slice()); break; // BINBYTES
        case 0x43: push(take(u8()).slice()); break; // SHORT_BINBYTES
        case 0x8e: case 0x96: push(take(u64()).slice()); break; // BINBYTES8, BYTEARRAY8
        case 0x7d: push(new Map()); break; // EMPTY_DICT
        case 0x5d: push([]); break; // EMPTY_LIST
        case 0x29: push(new PyTuple([])); break; // EMPTY_TUPLE
        case 0x8f: push(new Set()); break; // EMPTY_SET
        case 0x90: { // ADDITEMS
          const items = popMark();
          const s = top();
          if (!(s instanceof Set)) throw bad(`ADDITEMS on ${typeName(s)}`);
          spend(items.length);
          for (const x of items) s.add(x);
          break;
        }
        case 0x91: { const items = popMark(); spend(items.length); push(new Set(items)); break; } // FROZENSET
        case 0x74: { const items = popMark(); push(new PyTuple(items)); break; } // TUPLE
        case 0x85: push(new PyTuple([pop()])); break; // TUPLE1
        case 0x86: { const b = pop(); const a = pop(); push(new PyTuple([a, b])); break; } // TUPLE2
        case 0x87: { const c = pop(); const b = pop(); const a = pop(); push(new PyTuple([a, b, c])); break; } // TUPLE3
        case 0x6c: { const items = popMark(); push(items); break; } // LIST
        case 0x64: { const d = new Map(); pairsInto(d, popMark()); push(d); break; } // DICT
        case 0x61: { const x = pop(); appendInto(top(), [x]); break; } // APPEND
        case 0x65: { const items = popMark(); appendInto(top(), items); break; } // APPENDS
        case 0x73: { const v = pop(); const k = pop(); pairsInto(top(), [k, v]); break; } // SETITEM
        case 0x75: { const items = popMark(); pairsInto(top(), items); break; } // SETITEMS
        case 0x63: { const m = line(); const n = line(); push(global(m, n)); break; } // GLOBAL
        case 0x93: { // STACK_GLOBAL
          const n = pop();
          const m = pop();
          if (typeof m !== 'string' || typeof n !== 'string') throw bad('STACK_GLOBAL needs two strings');
          push(global(m, n));
          break;
        }
        case 0x69: { const m = line(); const n = line(); const f = global(m, n); const args = new PyTuple(popMark()); push(callGlobal(f, args, 'INST')); break; } // INST
        case 0x6f: { const [cls, ...args] = popMark(); push(callGlobal(cls, new PyTuple(args), 'OBJ')); break; } // OBJ
        case 0x52: { const args = pop(); push(callGlobal(pop(), args, 'REDUCE')); break; } // REDUCE
        case 0x81: { const args = pop(); push(callGlobal(pop(), args, 'NEWOBJ')); break; } // NEWOBJ
        case 0x92: { // NEWOBJ_EX
          const kwargs = pop();
          const args = pop();
          if (!(kwargs instanceof Map) || kwargs.size) throw bad('NEWOBJ_EX with keyword arguments');
          push(callGlobal(pop(), args, 'NEWOBJ_EX'));
          break;
        }
        case 0x62: // BUILD: object state (e.g. a state dict's `_metadata`) carries nothing we use, so it is dropped
          pop();
          top();
          break;
        case 0x51: push(persistent(pop())); break; // BINPERSID
        case 0x50: push(persistent(line())); break; // PERSID
        case 0x71: remember(u8(), top()); break; // BINPUT
        case 0x72: remember(u32(), top()); break; // LONG_BINPUT
        case 0x70: remember(textIndex(line(), bad), top()); break; // PUT
        case 0x94: remember(memo.size, top()); break; // MEMOIZE
        case 0x68: push(memoIndex(u8())); break; // BINGET
        case 0x6a: push(memoIndex(u32())); break; // LONG_BINGET
        case 0x67: push(memoIndex(textIndex(line(), bad))); break; // GET
        case 0x82: case 0x83: case 0x84: // EXT1/2/4: the copyreg registry maps codes to arbitrary globals
          throw new FormatError('unsafe-pickle', 'refusing to load a copyreg extension code (EXT opcode): it names a global outside the allow-list');
        case 0x97: case 0x98: // NEXT_BUFFER, READONLY_BUFFER
          throw new FormatError('unsupported', 'pickle uses out-of-band buffers (protocol 5), which a file cannot carry');
        default:
          pos--;
          throw bad(`unknown or unsupported opcode 0x${op.toString(16).padStart(2, '0')}`);
      }
    }
  }
}

function small(v: bigint): number | bigint {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

function textInt(s: string, bad: (m: string) => FormatError): number | bigint {
  if (!/^\s*[-+]?\d{1,300}\s*$/.test(s)) throw bad(`bad integer ${describe(s)}`);
  return small(BigInt(s.trim().replace(/^\+/, '')));
}

/** Python's raw-unicode-escape: latin-1 text where only \\uXXXX and \\UXXXXXXXX are escapes. */
function rawUnicodeEscape(s: string, bad: (m: string) => FormatError): string {
  return s.replace(/\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g, (_, u: string | undefined, U: string | undefined) => {
    const cp = parseInt(u ?? U!, 16);
    if (cp > 0x10ffff) throw bad(`bad code point \\U${U}`);
    return String.fromCodePoint(cp);
  });
}

function textIndex(s: string, bad: (m: string) => FormatError): number {
  const v = textInt(s, bad);
  if (typeof v !== 'number' || v < 0) throw bad(`bad memo index ${describe(s)}`);
  return v;
}

/** Items a value holds, for the work count (strings and bytes by the 8 bytes a pointer costs). */
function sizeOf(x: unknown): number {
  if (x instanceof PyTuple) return x.items.length;
  if (Array.isArray(x)) return x.length;
  if (x instanceof Map || x instanceof Set) return x.size;
  if (x instanceof Uint8Array || typeof x === 'string') return Math.ceil(x.length / 8);
  return 1;
}

/** Python-ish type names for error messages. */
export function typeName(x: unknown): string {
  if (x === null) return 'None';
  if (x instanceof PyTuple) return 'tuple';
  if (x instanceof Map) return 'dict';
  if (Array.isArray(x)) return 'list';
  if (x instanceof Set) return 'set';
  if (x instanceof Uint8Array) return 'bytes';
  if (isCallable(x)) return x.qualname;
  if (typeof x === 'object') return (x as { kind?: string }).kind ?? 'object';
  return typeof x;
}
