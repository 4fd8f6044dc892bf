// A pickle (protocol 2) writer for the plain data DeepSpeed model-state files hold: numbers, strings, lists,
// tuples, dicts, OrderedDicts, global references applied to arguments, and persistent ids (torch storages).
// It only writes: reading stays with pickle.ts, which never executes what it reads.
import { FormatError } from './errors';
import { PyTuple } from './pickle';

/** Forces a Python float for a whole number (a plain JS integer is written as a Python int). */
export class PyFloat {
  constructor(readonly value: number) {}
}
/** `collections.OrderedDict`, the type torch state dicts are. */
export class PyOrderedDict {
  constructor(readonly entries: Map<string, PyValue>) {}
}
/** A module-level Python name, e.g. `torch._utils._rebuild_tensor_v2`. */
export class PyGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}
}
/** `callable(*args)` at load time (REDUCE): how pickle spells objects it cannot write literally. */
export class PyReduce {
  constructor(
    readonly callable: PyGlobal,
    readonly args: PyTuple,
  ) {}
}
/** A persistent id: the loader resolves it out of band (torch: a storage in the zip's data/ folder). */
export class PyPersistentId {
  constructor(readonly pid: PyValue) {}
}

export type PyValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | PyFloat
  | PyValue[]
  | PyTuple
  | Map<string | number, PyValue>
  | PyOrderedDict
  | PyGlobal
  | PyReduce
  | PyPersistentId;

const enc = new TextEncoder();
// Python's own pickler batches APPENDS/SETITEMS by this many; loaders accept any size, but it keeps marks short.
const BATCH = 1000;

class Out {
  private buf = new Uint8Array(1024);
  len = 0;
  private reserve(n: number) {
    if (this.len + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }
  byte(...b: number[]) {
    this.reserve(b.length);
    for (const x of b) this.buf[this.len++] = x;
  }
  bytes(b: Uint8Array) {
    this.reserve(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }
  u32(n: number) {
    this.byte(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff);
  }
  result(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

/** Serialises `value` as a protocol-2 pickle (what `torch.save` uses by default). */
export function pickle(value: PyValue): Uint8Array {
  const out = new Out();
  out.byte(0x80, 2); // PROTO 2
  write(out, value, 0);
  out.byte(0x2e); // STOP
  return out.result();
}

const MAX_DEPTH = 100;

function write(out: Out, v: PyValue, depth: number): void {
  if (depth > MAX_DEPTH) throw new FormatError('unsupported', `pickle value nested deeper than ${MAX_DEPTH}`);
  const d = depth + 1;
  if (v === null) return out.byte(0x4e); // NONE
  if (v === true) return out.byte(0x88); // NEWTRUE
  if (v === false) return out.byte(0x89); // NEWFALSE
  if (typeof v === 'number') return Number.isSafeInteger(v) ? writeInt(out, BigInt(v)) : writeFloat(out, v);
  if (typeof v === 'bigint') return writeInt(out, v);
  if (typeof v === 'string') {
    const b = enc.encode(v);
    out.byte(0x58); // BINUNICODE
    out.u32(b.length);
    return out.bytes(b);
  }
  if (v instanceof PyFloat) return writeFloat(out, v.value);
  if (Array.isArray(v)) {
    out.byte(0x5d); // EMPTY_LIST
    for (let i = 0; i < v.length; i += BATCH) {
      out.byte(0x28); // MARK
      for (const x of v.slice(i, i + BATCH)) write(out, x, d);
      out.byte(0x65); // APPENDS
    }
    return;
  }
  if (v instanceof PyTuple) {
    const items = v.items as PyValue[];
    if (items.length === 0) return out.byte(0x29); // EMPTY_TUPLE
    if (items.length <= 3) {
      for (const x of items) write(out, x, d);
      return out.byte([0x85, 0x86, 0x87][items.length - 1]); // TUPLE1..3
    }
    out.byte(0x28); // MARK
    for (const x of items) write(out, x, d);
    return out.byte(0x74); // TUPLE
  }
  if (v instanceof Map) {
    out.byte(0x7d); // EMPTY_DICT
    return writeItems(out, [...v], d);
  }
  if (v instanceof PyOrderedDict) {
    // OrderedDict() then SETITEMS, as Python pickles it.
    writeGlobal(out, new PyGlobal('collections', 'OrderedDict'));
    out.byte(0x29, 0x52); // EMPTY_TUPLE, REDUCE
    return writeItems(out, [...v.entries], d);
  }
  if (v instanceof PyGlobal) return writeGlobal(out, v);
  if (v instanceof PyReduce) {
    writeGlobal(out, v.callable);
    write(out, v.args, d);
    return out.byte(0x52); // REDUCE
  }
  if (v instanceof PyPersistentId) {
    write(out, v.pid, d);
    return out.byte(0x51); // BINPERSID
  }
  throw new FormatError('unsupported', `cannot pickle a ${Object.prototype.toString.call(v)}`);
}

function writeItems(out: Out, entries: [string | number, PyValue][], depth: number) {
  for (let i = 0; i < entries.length; i += BATCH) {
    out.byte(0x28); // MARK
    for (const [k, x] of entries.slice(i, i + BATCH)) {
      write(out, k, depth);
      write(out, x, depth);
    }
    out.byte(0x75); // SETITEMS
  }
}

function writeGlobal(out: Out, g: PyGlobal) {
  // GLOBAL takes newline-terminated names; a newline inside one would change what the loader imports.
  if (!/^[\w.]+$/.test(g.module) || !/^[\w.]+$/.test(g.name)) throw new FormatError('unsupported', `bad global name ${g.module}.${g.name}`);
  out.byte(0x63); // GLOBAL
  out.bytes(enc.encode(`${g.module}\n${g.name}\n`));
}

function writeInt(out: Out, n: bigint) {
  if (n >= 0n && n < 256n) return out.byte(0x4b, Number(n)); // BININT1
  if (n >= 0n && n < 65536n) return out.byte(0x4d, Number(n) & 0xff, Number(n) >> 8); // BININT2
  if (n >= -(2n ** 31n) && n < 2n ** 31n) {
    out.byte(0x4a); // BININT
    return out.u32(Number(BigInt.asUintN(32, n)));
  }
  // LONG1: little-endian two's complement, as few bytes as keep the sign.
  const bytes: number[] = [];
  let x = n;
  for (;;) {
    bytes.push(Number(BigInt.asUintN(8, x)));
    x >>= 8n;
    const sign = (bytes[bytes.length - 1] & 0x80) !== 0;
    if ((x === 0n && !sign) || (x === -1n && sign)) break;
  }
  if (bytes.length > 255) throw new FormatError('unsupported', 'integer too large to pickle');
  out.byte(0x8a, bytes.length, ...bytes);
}

function writeFloat(out: Out, x: number) {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setFloat64(0, x, false); // BINFLOAT is big-endian
  out.byte(0x47);
  out.bytes(b);
}
