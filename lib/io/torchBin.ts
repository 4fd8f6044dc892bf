// PyTorch checkpoint reader (torch.save zip and legacy formats): parses the pickle, never executes it.
import { readExact, toByteSource, type ByteSource } from './byteSource';
import { describe, FormatError } from './errors';
import { PyTuple, typeName, unpickle } from './pickle';
import type { NamedTensor } from './safetensors';
import { findTorchGlobal, isStorageType, isTensorRef, TORCH_WIDTH, type GlobalOptions, type StorageRef, type TensorRef } from './torchGlobals';
import { isFloatDType, materialise, tensorNumel, tensorSpan } from './torchTensor';
import type { TensorShapes } from './validate';
import { readStoredRanges, readZipDirectory, readZipEntry, ZipError, type EntryReadOptions, type ZipEntry } from '../zip';

export interface TorchFile {
  /** Float tensors, made contiguous and widened to float32, under the names the file uses. */
  tensors: Map<string, NamedTensor>;
  /** Things left out (non-float buffers, non-tensor values), for the user to see. */
  warnings: string[];
}

/** Hands one tensor on (e.g. into a backend) before the next is read. */
export type TensorSink = (name: string, tensor: NamedTensor) => void | Promise<void>;

/** A parsed torch.save file whose tensor data is not read yet. */
export interface TorchStream {
  /** Names and shapes of the float tensors, in the file's order (checked by `checkNames` already). */
  shapes: Map<string, { shape: number[] }>;
  warnings: string[];
  /**
   * Reads the tensors `wanted` (default all), storage by storage: each tensor's bytes are read once and handed to
   * `take` before the next are read, so the file is never held whole. Bytes of a storage between its tensors are
   * read only for the zip CRC, which is checked after the storage's last tensor: a CRC error can come after
   * `take` has seen that storage's tensors. Call once.
   */
  read(take: TensorSink, wanted?: (name: string) => boolean): Promise<void>;
}

/** Reads byte ranges of one storage (sorted, disjoint, inside it), handing each to `take` in turn. */
type StorageReader = (st: StorageRef, ranges: [number, number][], take: (index: number, bytes: Uint8Array) => Promise<void>) => Promise<void>;

export interface TorchReadOptions extends GlobalOptions {
  /** Check zip CRCs of storages too (data.pkl is always checked). Default true. */
  verifyCrc?: boolean;
  /**
   * Read the state dict from this top-level key only (a DeepSpeed `module`): such files also hold top-level
   * tensors of their own (RNG states) that would otherwise be taken for the weights.
   */
  entry?: string;
  /** Sees the float tensors' names and shapes once the pickle is parsed, before any storage is read; may throw. */
  checkNames?: (shapes: TensorShapes) => void;
}

export const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
const LEGACY_PROTOCOL = 1001;
// Outputs may exceed the file (F16 widening, tied views of one storage) but not by more than this factor.
const OUTPUT_BUDGET_FACTOR = 4;
/** A state-dict pickle is a few hundred bytes per tensor; one this big is not a state dict. */
export const MAX_PICKLE_BYTES = 64 << 20;
// Keys under which trainers nest the state dict (DeepSpeed `module`, Lightning `state_dict`, ...).
const CONTAINER_KEYS = ['state_dict', 'model_state_dict', 'module', 'model'];

/** Reads a torch.save file (zip or legacy), given as bytes or a random-access source. */
export async function readTorchBin(input: Uint8Array | ByteSource, options: TorchReadOptions = {}): Promise<TorchFile> {
  const stream = await openTorchBin(input, options);
  const got = new Map<string, NamedTensor>();
  await stream.read((name, t) => void got.set(name, t));
  // Keep the file's own order, which readers of state dicts expect.
  return { tensors: new Map([...stream.shapes.keys()].filter((n) => got.has(n)).map((n) => [n, got.get(n)!])), warnings: stream.warnings };
}

/** Parses a torch.save file's pickle and checks its tensors, leaving their data in the file until `read`. */
export async function openTorchBin(input: Uint8Array | ByteSource, options: TorchReadOptions = {}): Promise<TorchStream> {
  const source = toByteSource(input);
  const head = await readExact(source, 0, Math.min(4, source.size), 'file magic');
  if (head.length === 4 && head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04) return openZipForm(source, options);
  if (head[0] === 0x80) return openLegacyForm(source, options);
  throw new FormatError('unknown-format', 'not a PyTorch file: neither a zip archive nor a pickle');
}

async function openZipForm(source: ByteSource, options: TorchReadOptions): Promise<TorchStream> {
  const entries = await zipCall(() => readZipDirectory(source));
  const read = (e: ZipEntry, opts: EntryReadOptions) => zipCall(() => readZipEntry(source, e, opts));
  const pkls = [...entries.keys()].filter((n) => /^[^/]+\/data\.pkl$/.test(n));
  if (pkls.length !== 1) throw new FormatError('bad-zip', `expected one <archive>/data.pkl in the zip, found ${pkls.length}`);
  const prefix = pkls[0].slice(0, -'data.pkl'.length);
  const order = entries.get(`${prefix}byteorder`);
  if (order) {
    const text = new TextDecoder().decode(await read(order, { limit: 16 }));
    if (text !== 'little') throw new FormatError('unsupported', `checkpoint was written with byte order "${describe(text)}"; only little-endian is read`);
  }
  const pkl = await read(entries.get(pkls[0])!, { limit: MAX_PICKLE_BYTES });
  const storages = new Map<string, StorageRef>();
  const persistentLoad = (pid: unknown): StorageRef => {
    const [typename, storageType, key, , numel] = pidItems(pid, 5);
    if (typename !== 'storage') throw new FormatError('bad-pickle', `persistent id of kind ${describe(typename)}, expected "storage"`);
    return storageRef(storages, storageType, key, numel, 0);
  };
  const { value } = unpickle(pkl, { findGlobal: (m, n) => findTorchGlobal(m, n, options), persistentLoad });
  const { refs, warnings } = collectTensors(value, options.entry);
  options.checkNames?.(floatShapes(refs));
  const entryOf = (key: string): ZipEntry => {
    const e = entries.get(`${prefix}data/${key}`);
    if (!e) throw new FormatError('missing-tensor', `zip has no storage entry ${prefix}data/${key}`);
    return e;
  };
  const readRanges: StorageReader = async (st, ranges, take) => {
    const nbytes = st.numel * TORCH_WIDTH[st.dtype];
    const entry = entryOf(st.key);
    // The pickle says how big the storage is: an entry that declares or inflates to more is refused unread.
    const short = () => new FormatError('truncated', `storage ${st.key} has ${entry.size} bytes but the pickle says ${st.numel} ${st.dtype} elements`);
    if (entry.method === 0 && entry.size !== null) {
      // torch.save stores storages uncompressed: each tensor is one range of the file, read when it is wanted.
      if (entry.size < nbytes) throw short();
      return zipCall(() => readStoredRanges(source, entry, ranges, take, { verifyCrc: options.verifyCrc, limit: nbytes }));
    }
    const bytes = await read(entry, { verifyCrc: options.verifyCrc, limit: nbytes });
    if (bytes.length < nbytes) throw new FormatError('truncated', `storage ${st.key} has ${bytes.length} bytes but the pickle says ${st.numel} ${st.dtype} elements`);
    for (let i = 0; i < ranges.length; i++) await take(i, bytes.subarray(ranges[i][0], ranges[i][1]));
  };
  return streamOf(refs, warnings, source.size, (st) => st.numel * TORCH_WIDTH[st.dtype], readRanges);
}

/** The zip reader's errors as FormatErrors (same codes; 'too-large' for bombs and limits). */
async function zipCall<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof ZipError) throw new FormatError(e.code, e.message);
    throw e;
  }
}

async function openLegacyForm(source: ByteSource, options: TorchReadOptions): Promise<TorchStream> {
  // The pickles come first and their length is unknown: parse a growing prefix until they fit.
  let chunk = Math.min(source.size, 1 << 20);
  for (;;) {
    const prefix = await readExact(source, 0, chunk, 'legacy checkpoint');
    try {
      return await parseLegacy(source, prefix, options);
    } catch (e) {
      if (!(e instanceof FormatError && e.code === 'truncated' && e.message.startsWith('pickle')) || chunk === source.size) throw e;
      chunk = Math.min(source.size, chunk * 4);
    }
  }
}

async function parseLegacy(source: ByteSource, bytes: Uint8Array, options: TorchReadOptions): Promise<TorchStream> {
  const plain = {
    findGlobal: (m: string, n: string) => {
      throw new FormatError('unsafe-pickle', `refusing to load global ${m}.${n} in a legacy checkpoint preamble`);
    },
  };
  const magic = unpickle(bytes, plain, 0);
  if (magic.value !== LEGACY_MAGIC) throw new FormatError('unknown-format', 'pickle file is not a PyTorch checkpoint (wrong magic number)');
  const proto = unpickle(bytes, plain, magic.end);
  if (proto.value !== LEGACY_PROTOCOL) throw new FormatError('unsupported', `legacy checkpoint protocol ${describe(proto.value)} (only ${LEGACY_PROTOCOL} is known)`);
  const sys = unpickle(bytes, plain, proto.end);
  if (!(sys.value instanceof Map) || sys.value.get('little_endian') !== true) throw new FormatError('unsupported', 'legacy checkpoint is not marked little-endian');
  const storages = new Map<string, StorageRef>();
  const persistentLoad = (pid: unknown): StorageRef => {
    const [typename, storageType, key, , numel, viewMeta] = pidItems(pid, 6);
    if (typename !== 'storage') throw new FormatError('bad-pickle', `persistent id of kind ${describe(typename)}, expected "storage"`);
    const root = storageRef(storages, storageType, key, numel, 0);
    if (viewMeta === null || viewMeta === undefined) return root;
    // Old torch pickled storage views as (view_key, element offset, view size) of a root storage.
    const v = viewMeta instanceof PyTuple ? viewMeta.items : [];
    if (v.length !== 3 || typeof v[0] !== 'string' || !Number.isSafeInteger(v[1]) || !Number.isSafeInteger(v[2])) throw new FormatError('bad-pickle', 'bad storage view metadata');
    const [off, size] = [v[1] as number, v[2] as number];
    if (off < 0 || size < 0 || off + size > root.numel) throw new FormatError('bad-offsets', `storage view [${off}, ${off + size}) outside storage ${root.key}`);
    return { ...root, elementOffset: off, numel: size };
  };
  const main = unpickle(bytes, { findGlobal: (m, n) => findTorchGlobal(m, n, options), persistentLoad }, sys.end);
  const keysPickle = unpickle(bytes, plain, main.end);
  const keys = keysPickle.value;
  if (!Array.isArray(keys) || !keys.every((k) => typeof k === 'string')) throw new FormatError('bad-pickle', 'legacy storage key list is not a list of strings');
  // The storages follow, in key-list order: an int64 element count, then the raw bytes.
  const ranges = new Map<string, [number, number]>();
  let at = keysPickle.end;
  for (const key of keys as string[]) {
    const st = storages.get(key);
    if (!st) throw new FormatError('bad-pickle', `legacy storage key ${describe(key)} is not used by the pickle`);
    if (ranges.has(key)) throw new FormatError('bad-pickle', `legacy storage key ${describe(key)} listed twice`);
    const countBytes = await readExact(source, at, 8, `legacy storage ${key} size`);
    const dv = new DataView(countBytes.buffer, countBytes.byteOffset, 8);
    const count = dv.getUint32(4, true) * 2 ** 32 + dv.getUint32(0, true);
    if (count !== st.numel) throw new FormatError('bad-offsets', `legacy storage ${key} holds ${count} elements but the pickle says ${st.numel}`);
    const len = count * TORCH_WIDTH[st.dtype];
    if (at + 8 + len > source.size) throw new FormatError('truncated', `legacy storage ${key} runs past the end of the file`);
    ranges.set(key, [at + 8, len]);
    at += 8 + len;
  }
  const { refs, warnings } = collectTensors(main.value, options.entry);
  options.checkNames?.(floatShapes(refs));
  const rangeOf = (st: StorageRef): [number, number] => {
    const r = ranges.get(st.key);
    if (!r) throw new FormatError('missing-tensor', `legacy storage ${st.key} is missing from the key list`);
    return r;
  };
  return streamOf(refs, warnings, source.size, (st) => rangeOf(st)[1], async (st, parts, take) => {
    const [at0] = rangeOf(st);
    for (let i = 0; i < parts.length; i++) await take(i, await readExact(source, at0 + parts[i][0], parts[i][1] - parts[i][0], `legacy storage ${st.key}`));
  });
}

function pidItems(pid: unknown, n: number): unknown[] {
  if (!(pid instanceof PyTuple) || pid.items.length !== n) throw new FormatError('bad-pickle', `persistent id is ${typeName(pid)}, not a ${n}-tuple`);
  return pid.items;
}

function storageRef(storages: Map<string, StorageRef>, storageType: unknown, key: unknown, numel: unknown, elementOffset: number): StorageRef {
  if (!isStorageType(storageType)) throw new FormatError('bad-pickle', `storage type is ${typeName(storageType)}`);
  if (typeof key !== 'string' || !/^[\w.-]{1,64}$/.test(key)) throw new FormatError('bad-pickle', `bad storage key ${describe(key)}`);
  if (!Number.isSafeInteger(numel) || (numel as number) < 0) throw new FormatError('bad-pickle', `storage ${key} has bad size ${describe(numel)}`);
  const seen = storages.get(key);
  if (seen) {
    if (seen.dtype !== storageType.dtype || seen.numel !== numel) throw new FormatError('bad-pickle', `storage ${key} is described two different ways`);
    return seen;
  }
  const ref: StorageRef = { kind: 'storage', key, dtype: storageType.dtype, numel: numel as number, elementOffset };
  storages.set(key, ref);
  return ref;
}

/** Finds name -> tensor pairs at the top level, or inside a conventional container key. */
function collectTensors(top: unknown, entry?: string): { refs: Map<string, TensorRef>; warnings: string[] } {
  const warnings: string[] = [];
  if (!(top instanceof Map)) throw new FormatError('bad-pickle', `checkpoint holds a ${typeName(top)}, not a dict of tensors`);
  const root = entry === undefined ? top : top.get(entry);
  if (!(root instanceof Map)) throw new FormatError('missing-tensor', `the checkpoint's "${entry}" entry is ${typeName(root)}, not a dict of tensors`);
  const fromDict = (d: Map<unknown, unknown>) => {
    const refs = new Map<string, TensorRef>();
    let other = 0;
    for (const [k, v] of d) {
      if (typeof k === 'string' && isTensorRef(v)) refs.set(k, v);
      else other++;
    }
    return { refs, other };
  };
  let { refs, other } = fromDict(root);
  if (refs.size === 0) {
    const key = CONTAINER_KEYS.find((k) => root.get(k) instanceof Map);
    if (key) {
      ({ refs, other } = fromDict(root.get(key) as Map<unknown, unknown>));
      warnings.push(`tensors read from the checkpoint's "${key}" entry; other top-level entries ignored`);
    }
  }
  if (refs.size === 0) {
    throw new FormatError('missing-tensor', 'the checkpoint holds no tensors (DeepSpeed pipeline checkpoints keep them in layer_XX-model_00-model_states.pt files)');
  }
  if (other) warnings.push(`${other} non-tensor entr${other === 1 ? 'y' : 'ies'} ignored`);
  return { refs, warnings };
}

const floatShapes = (refs: Map<string, TensorRef>): TensorShapes => new Map([...refs].filter(([, t]) => isFloatDType(t.dtype)));

/**
 * Checks the tensors against the output budget, then reads them storage by storage: tensors whose byte spans
 * overlap (tied views) are read as one range, every other tensor as its own, so each byte is read at most once.
 */
function streamOf(
  refs: Map<string, TensorRef>,
  warnings: string[],
  fileSize: number,
  storageSize: (st: StorageRef) => number,
  readRanges: StorageReader,
): TorchStream {
  const budget = OUTPUT_BUDGET_FACTOR * fileSize + (1 << 16);
  let total = 0;
  const byStorage = new Map<string, [string, TensorRef][]>();
  for (const [name, t] of refs) {
    if (!isFloatDType(t.dtype)) {
      warnings.push(`tensor "${name}" has dtype ${t.dtype} and was left out (only float32, float16 and bfloat16 are read)`);
      continue;
    }
    total += tensorNumel(name, t) * 4;
    if (total > budget) throw new FormatError('bad-offsets', `tensors would need more than ${budget} bytes, over ${OUTPUT_BUDGET_FACTOR}x the ${fileSize}-byte file`);
    const list = byStorage.get(t.storage.key) ?? [];
    list.push([name, t]);
    byStorage.set(t.storage.key, list);
  }
  // A small view can name a huge storage, and a compressed storage is read whole: storages count against the budget.
  let storageBytes = 0;
  for (const list of byStorage.values()) {
    const st = list[0][1].storage;
    storageBytes += st.numel * TORCH_WIDTH[st.dtype];
    if (storageBytes > budget) throw new FormatError('too-large', `storages would need more than ${budget} bytes, over ${OUTPUT_BUDGET_FACTOR}x the ${fileSize}-byte file`);
  }
  let used = false;
  const read = async (take: TensorSink, wanted: (name: string) => boolean = () => true) => {
    if (used) throw new Error('a torch stream is read once');
    used = true;
    for (const all of byStorage.values()) {
      const list = all.filter(([name]) => wanted(name));
      if (!list.length) continue;
      const st = list[0][1].storage;
      const size = storageSize(st);
      const groups: { begin: number; end: number; members: [string, TensorRef][] }[] = [];
      const spans = list.map(([name, t]) => ({ name, t, ...tensorSpan(name, t, size) })).sort((a, b) => a.begin - b.begin);
      for (const s of spans) {
        if (s.end === s.begin) await take(s.name, materialise(s.name, s.t, new Uint8Array(0)));
        else if (groups.length && s.begin < groups[groups.length - 1].end) {
          const g = groups[groups.length - 1];
          g.end = Math.max(g.end, s.end);
          g.members.push([s.name, s.t]);
        } else groups.push({ begin: s.begin, end: s.end, members: [[s.name, s.t]] });
      }
      await readRanges(st, groups.map((g) => [g.begin, g.end]), async (i, bytes) => {
        for (const [name, t] of groups[i].members) await take(name, materialise(name, t, bytes, groups[i].begin));
      });
    }
  };
  return { shapes: new Map([...floatShapes(refs)].map(([n, t]) => [n, { shape: [...t.shape] }])), warnings, read };
}
