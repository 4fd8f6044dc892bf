// The allow-list of Python globals a PyTorch state-dict pickle may name, and the inert values they stand for.
import { describe, FormatError } from './errors';
import { callable, PyTuple, typeName, type PyCallable } from './pickle';

/** Element types of PyTorch storages, in safetensors spelling. */
export type TorchDType = 'F32' | 'F16' | 'BF16' | 'F64' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';
export const TORCH_WIDTH: Record<TorchDType, number> = { F32: 4, F16: 2, BF16: 2, F64: 8, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };

/** `torch.FloatStorage` and friends: a marker carrying the element type. */
export interface StorageType {
  kind: 'storage-type';
  dtype: TorchDType;
  qualname: string;
}
/** `torch.float32` and friends (used by `_rebuild_tensor_v3` with untyped storages). */
export interface DTypeMarker {
  kind: 'dtype';
  dtype: TorchDType;
}
/** A storage named by a persistent id; its bytes are read later, from the zip entry or the legacy tail. */
export interface StorageRef {
  kind: 'storage';
  key: string;
  dtype: TorchDType;
  /** Elements of `dtype` the pickle says the storage has. */
  numel: number;
  /** Legacy storage views: elements of the root storage to skip. */
  elementOffset: number;
}
/** A tensor as a strided view of a storage; nothing is read until it is made contiguous. */
export interface TensorRef {
  kind: 'tensor';
  storage: StorageRef;
  dtype: TorchDType;
  offset: number;
  shape: number[];
  stride: number[];
}

export const isTensorRef = (x: unknown): x is TensorRef => typeof x === 'object' && x !== null && (x as TensorRef).kind === 'tensor';
export const isStorageType = (x: unknown): x is StorageType => typeof x === 'object' && x !== null && (x as StorageType).kind === 'storage-type';

const STORAGES: Record<string, TorchDType> = {
  FloatStorage: 'F32', HalfStorage: 'F16', BFloat16Storage: 'BF16', DoubleStorage: 'F64', LongStorage: 'I64',
  IntStorage: 'I32', ShortStorage: 'I16', CharStorage: 'I8', ByteStorage: 'U8', BoolStorage: 'BOOL', UntypedStorage: 'U8',
};
const DTYPES: Record<string, TorchDType> = {
  float32: 'F32', float: 'F32', float16: 'F16', half: 'F16', bfloat16: 'BF16', float64: 'F64', double: 'F64',
  int64: 'I64', long: 'I64', int32: 'I32', int: 'I32', int16: 'I16', short: 'I16', int8: 'I8', uint8: 'U8', bool: 'BOOL',
};

function bad(msg: string): FormatError {
  return new FormatError('bad-pickle', msg);
}

/** A list of non-negative safe integers from a tuple, list or torch.Size. */
export function intList(x: unknown, what: string): number[] {
  const items = x instanceof PyTuple ? x.items : Array.isArray(x) ? x : undefined;
  if (!items || !items.every((v) => Number.isSafeInteger(v) && (v as number) >= 0)) throw bad(`${what} ${describe(x instanceof PyTuple ? x.items : x)} is not a list of non-negative integers`);
  return items as number[];
}

function rebuildTensor(name: string, storage: unknown, offset: unknown, size: unknown, stride: unknown, dtype?: unknown): TensorRef {
  if (typeof storage !== 'object' || storage === null || (storage as StorageRef).kind !== 'storage') throw bad(`${name}: first argument is ${typeName(storage)}, not a storage`);
  if (!Number.isSafeInteger(offset) || (offset as number) < 0) throw bad(`${name}: bad storage offset ${describe(offset)}`);
  const shape = intList(size, `${name} size`);
  const strides = intList(stride, `${name} stride`);
  if (shape.length !== strides.length) throw bad(`${name}: size has ${shape.length} dims but stride ${strides.length}`);
  const st = storage as StorageRef;
  let dt = st.dtype;
  if (dtype !== undefined) {
    if (typeof dtype !== 'object' || dtype === null || (dtype as DTypeMarker).kind !== 'dtype') throw bad(`${name}: dtype argument is ${typeName(dtype)}`);
    dt = (dtype as DTypeMarker).dtype;
  }
  return { kind: 'tensor', storage: st, dtype: dt, offset: offset as number, shape, stride: strides };
}

const orderedDict = callable('collections.OrderedDict', (args) => {
  const d = new Map<unknown, unknown>();
  if (args.length === 0) return d;
  if (args.length === 1 && Array.isArray(args[0])) {
    for (const pair of args[0]) {
      const kv = pair instanceof PyTuple ? pair.items : Array.isArray(pair) ? pair : undefined;
      if (!kv || kv.length !== 2) throw bad('OrderedDict argument is not a list of pairs');
      d.set(kv[0], kv[1]);
    }
    return d;
  }
  throw bad(`OrderedDict called with ${args.length} arguments`);
});

const TORCH_UTILS: Record<string, PyCallable> = {
  _rebuild_tensor_v2: callable('torch._utils._rebuild_tensor_v2', (a) => {
    if (a.length < 4) throw bad('_rebuild_tensor_v2 needs at least 4 arguments');
    return rebuildTensor('_rebuild_tensor_v2', a[0], a[1], a[2], a[3]);
  }),
  _rebuild_tensor_v3: callable('torch._utils._rebuild_tensor_v3', (a) => {
    if (a.length < 7) throw bad('_rebuild_tensor_v3 needs at least 7 arguments');
    return rebuildTensor('_rebuild_tensor_v3', a[0], a[1], a[2], a[3], a[6]);
  }),
  // A Parameter is its tensor plus requires_grad and hooks, neither of which a state dict needs.
  _rebuild_parameter: callable('torch._utils._rebuild_parameter', (a) => {
    if (!isTensorRef(a[0])) throw bad(`_rebuild_parameter of ${typeName(a[0])}`);
    return a[0];
  }),
  _rebuild_parameter_with_state: callable('torch._utils._rebuild_parameter_with_state', (a) => {
    if (!isTensorRef(a[0])) throw bad(`_rebuild_parameter_with_state of ${typeName(a[0])}`);
    return a[0];
  }),
};

const TENSOR_TYPES = new Set(['torch.Tensor', 'torch.nn.parameter.Parameter']);

const rebuildFromType = callable('torch._tensor._rebuild_from_type_v2', (a) => {
  const [func, newType, args] = a;
  if (typeof newType !== 'object' || newType === null || (newType as { kind?: string }).kind !== 'tensor-type') throw bad('_rebuild_from_type_v2 to a type other than Tensor/Parameter');
  if (typeof func !== 'object' || func === null || (func as PyCallable).kind !== 'callable' || !(args instanceof PyTuple)) throw bad('_rebuild_from_type_v2 with bad arguments');
  return (func as PyCallable).call(args.items);
});

// Protocol 2 spells Python 3 bytes as _codecs.encode(text, 'latin1'); a pure function, so it is safe.
const codecsEncode = callable('_codecs.encode', (a) => {
  if (typeof a[0] !== 'string' || (a[1] !== 'latin1' && a[1] !== 'latin-1')) throw new FormatError('unsupported', `_codecs.encode with encoding ${describe(a[1])}`);
  const s = a[0];
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 255) throw bad('_codecs.encode: character outside latin-1');
    out[i] = c;
  }
  return out;
});

const torchSize = callable('torch.Size', (a) => new PyTuple(intList(a[0] ?? new PyTuple([]), 'torch.Size')));

export interface GlobalOptions {
  /**
   * Turn globals outside the allow-list into inert placeholders instead of refusing the file (e.g. the
   * `argparse.Namespace` of a DeepSpeed checkpoint). Still never runs code; off by default.
   */
  allowUnknownGlobals?: boolean;
}

/** Resolves `module.name` for the pickle VM; anything not a tensor or container type is refused. */
export function findTorchGlobal(module: string, name: string, options: GlobalOptions = {}): unknown {
  const qual = `${module}.${name}`;
  if (module === 'collections' && name === 'OrderedDict') return orderedDict;
  if (module === 'torch._utils' && Object.hasOwn(TORCH_UTILS, name)) return TORCH_UTILS[name];
  if (module === 'torch._tensor' && name === '_rebuild_from_type_v2') return rebuildFromType;
  if ((module === 'torch' || module === 'torch.storage') && Object.hasOwn(STORAGES, name)) return { kind: 'storage-type', dtype: STORAGES[name], qualname: qual } satisfies StorageType;
  if (module === 'torch' && Object.hasOwn(DTYPES, name)) return { kind: 'dtype', dtype: DTYPES[name] } satisfies DTypeMarker;
  if (module === 'torch' && name === 'Size') return torchSize;
  if (TENSOR_TYPES.has(qual)) return { kind: 'tensor-type', qualname: qual };
  if (module === '_codecs' && name === 'encode') return codecsEncode;
  if (options.allowUnknownGlobals) return callable(qual, () => ({ kind: 'inert', qualname: qual }));
  throw new FormatError(
    'unsafe-pickle',
    `refusing to load global ${qual}: only tensors, storages and ordered dicts are allowed, since loading it in PyTorch could run code` +
      ' (allowUnknownGlobals reads such files with the unknown objects left inert)',
  );
}
