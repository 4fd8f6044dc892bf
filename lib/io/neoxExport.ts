// One lab model (and optionally its data) as a folder the official TokenFormer trainer (GPT-NeoX + DeepSpeed)
// runs as it is: config.yml, checkpoints/, data/, tokenizer.json, README.md, growth.json. Browser-safe: the
// result is a map of relative paths to contents, written to disk by the CLI or zipped by the app.
import type { ModelConfig } from '../tokenformer/config';
import { configTokens, pattentionSlots } from '../tokenformer/params';
import type { GrowthState } from '../tokenformer/types';
import { FormatError } from './errors';
import { chunkDocuments, writeMmapDataset } from './mmapDataset';
import { checkpointTag, neoxCheckpointFiles, padVocabulary, uniformSlots } from './neoxCheckpoint';
import { byteTokenizerJson, EXPORT_PATHS, formatNeoxYaml, neoxConfig, paddedVocab, tokenizerVocab, type NeoxTokenizer, type NeoxTraining } from './neoxConfig';
import { planReferenceScale, type ScalePlan } from './neoxGrowth';
import { neoxReadme } from './neoxReadme';
import type { NamedTensor } from './safetensors';

export interface NeoxExportInput {
  tensors: Map<string, NamedTensor>;
  config: ModelConfig;
  growth: GrowthState;
  /** The lab step the model is at (names the checkpoint tag). */
  step: number;
  /** Byte data to tokenise into the mmap dataset, split as in the lab. */
  corpus?: { name: string; train: Uint8Array; val: Uint8Array; test: Uint8Array };
  /** Default: `byte` for a 256-id model, `bpe` for a larger vocabulary. */
  tokenizer?: NeoxTokenizer;
  training: NeoxTraining;
  start?: 'finetune' | 'partial-init';
  /** The export folder as the trainer's working directory sees it (default: the folder's own name). */
  root: string;
  /** Measures the largest logit change between the lab's function and the reference's (see neoxGrowth). */
  measure?: (plan: ScalePlan) => Promise<number>;
  /** Bytes per document in the dataset (the reference splits train/valid/test by document). */
  docBytes?: number;
}

/** What growth means for the export. */
export interface GrowthReport {
  /** Per kind: tokens the model started with (its config) and has now. */
  slots: Record<'qkv' | 'proj' | 'ffn', { from: number; to: number }>;
  /** Pattentions grown in the lab that normalise by a kept (smaller) count. */
  keptScale: number;
  folded: string[];
  changed: string[];
  /** Largest |Δ logit| on the probe, lab function vs the reference's; undefined when not measured. */
  maxLogitChange?: number;
}

export interface NeoxExport {
  files: Map<string, Uint8Array | string>;
  /** One line per fact the user should see (printed by the CLI, shown by the app). */
  summary: string[];
  growth?: GrowthReport;
}

export const DEFAULT_DOC_BYTES = 4096;

export async function exportNeox(input: NeoxExportInput): Promise<NeoxExport> {
  const { config: c, growth } = input;
  if (c.arch !== 'tokenformer') throw new FormatError('unsupported', `only a TokenFormer can go to the reference trainer (this model is a ${c.arch})`);
  const tokenizer = input.tokenizer ?? (c.vocabSize === 256 ? 'byte' : 'bpe');
  if (tokenizer !== 'bpe' && c.vocabSize !== 256) throw new FormatError('unsupported', `a byte-level tokenizer needs a 256-id model; this one has ${c.vocabSize} ids (use the bpe tokenizer)`);
  if (tokenizer === 'bpe' && c.vocabSize <= 256) throw new FormatError('unsupported', `a ${c.vocabSize}-id model is byte-level: use the byte or char tokenizer`);
  if (tokenizer === 'bpe' && input.corpus) throw new FormatError('unsupported', 'data is exported as bytes; a BPE model needs its data tokenised by the reference (tools/datasets/preprocess_data.py)');
  const slots = uniformSlots(c, growth);
  const plan = planReferenceScale(c, growth, input.tensors);
  const summary: string[] = [];

  let report: GrowthReport | undefined;
  const kinds = { qkv: 'query', proj: 'proj', ffn: 'ffn' } as const;
  const grown = pattentionSlots(c).some((s) => growth[s.prefix].tokens !== configTokens(c, s.kind));
  const keptScale = Object.values(growth).filter((s) => s.scaleTokens !== s.tokens).length;
  if (grown || keptScale) {
    report = {
      slots: Object.fromEntries(Object.entries(kinds).map(([k, kind]) => [k, { from: configTokens(c, kind), to: slots[k as keyof typeof slots] }])) as GrowthReport['slots'],
      keptScale,
      folded: plan.folded,
      changed: plan.changed,
      maxLogitChange: keptScale && input.measure ? await input.measure(plan) : keptScale ? undefined : 0,
    };
    summary.push(...growthLines(c, report));
  }

  const vocab = tokenizerVocab(tokenizer, c.vocabSize);
  const rows = tokenizer === 'char' ? paddedVocab(vocab, 128) : c.vocabSize;
  const tensors = padVocabulary(plan.tensors, rows);
  if (rows !== c.vocabSize) summary.push(`vocabulary: ${c.vocabSize} ids padded with zero rows to ${rows} (CharLevelTokenizer); the reference's softmax also runs over the ${rows - c.vocabSize} unused ids, so its loss differs from the lab's`);

  const files = new Map<string, Uint8Array | string>();
  let dataPrefix: string | undefined;
  let split: [number, number, number] | undefined;
  if (input.corpus) {
    const size = input.docBytes ?? DEFAULT_DOC_BYTES;
    const parts = [input.corpus.train, input.corpus.val, input.corpus.test].map((b) => chunkDocuments(b, size));
    const ds = writeMmapDataset(parts.flat(), vocab);
    const name = safeName(input.corpus.name);
    dataPrefix = `${EXPORT_PATHS.data}/${name}_text_document`;
    split = [parts[0].length, parts[1].length, parts[2].length];
    files.set(`${dataPrefix}.bin`, ds.bin);
    files.set(`${dataPrefix}.idx`, ds.idx);
    summary.push(`data: ${ds.tokens.toLocaleString('en-US')} tokens in ${ds.documents} documents (${split.join('/')} train/valid/test) -> ${dataPrefix}.{bin,idx}`);
  }

  const start = input.start ?? 'finetune';
  const record = neoxConfig({ config: c, slots, tokenizer, training: input.training, root: input.root, dataPrefix, split, start });
  const header = [
    `TokenFormer Lab export: a ${c.numLayers}-layer TokenFormer at lab step ${input.step}, for the official TokenFormer trainer.`,
    `Run from the TokenFormer checkout with this folder at ${input.root}: python deepy.py train.py ${input.root}/${EXPORT_PATHS.config}`,
    ...(report ? [`Grown in the lab: qkv ${report.slots.qkv.from}->${report.slots.qkv.to}, proj ${report.slots.proj.from}->${report.slots.proj.to}, ffn ${report.slots.ffn.from}->${report.slots.ffn.to} tokens (growth.json).`] : []),
  ];
  const configText = formatNeoxYaml(record, header);
  files.set(EXPORT_PATHS.config, configText);
  if (tokenizer === 'byte') files.set(EXPORT_PATHS.tokenizer, byteTokenizerJson());
  const args = {
    num_layers: c.numLayers,
    hidden_size: c.hiddenSize,
    num_attention_heads: c.numHeads,
    max_position_embeddings: c.maxSeqLen,
    make_vocab_size_divisible_by: record.make_vocab_size_divisible_by as number,
    padded_vocab_size: rows,
    tokenizer_type: record.tokenizer_type as string,
    model_parallel_size: 1,
  };
  for (const [p, data] of neoxCheckpointFiles({ tensors, step: input.step, args, configFiles: { [EXPORT_PATHS.config]: configText } })) files.set(`${EXPORT_PATHS.checkpoints}/${p}`, data);
  if (report) files.set(EXPORT_PATHS.growth, `${JSON.stringify({ lab: growth, reference: plan.growth, ...report }, null, 1)}\n`);
  summary.unshift(`checkpoint: ${EXPORT_PATHS.checkpoints}/${checkpointTag(input.step)}/ (${tensors.size} tensors, float32; the trainer rounds them to ${input.training.precision})`);
  files.set(EXPORT_PATHS.readme, neoxReadme({ config: c, root: input.root, step: input.step, tokenizer, training: input.training, start, summary, files: [...files.keys()] }));
  return { files, summary, growth: report };
}

function growthLines(c: ModelConfig, r: GrowthReport): string[] {
  const lines = [`growth: qkv ${r.slots.qkv.from}->${r.slots.qkv.to}, proj ${r.slots.proj.from}->${r.slots.proj.to}, ffn ${r.slots.ffn.from}->${r.slots.ffn.to} tokens; exported as the grown model (the *_slot_num keys state the grown counts)`];
  if (!r.keptScale) return [...lines, 'growth: every Pattention already normalises by its token count, as the reference does: nothing changes'];
  lines.push(`growth: ${r.keptScale} Pattentions normalise by a kept count (grown with preserve); the reference recomputes the ${c.norm === 'softmax' ? 'n' : '√n'} scale from the token count`);
  if (r.folded.length) lines.push(`growth: ${c.norm}: the kept scale is folded into the value tokens of ${r.folded.length} Pattentions (exact)`);
  if (r.changed.length) lines.push(`growth: l2_norm_gelu: √n sits inside the GELU, so ${r.changed.length} Pattentions compute a different function there`);
  if (r.maxLogitChange !== undefined) lines.push(`growth: max |logit change| lab -> reference on the probe: ${r.maxLogitChange.toExponential(3)}`);
  return lines;
}

/** Dataset names become file names: keep letters, digits, dot, dash, underscore. */
function safeName(name: string): string {
  const s = name.replace(/\.[a-z0-9]+$/i, '').replace(/[^\w.-]+/g, '_').replace(/^[._]+/, '').slice(0, 64);
  return s || 'data';
}
