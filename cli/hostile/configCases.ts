// Hostile configs and sizes for the command line: a small file or flag that asks for a huge or broken model
// (sizes past the bounds, non-finite or negative settings, growth or batches past the memory budget).
import { readFileSync } from 'node:fs';
import { readSafetensors, writeSafetensors } from '../../lib/io';
import { FIXTURES_DIR } from '../../lib/testing/fixtures';
import { PRESETS } from '../../lib/tokenformer/config';
import { initialGrowth } from '../../lib/tokenformer/params';
import type { HostileCase } from './types';

const REF = `${FIXTURES_DIR}reference-small/`;
/** The fixture's reference config.json (400 bytes), a bare reference safetensors (83 KB) and the PyTorch .bin. */
const configText = readFileSync(`${REF}config.json`, 'utf8');
const bare = new Uint8Array(readFileSync(`${REF}model.safetensors`));
const bin = new Uint8Array(readFileSync(`${REF}model.bin`));
const tensors = readSafetensors(bare).tensors;
const model = { ...PRESETS.micro, vocabSize: 64 };

const MARK = '@@raw@@';
/** JSON of `value` with `raw` written where MARK stands, as text: so 1e400 (which parses to Infinity) reaches the reader. */
const withRaw = (value: unknown, raw: string, indent?: number) => JSON.stringify(value, null, indent).replace(`"${MARK}"`, raw);

/** The fixture's config.json with one setting set (or added) to the raw JSON text `raw`. */
function refConfig(key: string, raw: string): string {
  return withRaw({ ...JSON.parse(configText), [key]: MARK }, raw, 1);
}

/** Our checkpoint format (fixture weights, config and growth in __metadata__) with one config field set to `raw`. */
function labCheckpoint(key: string | null, raw = '', growth?: string): Uint8Array {
  const config = key === null ? JSON.stringify({ tokenformer_lab: { version: 1, model } }) : withRaw({ tokenformer_lab: { version: 1, model: { ...model, [key]: MARK } } }, raw);
  return writeSafetensors(tensors, { format: 'tokenformer-lab/1', config, ...(growth ? { growth } : {}) });
}

const ids = '[[1, 2, 3, 4]]';
const logits = (checkpoint: string, ...extra: string[]) => ['logits', '--checkpoint', checkpoint, '--ids', 'ids.json', '--out', 'out.json', ...extra];
/** The fixture with a reference config whose `key` is `raw`. */
const badReference = (name: string, key: string, raw: string, file = 'config.json'): HostileCase => ({
  name: `config: ${name}`,
  files: { 'model.safetensors': bare, [file]: refConfig(key, raw), 'ids.json': ids },
  argv: logits('model.safetensors', '--config', file),
});
/** Our checkpoint whose metadata config has `key` = `raw`. */
const badMetadata = (name: string, key: string, raw: string): HostileCase => ({
  name: `config: ${name}`,
  files: { 'model.safetensors': labCheckpoint(key, raw), 'ids.json': ids },
  argv: logits('model.safetensors'),
});
const fixtureFiles = { 'model.bin': bin, 'config.json': configText };
const grow = (...extra: string[]) => ['grow', '--checkpoint', 'model.bin', '--config', 'config.json', '--out', 'grown.safetensors', ...extra];
const train = (...extra: string[]) => ['train', '--preset', 'micro', '--steps', '1', ...extra];

const hugeGrowth = JSON.stringify({ ...initialGrowth(model), 'sequential.2.mlp': { tokens: 2 ** 21, scaleTokens: 48 } });
const manyGrowth = JSON.stringify(Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`sequential.${i}.mlp`, { tokens: 48, scaleTokens: 48 }])));

export const configCases: HostileCase[] = [
  // The two files of the issue: both ran the process out of memory.
  { name: 'config: 83 KB safetensors whose metadata says numLayers 3e8', files: { 'model.safetensors': labCheckpoint('numLayers', '3e8'), 'ids.json': ids }, argv: logits('model.safetensors') },
  badReference('400-byte config.json with num_layers 3e8', 'num_layers', '300000000'),
  badReference('layernorm_epsilon -1 (gave NaN logits and exit 0)', 'layernorm_epsilon', '-1'),
  badReference('num_layers 1e400 (Infinity once parsed)', 'num_layers', '1e400'),
  badReference('hidden_size 0', 'hidden_size', '0'),
  badReference('num_attention_heads -4', 'num_attention_heads', '-4'),
  badReference('qkv_slot_num .nan in YAML', 'qkv_slot_num', '.nan', 'config.yml'),
  badReference('ffn_slot_num 1e12', 'ffn_slot_num', '1e12'),
  badReference('proj_slot_num 2.5', 'proj_slot_num', '2.5'),
  badReference('seq_length 1e9', 'seq_length', '1000000000'),
  badReference('rotary_emb_base 0', 'rotary_emb_base', '0'),
  badReference('init_method_std 1e400', 'init_method_std', '1e400'),
  badReference('rotary_pct 0.375 (odd rotary dims)', 'rotary_pct', '0.375'),
  badReference('num_layers given as a string', 'num_layers', '"2"'),
  badMetadata('metadata vocabSize 1e9', 'vocabSize', '1e9'),
  badMetadata('metadata hiddenSize 1e9', 'hiddenSize', '1000000000'),
  badMetadata('metadata layerNormEps 1e400', 'layerNormEps', '1e400'),
  badMetadata('metadata layerNormEps -1', 'layerNormEps', '-1'),
  badMetadata('metadata initStd as a string', 'initStd', '"0.02"'),
  badMetadata('metadata arch is an object', 'arch', '{"evil": true}'),
  badMetadata('metadata maxSeqLen -Infinity', 'maxSeqLen', '-1e400'),
  {
    name: 'config: metadata growth gives one Pattention 2^21 tokens',
    files: { 'model.safetensors': labCheckpoint(null, '', hugeGrowth), 'ids.json': ids },
    argv: logits('model.safetensors'),
  },
  {
    name: 'config: metadata growth names 20000 Pattentions',
    files: { 'model.safetensors': labCheckpoint(null, '', manyGrowth), 'ids.json': ids },
    argv: logits('model.safetensors'),
  },
  { name: 'config: training resumes from a checkpoint that says numLayers 3e8', files: { 'model.safetensors': labCheckpoint('numLayers', '3e8') }, argv: ['train', '--checkpoint', 'model.safetensors', '--steps', '1'] },

  // Sizes past the memory budget, and budgets that are not sizes.
  { name: 'budget: grow --add 1000000 (ran 51 s to 4 GB before)', files: fixtureFiles, argv: grow('--add', '1000000') },
  { name: 'budget: grow --add 100000 under --memory-budget 64MB', files: fixtureFiles, argv: grow('--add', '100000', '--memory-budget', '64MB') },
  { name: 'growth: grow --add 1048576 (past the per-Pattention limit)', files: fixtureFiles, argv: grow('--add', '1048576') },
  { name: 'budget: train --batch 100000000', files: {}, argv: train('--batch', '100000000') },
  { name: 'budget: train --batch 60000 (past the wasm heap)', files: {}, argv: train('--batch', '60000') },
  { name: 'budget: train --batch 2048 under --memory-budget 256MB', files: {}, argv: train('--batch', '2048', '--memory-budget', '256MB') },
  { name: 'budget: train --batch 0', files: {}, argv: train('--batch', '0') },
  { name: 'budget: train --preset tiny under --memory-budget 16MB', files: {}, argv: ['train', '--preset', 'tiny', '--steps', '1', '--memory-budget', '16MB'] },
  { name: 'budget: eval --batch 100000000', files: fixtureFiles, argv: ['eval', '--checkpoint', 'model.bin', '--config', 'config.json', '--batch', '100000000'] },
  { name: 'budget: --memory-budget lots', files: {}, argv: train('--memory-budget', 'lots') },
  { name: 'budget: --memory-budget 2 (no unit)', files: {}, argv: train('--memory-budget', '2') },
  { name: 'budget: --memory-budget 1e400', files: {}, argv: train('--memory-budget', '1e400') },
  { name: 'budget: --memory-budget -1GB', files: fixtureFiles, argv: grow('--add', '8', '--memory-budget', '-1GB') },
  { name: 'budget: --memory-budget 99999999999999TB', files: { 'model.safetensors': bare, 'config.json': configText, 'ids.json': ids }, argv: logits('model.safetensors', '--config', 'config.json', '--memory-budget', '99999999999999TB') },
  { name: 'growth: grow --layers 7 (no such layer)', files: fixtureFiles, argv: grow('--add', '8', '--layers', '7') },
  { name: 'growth: grow --layers a,b', files: fixtureFiles, argv: grow('--add', '8', '--layers', 'a,b') },
];
