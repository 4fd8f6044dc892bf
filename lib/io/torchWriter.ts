// Writes torch.save's zip form (archive/data.pkl + one raw little-endian storage per tensor), so files made here
// load with the reference code's torch.load. Tensors are float32, contiguous, one storage each.
import { f32Bytes } from './dtype';
import { FormatError } from './errors';
import { PyTuple } from './pickle';
import { pickle, PyGlobal, PyOrderedDict, PyPersistentId, PyReduce, type PyValue } from './pickleWriter';
import type { NamedTensor } from './safetensors';
import { crc32 } from '../zip';

/** A tensor leaf in a value to save; becomes a `torch.FloatTensor` on a storage of its own. */
export class TorchTensorOut {
  constructor(readonly tensor: NamedTensor) {}
}
export type TorchValue = PyValue | TorchTensorOut | TorchValue[] | Map<string | number, TorchValue> | TorchOrderedDict;
/** An OrderedDict that may hold tensors (a state dict). */
export class TorchOrderedDict {
  constructor(readonly entries: Map<string, TorchValue>) {}
}

// torch's own writer aligns storages to 64 bytes, so readers can map them in place.
const ALIGN = 64;
const ARCHIVE = 'archive';

/** `torch.save(value, f)` for a value of plain data, OrderedDicts and float32 tensors. */
export function writeTorchZip(value: TorchValue): Uint8Array {
  const storages: Uint8Array[] = [];
  const toPy = (v: TorchValue, depth: number): PyValue => {
    if (depth > 100) throw new FormatError('unsupported', 'value nested too deeply to save');
    if (v instanceof TorchTensorOut) return tensorValue(v.tensor, storages);
    if (v instanceof TorchOrderedDict) return new PyOrderedDict(new Map([...v.entries].map(([k, x]) => [k, toPy(x, depth + 1)])));
    if (v instanceof Map) return new Map([...v].map(([k, x]) => [k, toPy(x as TorchValue, depth + 1)]));
    if (Array.isArray(v)) return v.map((x) => toPy(x, depth + 1));
    if (v instanceof PyTuple) return new PyTuple((v.items as TorchValue[]).map((x) => toPy(x, depth + 1)));
    return v as PyValue;
  };
  const pkl = pickle(toPy(value, 0));
  const entries: [string, Uint8Array][] = [[`${ARCHIVE}/data.pkl`, pkl], [`${ARCHIVE}/byteorder`, new TextEncoder().encode('little')]];
  storages.forEach((bytes, i) => entries.push([`${ARCHIVE}/data/${i}`, bytes]));
  entries.push([`${ARCHIVE}/version`, new TextEncoder().encode('3\n')]);
  return storedZip(entries);
}

function tensorValue(t: NamedTensor, storages: Uint8Array[]): PyValue {
  const numel = t.shape.reduce((a, b) => a * b, 1);
  if (numel !== t.data.length) throw new FormatError('shape-mismatch', `tensor of shape [${t.shape}] has ${t.data.length} values`);
  const key = String(storages.length);
  storages.push(f32Bytes(t.data));
  const stride: number[] = [];
  for (let i = t.shape.length - 1, s = 1; i >= 0; i--) {
    stride.unshift(s);
    s *= t.shape[i];
  }
  const storage = new PyPersistentId(new PyTuple(['storage', new PyGlobal('torch', 'FloatStorage'), key, 'cpu', numel]));
  // _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks)
  return new PyReduce(new PyGlobal('torch._utils', '_rebuild_tensor_v2'), new PyTuple([storage, 0, new PyTuple(t.shape), new PyTuple(stride), false, new PyOrderedDict(new Map())]));
}

/** A zip with stored (uncompressed) entries, each entry's data starting at a multiple of ALIGN. */
export function storedZip(entries: [string, Uint8Array][]): Uint8Array {
  const enc = new TextEncoder();
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const [name, data] of entries) {
    const nameBytes = enc.encode(name);
    // Pad with an extra field (id 0x4246, torch's choice of "FB") so the data lands aligned.
    const base = offset + 30 + nameBytes.length;
    const pad = (ALIGN - ((base + 4) % ALIGN)) % ALIGN;
    const extraLen = 4 + pad;
    const crc = crc32(data);
    const local = new Uint8Array(30 + nameBytes.length + extraLen);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, 0x04034b50, true);
    lv.setUint16(4, 20, true);
    lv.setUint32(14, crc, true);
    lv.setUint32(18, data.length, true);
    lv.setUint32(22, data.length, true);
    lv.setUint16(26, nameBytes.length, true);
    lv.setUint16(28, extraLen, true);
    local.set(nameBytes, 30);
    lv.setUint16(30 + nameBytes.length, 0x4246, true);
    lv.setUint16(32 + nameBytes.length, pad, true);
    const cd = new Uint8Array(46 + nameBytes.length);
    const cv = new DataView(cd.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(4, 20, true);
    cv.setUint16(6, 20, true);
    cv.setUint32(16, crc, true);
    cv.setUint32(20, data.length, true);
    cv.setUint32(24, data.length, true);
    cv.setUint16(28, nameBytes.length, true);
    cv.setUint32(42, offset, true);
    cd.set(nameBytes, 46);
    central.push(cd);
    parts.push(local, data);
    offset += local.length + data.length;
    if (offset > 0xfffffff0) throw new FormatError('unsupported', 'checkpoint over 4 GiB: zip64 is not written (save the model with fewer parameters or as safetensors)');
  }
  const cdSize = central.reduce((a, c) => a + c.length, 0);
  const end = new Uint8Array(22);
  const ev = new DataView(end.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, entries.length, true);
  ev.setUint16(10, entries.length, true);
  ev.setUint32(12, cdSize, true);
  ev.setUint32(16, offset, true);
  const all = [...parts, ...central, end];
  const out = new Uint8Array(all.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of all) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
