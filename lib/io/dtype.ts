// Widening of raw little-endian F32/F16/BF16 bytes to float32, shared by the safetensors and PyTorch readers.

/** The element types this project turns into float32. */
export type FloatDType = 'F32' | 'F16' | 'BF16';

export const FLOAT_WIDTH: Record<FloatDType, number> = { F32: 4, F16: 2, BF16: 2 };

export const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export function f16ToF32(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

const bfBuf = new DataView(new ArrayBuffer(4));
export function bf16ToF32(b: number): number {
  bfBuf.setUint32(0, b << 16, false);
  return bfBuf.getFloat32(0, false);
}

// Built on first use: 256 KiB that turn F16 widening into one lookup per element.
let f16Table: Float32Array | undefined;
function table(): Float32Array {
  if (!f16Table) {
    f16Table = new Float32Array(65536);
    for (let i = 0; i < 65536; i++) f16Table[i] = f16ToF32(i);
  }
  return f16Table;
}

/**
 * Decodes `count` elements from `raw` (exactly count * width bytes, any alignment) into a new Float32Array.
 * F32 bit patterns (NaN payloads included) are kept exactly.
 */
export function decodeFloats(raw: Uint8Array, dtype: FloatDType, count: number): Float32Array {
  const width = FLOAT_WIDTH[dtype];
  if (raw.length !== count * width) throw new RangeError(`decodeFloats: ${raw.length} bytes for ${count} ${dtype} elements`);
  const out = new Float32Array(count);
  if (dtype === 'F32') {
    if (LITTLE_ENDIAN_HOST) new Uint8Array(out.buffer).set(raw);
    else {
      const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
      for (let i = 0; i < count; i++) out[i] = dv.getFloat32(i * 4, true);
    }
    return out;
  }
  const halves = new Uint16Array(count);
  if (LITTLE_ENDIAN_HOST) new Uint8Array(halves.buffer).set(raw);
  else for (let i = 0; i < count; i++) halves[i] = raw[2 * i] | (raw[2 * i + 1] << 8);
  if (dtype === 'BF16') {
    const bits = new Uint32Array(out.buffer);
    for (let i = 0; i < count; i++) bits[i] = halves[i] << 16;
  } else {
    const t = table();
    for (let i = 0; i < count; i++) out[i] = t[halves[i]];
  }
  return out;
}

/** Little-endian bytes of a float32 array: a view on little-endian hosts, a converted copy otherwise. */
export function f32Bytes(data: Float32Array): Uint8Array {
  if (LITTLE_ENDIAN_HOST) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const out = new Uint8Array(data.length * 4);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) dv.setFloat32(i * 4, data[i], true);
  return out;
}
