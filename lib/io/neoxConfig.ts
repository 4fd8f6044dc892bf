// The GPT-NeoX YAML config for a lab model (what the official TokenFormer trainer reads), and the byte-level
// tokenizer.json that gives its HFTokenizer exactly the lab's ids. Facts relied on: docs/scale-out.md.
import type { ModelConfig } from '../tokenformer/config';
import { FormatError } from './errors';

/** `byte`: HFTokenizer + a 256-entry byte tokenizer.json (ids = bytes, vocab 256, exact). `char`: NeoX's
 * CharLevelTokenizer (ids = bytes too, but vocab 512, so 256 never-used rows join the softmax). `bpe`: the
 * GPT-NeoX-20B tokenizer.json, for models whose vocabulary is that BPE (the user supplies the file). */
export type NeoxTokenizer = 'byte' | 'char' | 'bpe';

/** Training settings carried over from the lab run. */
export interface NeoxTraining {
  /** `train_iters`: steps to train on the cluster. */
  steps: number;
  lr: number;
  minLr: number;
  warmupSteps: number;
  batchSize: number;
  seqLen: number;
  weightDecay: number;
  gradClip: number;
  beta1: number;
  beta2: number;
  eps: number;
  precision: 'fp16' | 'bf16';
  /** Save a checkpoint every this many steps. */
  checkpointEvery: number;
}

export interface NeoxConfigInput {
  config: ModelConfig;
  /** Parameter tokens per kind as exported (after growth; one count per kind for every layer). */
  slots: { qkv: number; proj: number; ffn: number };
  tokenizer: NeoxTokenizer;
  training: NeoxTraining;
  /** Where the export folder is as seen from the trainer's working directory (the TokenFormer checkout). */
  root: string;
  /** Dataset prefix relative to `root` (no .bin/.idx), when data was exported. */
  dataPrefix?: string;
  /** Documents of train/valid/test, in order; the reference splits by document count. */
  split?: [number, number, number];
  /**
   * `finetune`: `load` is the exported checkpoint, read as weights only (iteration 0, fresh optimizer).
   * `partial-init`: the exported checkpoint is `pretrain_partial_init` (the incremental-scaling mechanism) and
   * `load`/`save` point at a fresh folder, so restarts resume the cluster run itself.
   */
  start: 'finetune' | 'partial-init';
}

/** Vocabulary size the tokenizer reports (before padding). */
export function tokenizerVocab(t: NeoxTokenizer, modelVocab: number): number {
  return t === 'byte' ? 256 : t === 'char' ? 512 : modelVocab;
}

/** `_vocab_size_with_padding`: the smallest multiple of divisor x model_parallel_size (1 here) >= vocab. */
export function paddedVocab(vocab: number, divisor: number): number {
  return Math.ceil(vocab / divisor) * divisor;
}

/** The divisor that pads the tokenizer's vocabulary to exactly `rows` (128, the default, when it does). */
export function vocabDivisor(vocab: number, rows: number): number {
  if (rows < vocab) throw new FormatError('unsupported', `the model has ${rows} embedding rows but the tokenizer ${vocab} ids`);
  if (paddedVocab(vocab, 128) === rows) return 128;
  // Any divisor d with ceil(vocab/d)*d = rows works; rows itself always does.
  for (const d of [64, 32, 16, 8, 4, 2, 1]) if (paddedVocab(vocab, d) === rows) return d;
  return rows;
}

export const EXPORT_PATHS = {
  config: 'config.yml',
  tokenizer: 'tokenizer.json',
  checkpoints: 'checkpoints',
  train: 'train/checkpoints',
  data: 'data',
  readme: 'README.md',
  growth: 'growth.json',
} as const;

/** The config as an ordered record (key order is the file's). */
export function neoxConfig(input: NeoxConfigInput): Record<string, unknown> {
  const { config: c, slots, training: t, tokenizer } = input;
  if (c.arch !== 'tokenformer') throw new FormatError('unsupported', `only a TokenFormer can be exported to the reference trainer (this model is a ${c.arch})`);
  if (!Number.isInteger(c.rotaryBase)) throw new FormatError('unsupported', `rotary base ${c.rotaryBase} is not an integer, which the reference's rotary_emb_base requires`);
  const at = (p: string) => (input.root === '' || input.root === '.' ? p : `${input.root.replace(/\/+$/, '')}/${p}`);
  const vocab = tokenizerVocab(tokenizer, c.vocabSize);
  const rows = tokenizer === 'char' ? Math.max(512, c.vocabSize) : c.vocabSize;
  const seq = Math.min(t.seqLen, c.maxSeqLen);
  const warmup = t.steps > 0 ? Math.min(1, t.warmupSteps / t.steps) : 0;
  const out: Record<string, unknown> = {
    pipe_parallel_size: 1,
    model_parallel_size: 1,
    num_layers: c.numLayers,
    hidden_size: c.hiddenSize,
    num_attention_heads: c.numHeads,
    qkv_slot_num: slots.qkv,
    proj_slot_num: slots.proj,
    ffn_slot_num: slots.ffn,
    seq_length: seq,
    max_position_embeddings: c.maxSeqLen,
    pos_emb: 'rotary',
    rotary_pct: new YamlFloat(c.rotaryPct),
    rotary_emb_base: c.rotaryBase,
    no_weight_tying: false,
    norm: 'layernorm_nonparam',
    final_norm: 'layernorm',
    layernorm_epsilon: new YamlFloat(c.layerNormEps),
    gpt_j_residual: false,
    output_layer_parallelism: 'column',
    use_bias_in_attn_linear: false,
    attention_config: [[['tokenformer'], c.numLayers]],
    norm_activation_type: c.norm,
    scaled_upper_triang_masked_softmax_fusion: false,
    bias_gelu_fusion: false,
    rope_fusion: false,
    layernorm_fusion: false,
    init_method: 'normal',
    output_layer_init_method: 'wang_init',
    init_method_std: new YamlFloat(c.initStd),
    tokenizer_type: tokenizer === 'char' ? 'CharLevelTokenizer' : 'HFTokenizer',
    ...(tokenizer === 'char' ? {} : { vocab_file: at(EXPORT_PATHS.tokenizer) }),
    make_vocab_size_divisible_by: vocabDivisor(vocab, rows),
    optimizer: { type: 'Adam', params: { lr: new YamlFloat(t.lr), betas: [new YamlFloat(t.beta1), new YamlFloat(t.beta2)], eps: new YamlFloat(t.eps) } },
    min_lr: new YamlFloat(Math.min(t.minLr, t.lr)),
    weight_decay: new YamlFloat(t.weightDecay),
    gradient_clipping: new YamlFloat(t.gradClip),
    zero_optimization: { stage: 1, allgather_partitions: true, allgather_bucket_size: 500000000, overlap_comm: true, reduce_scatter: true, reduce_bucket_size: 500000000, contiguous_gradients: true },
    train_micro_batch_size_per_gpu: t.batchSize,
    gradient_accumulation_steps: 1,
    hidden_dropout: 0,
    attention_dropout: 0,
    ...(t.precision === 'fp16'
      ? { fp16: { fp16: true, enabled: true, loss_scale: 0, loss_scale_window: 1000, initial_scale_power: 12, hysteresis: 2, min_loss_scale: 1 } }
      : { bf16: { enabled: true }, precision: 'bfloat16' }),
    train_iters: t.steps,
    lr_decay_iters: t.steps,
    lr_decay_style: 'cosine',
    warmup: new YamlFloat(warmup),
    ...(input.dataPrefix ? { data_path: at(input.dataPrefix), data_impl: 'mmap', split: (input.split ?? [969, 30, 1]).join(',') } : {}),
    checkpoint_factor: t.checkpointEvery,
    ...(input.start === 'finetune'
      ? { load: at(EXPORT_PATHS.checkpoints), save: at(EXPORT_PATHS.checkpoints), finetune: true }
      : { load: at(EXPORT_PATHS.train), save: at(EXPORT_PATHS.train), pretrain_partial_init: at(EXPORT_PATHS.checkpoints) }),
    eval_interval: Math.max(1, Math.min(1000, t.steps)),
    eval_iters: 10,
    log_interval: Math.max(1, Math.min(100, Math.floor(t.steps / 10) || 1)),
    checkpoint_validation_with_forward_pass: false,
    log_dir: at('train/logs'),
    use_wandb: false,
  };
  return out;
}

/** A float that must be written with a decimal point (PyYAML reads `1e-05` as a string, `1.0e-05` as a float). */
export class YamlFloat {
  constructor(readonly value: number) {}
}

/** A Python float literal PyYAML's resolver reads as a float. */
export function yamlFloat(x: number): string {
  if (!Number.isFinite(x)) throw new FormatError('unsupported', `cannot write ${x} as a config value`);
  const s = String(x);
  if (/^-?\d+$/.test(s)) return `${s}.0`;
  const m = /^(-?\d+)(e[+-]?\d+)$/.exec(s);
  return m ? `${m[1]}.0${m[2]}` : s;
}

/**
 * The config file text: the JSON-like YAML the official configs use (PyYAML reads JSON flow style), one key a
 * line, with `#` comments heading it.
 */
export function formatNeoxYaml(record: Record<string, unknown>, header: string[] = []): string {
  const value = (v: unknown): string => {
    if (v instanceof YamlFloat) return yamlFloat(v.value);
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) throw new FormatError('unsupported', `cannot write ${v} as a config value`);
      return Number.isInteger(v) ? String(v) : yamlFloat(v);
    }
    if (typeof v === 'string' || typeof v === 'boolean') return JSON.stringify(v);
    if (v === null) return 'null';
    if (Array.isArray(v)) return `[${v.map(value).join(', ')}]`;
    if (typeof v === 'object') return `{${Object.entries(v as Record<string, unknown>).map(([k, x]) => `${JSON.stringify(k)}: ${value(x)}`).join(', ')}}`;
    throw new FormatError('unsupported', `cannot write a ${typeof v} as a config value`);
  };
  const lines = [...header.map((h) => `# ${h}`), '{'];
  const entries = Object.entries(record);
  entries.forEach(([k, v], i) => lines.push(`  ${JSON.stringify(k)}: ${value(v)}${i < entries.length - 1 ? ',' : ''}`));
  lines.push('}', '');
  return lines.join('\n');
}

/**
 * GPT-2's byte-to-character table, which the `tokenizers` ByteLevel pre-tokenizer applies before the vocabulary
 * lookup: printable Latin-1 bytes stand for themselves, the other 68 take code points from 256 up, in byte order.
 */
export function byteLevelAlphabet(): string[] {
  const printable = (b: number) => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  const out: string[] = [];
  let next = 256;
  for (let b = 0; b < 256; b++) out.push(String.fromCodePoint(printable(b) ? b : next++));
  return out;
}

/** A `tokenizers` JSON whose ids are the UTF-8 bytes of the text: ByteLevel pre-tokenizer, 256-entry BPE, no merges. */
export function byteTokenizerJson(): string {
  const vocab = Object.fromEntries(byteLevelAlphabet().map((ch, id) => [ch, id]));
  const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true };
  return `${JSON.stringify(
    {
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: [],
      normalizer: null,
      pre_tokenizer: byteLevel,
      post_processor: null,
      decoder: byteLevel,
      model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, vocab, merges: [] },
    },
    null,
    1,
  )}\n`;
}
