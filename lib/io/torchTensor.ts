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
 * `storage` holds the bytes of the tensor's whole storage (root storage for legacy views). Checks that every
 * element the view can touch lies inside it, then copies it out row-major.
 */
export function materialise(name: string, t: TensorRef, storage: Uint8Array): NamedTensor {
  if (!isFloatDType(t.dtype)) throw new FormatError('unknown-dtype', `tensor "${name}" has dtype ${t.dtype}; only float32, float16 and bfloat16 are read`);
  const width = TORCH_WIDTH[t.dtype];
  const numel = tensorNumel(name, t);
  const shape = [...t.shape];
  if (numel === 0) return { shape, data: new Float32Array(0) };
  const start = t.storage.elementOffset * (TORCH_WIDTH[t.storage.dtype] / width) + t.offset;
  let last = start;
  for (let i = 0; i < shape.length; i++) last += (shape[i] - 1) * t.stride[i];
  const available = Math.floor(storage.length / width);
  if (!Number.isSafeInteger(last) || last >= available) {
    throw new FormatError('bad-offsets', `tensor "${name}" (offset ${t.offset}, size ${describe(shape)}, stride ${describe(t.stride)}) reaches element ${last} of a ${available}-element storage`);
  }
  // Row-major strides (dims of size 1 may carry any stride) mean one straight slice.
  let contiguous = true;
  for (let i = shape.length - 1, expect = 1; i >= 0; i--) {
    if (shape[i] !== 1 && t.stride[i] !== expect) contiguous = false;
    expect *= shape[i];
  }
  if (contiguous) return { shape, data: decodeFloats(storage.subarray(start * width, (start + numel) * width), t.dtype, numel) };
  const span = decodeFloats(storage.subarray(start * width, (last + 1) * width), t.dtype, last + 1 - start);
  const data = new Float32Array(numel);
  const idx = new Array<number>(shape.length).fill(0);
  let src = 0;
  for (let o = 0; o < numel; o++) {
    data[o] = span[src];
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
