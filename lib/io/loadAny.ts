// Opens any checkpoint the lab understands (ours, reference safetensors, torch.save zip or legacy) by magic bytes.
import { modelConfigFromReference } from './configReader';
import { readExact, toByteSource, type ByteSource } from './byteSource';
import { collectCheckpoint, openCheckpointFrom, settle, type CheckpointStream, type DecodedCheckpoint, type DecodeOptions } from './checkpoint';
import { FormatError } from './errors';
import { normaliseKeys } from './keys';
import { openTorchBin, type TensorSink, type TorchReadOptions } from './torchBin';
import { checkFinite } from './validate';

export type CheckpointKind = 'safetensors' | 'torch-zip' | 'torch-legacy';

/**
 * Decides the format from the first bytes (never the extension, which users rename freely). A safetensors
 * file is a little-endian u64 header length, then `{`; whether that length fits the file is the reader's
 * business, so that its message can say so.
 */
export function sniffCheckpoint(head: Uint8Array): CheckpointKind | undefined {
  if (head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04) return 'torch-zip';
  if (head.length >= 2 && head[0] === 0x80 && head[1] >= 2 && head[1] <= 5) return 'torch-legacy';
  if (head.length >= 9 && head[8] === 0x7b) return 'safetensors';
  return undefined;
}

/** Why the first bytes are none of the formats, as specifically as they allow. */
function unknownFormat(head: Uint8Array, size: number): string {
  if (size === 0) return 'the file is empty';
  const hex = Array.from(head.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join(' ');
  const text = new TextDecoder().decode(head).trimStart();
  let guess = '';
  if (size < 9) guess = `: ${size} bytes is too short for any checkpoint`;
  else if (head[0] === 0x50 && head[1] === 0x4b) guess = ': a zip, but not starting with a file entry (damaged or not a torch.save file)';
  else if (head[0] === 0x1f && head[1] === 0x8b) guess = ': it is gzip-compressed (decompress it first)';
  else if (text.startsWith('{') || text.startsWith('[')) guess = ': it looks like JSON text (a config file?), not a checkpoint';
  else if (text.startsWith('<')) guess = ': it looks like HTML or XML (a saved web page or error page?)';
  else if (head[0] === 0x80) guess = `: a pickle of protocol ${head[1]}, which PyTorch does not write`;
  else if (head[4] === 0 && head[5] === 0 && head[6] === 0 && head[7] === 0) guess = ': a safetensors header length, but the header is not a JSON object';
  return `not a safetensors, PyTorch zip or legacy PyTorch file (starts with ${hex})${guess}`;
}

export interface LoadOptions extends DecodeOptions, TorchReadOptions {
  /** A reference config record (from `readReferenceConfig`); turned into a ModelConfig once the tensors are known. */
  referenceConfig?: Record<string, unknown>;
}

/**
 * Loads a checkpoint of any supported kind. `filename` names the file in messages and, for DeepSpeed pipeline
 * layer files (`layer_05-model_00-model_states.pt`), gives the layer of its tensors. Every failure is a
 * FormatError whose message starts with the filename.
 */
export async function loadAnyCheckpoint(input: Uint8Array | ByteSource, filename: string, options: LoadOptions = {}): Promise<DecodedCheckpoint> {
  return collectCheckpoint(await openAnyCheckpoint(input, filename, options));
}

/**
 * `loadAnyCheckpoint` in two steps, so that weights can go from the file to their destination one tensor at a
 * time: the header or pickle is read, and names, shapes and config checked, before any tensor data is read;
 * `read` then reads each tensor's bytes once. Failures name the file, as above.
 */
export async function openAnyCheckpoint(input: Uint8Array | ByteSource, filename: string, options: LoadOptions = {}): Promise<CheckpointStream> {
  const source = toByteSource(input);
  const ref = options.referenceConfig;
  const decode: DecodeOptions = { ...options, config: options.config ?? (ref ? (tensors) => modelConfigFromReference(ref, tensors) : undefined) };
  const stream = await named(filename, async () => {
    const head = await readExact(source, 0, Math.min(16, source.size), 'file header');
    const kind = sniffCheckpoint(head);
    if (kind === 'safetensors') return openCheckpointFrom(source, decode);
    if (kind === 'torch-zip' || kind === 'torch-legacy') return openTorch(source, filename, kind, options, decode);
    throw new FormatError('unknown-format', unknownFormat(head, source.size));
  });
  const read = stream.read;
  return { ...stream, read: (take) => named(filename, () => read(take)) };
}

/** A torch.save file as a stream: names normalised and the layout checked once the pickle is parsed. */
async function openTorch(source: ByteSource, filename: string, kind: CheckpointKind, options: LoadOptions, decode: DecodeOptions): Promise<CheckpointStream> {
  const bin = await openTorchBin(source, options);
  const normal = normaliseKeys(new Map([...bin.shapes].map(([name, t]) => [name, { shape: t.shape, from: name }])), filename);
  const warnings = [...bin.warnings, ...normal.warnings];
  const { config, growth } = settle(normal.tensors, undefined, undefined, decode, warnings);
  // Tensors dropped by the normalisation (tied copies of the embedding) are never read.
  const refOf = new Map([...normal.tensors].map(([ref, t]) => [t.from, ref]));
  const read = async (take: TensorSink) => {
    await bin.read(async (name, t) => {
      const ref = refOf.get(name)!;
      warnings.push(...checkFinite(new Map([[ref, t]])));
      await take(ref, t);
    }, (name) => refOf.has(name));
    return undefined;
  };
  return { format: kind as 'torch-zip' | 'torch-legacy', config, growth, metadata: {}, warnings, shapes: new Map([...normal.tensors].map(([ref, t]) => [ref, { shape: t.shape }])), read };
}

/** Runs `f`, prefixing its FormatErrors with the filename. */
async function named<T>(filename: string, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof FormatError) throw new FormatError(e.code, `${filename}: ${e.message}`);
    // An engine limit the readers' own limits missed (allocation, call stack) still names the file.
    if (e instanceof RangeError) throw new FormatError('too-large', `${filename}: ${e.message}`);
    throw e;
  }
}
