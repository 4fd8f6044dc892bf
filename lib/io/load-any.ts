// Opens any checkpoint the lab understands (ours, reference safetensors, torch.save zip or legacy) by magic bytes.
import { modelConfigFromReference } from './config-reader';
import { readExact, toByteSource, type ByteSource } from './byte-source';
import { assemble, decodeCheckpointFrom, type DecodedCheckpoint, type DecodeOptions } from './checkpoint';
import { FormatError } from './errors';
import { normaliseKeys } from './keys';
import { MAX_HEADER_BYTES } from './safetensors-header';
import { readTorchBin, type TorchReadOptions } from './torch-bin';

export type CheckpointKind = 'safetensors' | 'torch-zip' | 'torch-legacy';

/** Decides the format from the first bytes (never the extension, which users rename freely). */
export function sniffCheckpoint(head: Uint8Array, size: number): CheckpointKind | undefined {
  if (head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04) return 'torch-zip';
  if (head.length >= 2 && head[0] === 0x80 && head[1] >= 2 && head[1] <= 5) return 'torch-legacy';
  if (head.length >= 9) {
    const dv = new DataView(head.buffer, head.byteOffset, head.byteLength);
    const n = dv.getUint32(0, true);
    if (dv.getUint32(4, true) === 0 && n <= MAX_HEADER_BYTES && 8 + n <= size && head[8] === 0x7b) return 'safetensors';
  }
  return undefined;
}

export interface LoadOptions extends DecodeOptions, TorchReadOptions {
  /** A reference config record (from `readReferenceConfig`); turned into a ModelConfig once the tensors are known. */
  referenceConfig?: Record<string, unknown>;
}

/**
 * Loads a checkpoint of any supported kind. `filename` names the file in messages and, for DeepSpeed pipeline
 * layer files (`layer_05-model_00-model_states.pt`), gives the layer of its tensors.
 */
export async function loadAnyCheckpoint(input: Uint8Array | ByteSource, filename: string, options: LoadOptions = {}): Promise<DecodedCheckpoint> {
  const source = toByteSource(input);
  const kind = sniffCheckpoint(await readExact(source, 0, Math.min(16, source.size), filename), source.size);
  const ref = options.referenceConfig;
  const decode: DecodeOptions = { ...options, config: options.config ?? (ref ? (tensors) => modelConfigFromReference(ref, tensors) : undefined) };
  try {
    if (kind === 'safetensors') return await decodeCheckpointFrom(source, decode);
    if (kind === 'torch-zip' || kind === 'torch-legacy') {
      const bin = await readTorchBin(source, options);
      const normal = normaliseKeys(bin.tensors, filename);
      return assemble(normal.tensors, undefined, undefined, decode, [...bin.warnings, ...normal.warnings], kind);
    }
  } catch (e) {
    if (e instanceof FormatError) throw new FormatError(e.code, `${filename}: ${e.message}`);
    throw e;
  }
  throw new FormatError('unknown-format', `${filename}: not a safetensors, PyTorch zip or legacy PyTorch file`);
}
