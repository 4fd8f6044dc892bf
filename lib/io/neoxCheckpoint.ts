// DeepSpeed checkpoint folders as the official TokenFormer trainer writes them: `latest` + `global_stepN/` with
// `mp_rank_00_model_states.pt` (pipe_parallel_size <= 1) or one `layer_XX-model_00-model_states.pt` per layer
// (pipe_parallel_size >= 2). Writing makes the first; reading takes both.
import type { GrowthState } from '../tokenformer/types';
import { pattentionSlots } from '../tokenformer/params';
import type { ModelConfig } from '../tokenformer/config';
import { FormatError } from './errors';
import type { NamedTensor } from './safetensors';
import { TorchOrderedDict, TorchTensorOut, writeTorchZip, type TorchValue } from './torchWriter';
import { EMBEDDING } from '../tokenformer/params';

export const MODEL_STATES = 'mp_rank_00_model_states.pt';
export const checkpointTag = (step: number) => `global_step${step}`;

/** The client state NeoX checks against its own arguments on load (`check_checkpoint_args`): values must be equal. */
export interface NeoxCheckpointArgs {
  num_layers: number;
  hidden_size: number;
  num_attention_heads: number;
  max_position_embeddings: number;
  make_vocab_size_divisible_by: number;
  padded_vocab_size: number;
  tokenizer_type: string;
  model_parallel_size: number;
}

/**
 * The files of one checkpoint, by path relative to the checkpoints folder: `latest`, the model states and
 * the config files copied under `global_stepN/configs/` (as the reference does when it saves).
 */
export function neoxCheckpointFiles(o: { tensors: Map<string, NamedTensor>; step: number; args: NeoxCheckpointArgs; configFiles: Record<string, string> }): Map<string, Uint8Array | string> {
  const tag = checkpointTag(o.step);
  const module = new TorchOrderedDict(new Map([...o.tensors].map(([name, t]) => [name, new TorchTensorOut(t)])));
  // DeepSpeed's _save_checkpoint keys with the values a fresh single-GPU engine would hold; optimizer state is
  // not written, so the trainer loads the weights only (finetune or pretrain_partial_init).
  const state: Map<string, TorchValue> = new Map<string, TorchValue>([
    ['module', module],
    ['buffer_names', []],
    ['optimizer', null],
    ['param_shapes', null],
    ['frozen_param_shapes', null],
    ['shared_params', null],
    ['frozen_param_fragments', null],
    ['lr_scheduler', null],
    ['data_sampler', null],
    ['random_ltd', null],
    ['skipped_steps', 0],
    ['global_steps', o.step],
    ['global_samples', 0],
    ['dp_world_size', 1],
    ['mp_world_size', 1],
    ['ds_version', '0.0.0+tokenformer-lab'],
    ['iteration', o.step],
    ['args', new Map<string, TorchValue>(Object.entries(o.args))],
  ]);
  const files = new Map<string, Uint8Array | string>();
  // DeepSpeed writes the tag without a newline.
  files.set('latest', tag);
  files.set(`${tag}/${MODEL_STATES}`, writeTorchZip(state));
  for (const [name, text] of Object.entries(o.configFiles)) files.set(`${tag}/configs/${name}`, text);
  return files;
}

/** Pads the embedding with zero rows to `rows` (the reference's padded vocabulary). */
export function padVocabulary(tensors: Map<string, NamedTensor>, rows: number): Map<string, NamedTensor> {
  const emb = tensors.get(EMBEDDING);
  if (!emb) throw new FormatError('missing-tensor', `no ${EMBEDDING}`);
  const [v, d] = emb.shape;
  if (rows === v) return tensors;
  if (rows < v) throw new FormatError('unsupported', `cannot pad a ${v}-row embedding down to ${rows}`);
  const data = new Float32Array(rows * d);
  data.set(emb.data);
  return new Map([...tensors].map(([n, t]) => [n, n === EMBEDDING ? { shape: [rows, d], data } : t]));
}

/** Drops embedding rows past `rows` (the padded ids no tokenizer produces). */
export function trimVocabulary(tensors: Map<string, NamedTensor>, rows: number): Map<string, NamedTensor> {
  const emb = tensors.get(EMBEDDING);
  if (!emb || emb.shape[0] <= rows) return tensors;
  const d = emb.shape[1];
  return new Map([...tensors].map(([n, t]) => [n, n === EMBEDDING ? { shape: [rows, d], data: emb.data.slice(0, rows * d) } : t]));
}

/** Token counts per kind; the reference has one `*_slot_num` per kind for every layer (q, k and v share one). */
export function uniformSlots(config: ModelConfig, growth: GrowthState): { qkv: number; proj: number; ffn: number } {
  const counts: Record<'qkv' | 'proj' | 'ffn', Set<number>> = { qkv: new Set(), proj: new Set(), ffn: new Set() };
  for (const s of pattentionSlots(config)) {
    const kind = s.kind === 'proj' ? 'proj' : s.kind === 'ffn' ? 'ffn' : 'qkv';
    counts[kind].add(growth[s.prefix].tokens);
  }
  for (const [kind, set] of Object.entries(counts)) {
    if (set.size !== 1) {
      throw new FormatError(
        'unsupported',
        `the ${kind} Pattentions have different token counts (${[...set].join(', ')}): the reference trainer takes one ${kind}_slot_num for every layer` +
          (kind === 'qkv' ? ' and for query, key and value alike' : '') + ', so grow them evenly before exporting',
      );
    }
  }
  return { qkv: [...counts.qkv][0], proj: [...counts.proj][0], ffn: [...counts.ffn][0] };
}
