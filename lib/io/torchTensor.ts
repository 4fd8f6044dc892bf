// Turns a strided PyTorch tensor view of raw storage bytes into a contiguous float32 tensor.
import { decodeFloats, type FloatDType } from './dtype';
import { describe, FormatError } from './errors';
import type { NamedTensor } from './safetensors';
import { TORCH_WIDTH, type TensorRef } from './torchGlobals';

export const isFloatDType = (d: string): d is FloatDType => d === 'F32' || d === 'F16' || d === 'BF16';

/** Elements the tensor has, checked to be a safe integer. */
export function tensorNumel(name: string, t: TensorRef): number {
  let n = 1;
  for (const d of t.shape) n *= d;
  if (!Number.isSafeInteger(n)) throw new FormatError('bad-offsets', `tensor "${name}" shape ${describe(t.shape)} is impossibly large`);
  return n;
}

/**
 * The bytes `[begin, end)` of its storage (the root storage for legacy views) that a tensor's view can touch,
 * checked to lie inside the storage's `storageBytes`; an empty tensor touches none.
 */
export function tensorSpan(name: string, t: TensorRef, storageBytes: number): { begin: number; end: number } {
  if (!isFloatDType(t.dtype)) throw new FormatError('unknown-dtype', `tensor "${name}" has dtype ${t.dtype}; only float32, float16 and bfloat16 are read`);
  const width = TORCH_WIDTH[t.dtype];
  if (tensorNumel(name, t) === 0) return { begin: 0, end: 0 };
  const start = t.storage.elementOffset * (TORCH_WIDTH[t.storage.dtype] / width) + t.offset;
  let last = start;
  for (let i = 0; i < t.shape.length; i++) last += (t.shape[i] - 1) * t.stride[i];
  const available = Math.floor(storageBytes / width);
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(last) || last >= available) {
    throw new FormatError('bad-offsets', `tensor "${name}" (offset ${t.offset}, size ${describe(t.shape)}, stride ${describe(t.stride)}) reaches element ${last} of a ${available}-element storage`);
  }
  return { begin: start * width, end: (last + 1) * width };
}

/**
 * `storage` holds the storage's bytes from byte `base` on (all of it by default). Checks that every element the
 * view can touch lies inside them, then copies the tensor out row-major.
 */
export function materialise(name: string, t: TensorRef, storage: Uint8Array, base = 0): NamedTensor {
  const { begin, end } = tensorSpan(name, t, base + storage.length);
  const shape = [...t.shape];
  const numel = tensorNumel(name, t);
  if (numel === 0) return { shape, data: new Float32Array(0) };
  if (begin < base) throw new FormatError('bad-offsets', `tensor "${name}" starts at byte ${begin} of its storage, before the ${base} read`);
  const dtype = t.dtype as FloatDType;
  const width = TORCH_WIDTH[dtype];
  const span = storage.subarray(begin - base, end - base);
  // Row-major strides (dims of size 1 may carry any stride) mean one straight slice.
  let contiguous = true;
  for (let i = shape.length - 1, expect = 1; i >= 0; i--) {
    if (shape[i] !== 1 && t.stride[i] !== expect) contiguous = false;
    expect *= shape[i];
  }
  if (contiguous) return { shape, data: decodeFloats(span.subarray(0, numel * width), dtype, numel) };
  const values = decodeFloats(span, dtype, span.length / width);
  const data = new Float32Array(numel);
  const idx = new Array<number>(shape.length).fill(0);
  let src = 0;
  for (let o = 0; o < numel; o++) {
    data[o] = values[src];
    // Odometer over the multi-index; `src` follows it by the strides.
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) {
        src += t.stride[d];
        break;
      }
      src -= (shape[d] - 1) * t.stride[d];
      idx[d] = 0;
    }
  }
  return { shape, data };
}
