// Opening a published TokenFormer (pytorch_model.bin + eval YAML + tokenizer.json) in the lab, the browser limits on
// it, and the stand-in model of the same shape family for when the files are not there.
import { readReferenceConfig } from '../io/configReader';
import type { ModelConfig } from '../tokenformer/config';
import type { EngineApi } from './api';
import type { ModelInfo } from './types';

/** 450M is 1.82 GB in float32; 900M (3.6 GB) does not fit tfjs-wasm's 4 GiB with its activations. */
export const MAX_BROWSER_CHECKPOINT_BYTES = 2_000_000_000;

/** The published models and where their files are (the config and tokenizer are shared by name pattern). */
export const MODEL_ZOO = [
  { name: 'TokenFormer-150M', bytes: 608e6, checkpoint: 'https://huggingface.co/Haiyang-W/TokenFormer-150M/resolve/main/pytorch_model.bin' },
  { name: 'TokenFormer-450M', bytes: 1.82e9, checkpoint: 'https://huggingface.co/Haiyang-W/TokenFormer-450M/resolve/main/pytorch_model.bin' },
  { name: 'TokenFormer-900M', bytes: 3.6e9, checkpoint: 'https://huggingface.co/Haiyang-W/TokenFormer-900M/resolve/main/pytorch_model.bin' },
  { name: 'TokenFormer-1-5B', bytes: 6.35e9, checkpoint: 'https://huggingface.co/Haiyang-W/TokenFormer-1-5B/resolve/main/pytorch_model.bin' },
] as const;
export const GPT_NEOX_TOKENIZER_URL = 'https://huggingface.co/EleutherAI/gpt-neox-20b/resolve/main/tokenizer.json';

const CLI_HINT = 'npm run -s tokenformer -- generate --checkpoint pytorch_model.bin --config <size>_eval.yml --tokenizer tokenizer.json --prompt "..."';

/** Null when the browser can take a checkpoint of this many bytes, else the message saying to use the CLI. */
export function browserSizeError(bytes: number, name = 'the checkpoint'): string | null {
  if (bytes <= MAX_BROWSER_CHECKPOINT_BYTES) return null;
  const gb = (bytes / 1e9).toFixed(2);
  return `${name} is ${gb} GB: the browser opens models up to the 450M class (~1.8 GB in float32); run larger ones with the command line: ${CLI_HINT}`;
}

export interface PublishedFiles {
  /** Bytes, or a Blob (a dropped File, a cached download) read only when the model is opened. */
  checkpoint: { name: string; bytes: Uint8Array } | { name: string; blob: Blob };
  /** The eval YAML (or a config.json); optional when the checkpoint carries its config (our safetensors). */
  config?: { name: string; text: string };
  tokenizer?: { name: string; text: string | Uint8Array };
}

/** Loads the three files into the engine; a checkpoint Blob is read by the engine tensor by tensor. */
export async function openPublished(api: EngineApi, files: PublishedFiles): Promise<ModelInfo> {
  const ck = files.checkpoint;
  const size = 'blob' in ck ? ck.blob.size : ck.bytes.length;
  const tooBig = browserSizeError(size, ck.name);
  if (tooBig) throw new Error(tooBig);
  if (size === 0) throw new Error(`${ck.name} is empty`);
  const referenceConfig = files.config ? readReferenceConfig(files.config.text, files.config.name) : undefined;
  // A Blob goes to the worker as a handle and is read tensor by tensor there: a 608 MB checkpoint is never in memory
  // whole, and the File stays usable (a second open needs no new drop).
  await api.loadCheckpoint('blob' in ck ? ck.blob : ck.bytes, ck.name, { referenceConfig, name: ck.name });
  if (files.tokenizer) await api.setTokenizer({ json: files.tokenizer.text, name: files.tokenizer.name });
  return (await api.modelInfo())!;
}

/**
 * A small TokenFormer of the published models' family (rotary on a quarter of each head, l2_norm_gelu, qkv and proj
 * tokens = width, FFN tokens = 4 x width), with `vocab` rows (a tokenizer's padded size, or 256 bytes).
 */
export function standInConfig(vocab = 256): Partial<ModelConfig> {
  return { arch: 'tokenformer', numLayers: 2, hiddenSize: 64, numHeads: 4, qkvTokens: 64, projTokens: 64, ffnTokens: 256, vocabSize: vocab, rotaryPct: 0.25, maxSeqLen: 128, norm: 'l2_norm_gelu' };
}
