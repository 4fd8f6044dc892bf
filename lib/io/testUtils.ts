// Test helpers for lib/io: a tiny pickle writer, a torch.save-style zip builder and a seeded RNG.
import { zipSync } from 'fflate';
import { f32Bytes } from './dtype';
import type { NamedTensor } from './safetensors';
import { FormatError } from './errors';

/** Emits pickle opcodes by hand, so tests can build both faithful and hostile pickles. */
export class PickleWriter {
  private out: number[] = [];
  op(...bytes: number[]): this {
    return this.raw(bytes);
  }
  raw(bytes: ArrayLike<number>): this {
    for (let i = 0; i < bytes.length; i++) this.out.push(bytes[i]);
    return this;
  }
  proto(p = 2): this {
    return this.op(0x80, p);
  }
  str(s: string): this {
    const b = new TextEncoder().encode(s);
    return this.op(0x58, ...le(b.length, 4)).raw(b);
  }
  int(n: number): this {
    if (n >= 0 && n < 256) return this.op(0x4b, n);
    if (n >= 0 && n < 65536) return this.op(0x4d, ...le(n, 2));
    return this.op(0x4a, ...le(n >>> 0, 4));
  }
  global(module: string, name: string): this {
    return this.op(0x63, ...new TextEncoder().encode(`${module}\n${name}\n`));
  }
  mark(): this {
    return this.op(0x28);
  }
  tuple(): this {
    return this.op(0x74);
  }
  emptyDict(): this {
    return this.op(0x7d);
  }
  emptyTuple(): this {
    return this.op(0x29);
  }
  reduce(): this {
    return this.op(0x52);
  }
  setitems(): this {
    return this.op(0x75);
  }
  stop(): this {
    return this.op(0x2e);
  }
  bytes(): Uint8Array {
    return new Uint8Array(this.out);
  }
}

function le(v: number, n: number): number[] {
  const r: number[] = [];
  for (let i = 0; i < n; i++) r.push(Math.floor(v / 2 ** (8 * i)) & 0xff);
  return r;
}

/** The data.pkl torch.save writes for a dict of float32 tensors (protocol 2, one storage per tensor). */
export function torchStatePickle(tensors: Map<string, NamedTensor>): Uint8Array {
  const w = new PickleWriter().proto(2).emptyDict().mark();
  [...tensors.entries()].forEach(([name, t], i) => {
    const stride = t.shape.map((_, d) => t.shape.slice(d + 1).reduce((a, b) => a * b, 1));
    w.str(name).global('torch._utils', '_rebuild_tensor_v2').mark();
    w.mark().str('storage').global('torch', 'FloatStorage').str(String(i)).str('cpu').int(t.data.length).tuple().op(0x51); // BINPERSID
    w.int(0).mark();
    t.shape.forEach((d) => w.int(d));
    w.tuple().mark();
    stride.forEach((d) => w.int(d));
    w.tuple().op(0x89); // NEWFALSE
    w.global('collections', 'OrderedDict').emptyTuple().reduce().tuple().reduce();
  });
  return w.setitems().stop().bytes();
}

/** A torch.save-style zip around a given data.pkl (storages named 0, 1, ... as `torchStatePickle` uses). */
export function torchZip(pkl: Uint8Array, tensors: Map<string, NamedTensor>, options: { deflate?: boolean; archive?: string } = {}): Uint8Array {
  const archive = options.archive ?? 'archive';
  const files: Record<string, Uint8Array> = { [`${archive}/data.pkl`]: pkl, [`${archive}/byteorder`]: new TextEncoder().encode('little') };
  [...tensors.values()].forEach((t, i) => (files[`${archive}/data/${i}`] = f32Bytes(t.data).slice()));
  files[`${archive}/version`] = new TextEncoder().encode('3\n');
  return zipSync(files, { level: options.deflate ? 6 : 0 });
}

/** mulberry32: small, seedable, good enough to drive fuzz loops reproducibly. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomTensor(shape: number[], next: () => number): NamedTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = (next() - 0.5) * 4;
  return { shape, data };
}

/** The FormatError code a promise rejects with, or 'ok' if it resolves; any other error fails the test. */
export async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (e instanceof FormatError) return e.code;
    throw e;
  }
  return 'ok';
}
