// Checkpoint round trips (metadata, growth, optimizer), reference export, and loading any format by magic bytes.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fromReferenceConfig } from '../tokenformer/config';
import { bytesSource } from './byteSource';
import { decodeCheckpoint, decodeCheckpointFrom, encodeCheckpoint, encodeCheckpointChunks, stripForReference, type CheckpointInput } from './checkpoint';
import { readReferenceConfig } from './configReader';
import { FormatError } from './errors';
import { loadAnyCheckpoint, sniffCheckpoint } from './loadAny';
import { concatChunks, readSafetensors, writeSafetensors } from './safetensors';
import { torchStatePickle, torchZip } from './testUtils';
import { toPipelineLayers } from './keys';

const REF = '/work/shared/fixtures/reference-small';
const configText = readFileSync(`${REF}/config.json`, 'utf8');
const config = fromReferenceConfig(JSON.parse(configText));
const stBytes = new Uint8Array(readFileSync(`${REF}/model.safetensors`));
const binBytes = new Uint8Array(readFileSync(`${REF}/model.bin`));
const fixture = () => readSafetensors(stBytes).tensors;

function input(): CheckpointInput {
  const tensors = fixture();
  const m = new Map<string, Float32Array>();
  const v = new Map<string, Float32Array>();
  for (const [n, t] of tensors) {
    m.set(n, t.data.map((x) => x * 0.1));
    v.set(n, t.data.map((x) => x * x));
  }
  return {
    tensors,
    config,
    growth: { 'sequential.2.attention.query': { tokens: 24, scaleTokens: 24 } },
    step: 1234,
    optimizer: { step: 1230, m, v },
    training: { lr: 3e-4, cursor: [1, 2] },
    metadata: { note: 'hello' },
  };
}

async function code(p: Promise<unknown> | (() => unknown)): Promise<string> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    if (e instanceof FormatError) return e.code;
    throw e;
  }
  return 'ok';
}

describe('encode/decode', () => {
  it('round-trips tensors, config, growth, step, optimizer moments and training state', async () => {
    const inp = input();
    const bytes = encodeCheckpoint(inp);
    expect(concatChunks(encodeCheckpointChunks(inp))).toEqual(bytes);
    for (const d of [decodeCheckpoint(bytes), await decodeCheckpointFrom(bytesSource(bytes))]) {
      expect(d.config).toEqual(config);
      expect(d.growth).toEqual(inp.growth);
      expect(d.step).toBe(1234);
      expect(d.training).toEqual(inp.training);
      expect(d.metadata).toEqual({ note: 'hello' });
      expect(d.warnings).toEqual([]);
      expect([...d.tensors.keys()].sort()).toEqual([...inp.tensors.keys()].sort());
      for (const [n, t] of inp.tensors) expect(d.tensors.get(n)).toEqual(t);
      expect(d.optimizer!.step).toBe(1230);
      for (const [n, m] of inp.optimizer!.m) expect(d.optimizer!.m.get(n)).toEqual(m);
      for (const [n, v] of inp.optimizer!.v) expect(d.optimizer!.v.get(n)).toEqual(v);
    }
  });

  it('stores the reference config readable by reference names, plus our own fields', () => {
    const meta = readSafetensors(encodeCheckpoint(input())).metadata;
    const ref = JSON.parse(meta.config);
    expect(ref).toMatchObject({ num_layers: 2, hidden_size: 32, qkv_slot_num: 24, vocab_size: 64, tokenformer_lab: { arch: 'tokenformer' } });
    expect(meta.format).toBe('tokenformer-lab/1');
    expect(JSON.parse(meta.growth)['sequential.2.attention.query']).toEqual({ tokens: 24, scaleTokens: 24 });
  });

  it('refuses to write inconsistent checkpoints', async () => {
    const bad = input();
    bad.tensors.delete('sequential.5.norm.bias');
    expect(await code(() => encodeCheckpoint(bad))).toBe('missing-tensor');
    const m = input();
    m.optimizer!.m.set('sequential.5.norm.bias', new Float32Array(3));
    expect(await code(() => encodeCheckpoint(m))).toBe('shape-mismatch');
    const r = input();
    r.metadata = { step: '1' };
    expect(await code(() => encodeCheckpoint(r))).toBe('bad-metadata');
    const g = input();
    g.growth = { x: { tokens: -1, scaleTokens: 1 } };
    expect(await code(() => encodeCheckpoint(g))).toBe('bad-metadata');
  });

  it('never writes NaN or Inf: the error names the first bad tensor, weights or optimizer moments', () => {
    const message = (inp: CheckpointInput) => {
      try {
        encodeCheckpointChunks(inp);
        encodeCheckpoint(inp);
      } catch (e) {
        expect((e as FormatError).code).toBe('non-finite');
        return (e as Error).message;
      }
      return 'written';
    };
    const w = input();
    w.tensors.get('sequential.5.norm.weight')!.data[7] = NaN;
    w.tensors.get('sequential.5.norm.bias')!.data[0] = Infinity;
    expect(message(w)).toBe('refusing to save: tensor "sequential.5.norm.weight" holds NaN at index 7 of 32 (non-finite values are never written)');
    const m = input();
    m.optimizer!.v.get('sequential.5.norm.bias')!.fill(-Infinity, 3, 4);
    expect(message(m)).toMatch(/^refusing to save: tensor "__optimizer__\.exp_avg_sq\.sequential\.5\.norm\.bias" holds -Infinity at index 3 of 32/);
    expect(message(input())).toBe('written');
  });

  it('stripForReference drops optimizer tensors and training state, keeping weights and config', () => {
    const stripped = stripForReference(encodeCheckpoint(input()));
    const file = readSafetensors(stripped);
    expect([...file.tensors.keys()].some((n) => n.startsWith('__optimizer__'))).toBe(false);
    expect(file.tensors.size).toBe(fixture().size);
    expect(Object.keys(file.metadata).sort()).toEqual(['config', 'format', 'growth', 'note', 'step']);
    expect(decodeCheckpoint(stripped).optimizer).toBeUndefined();
  });

  it('decodes a plain reference file only with a config from elsewhere, and flags NaN', () => {
    const plain = decodeCheckpoint(stBytes);
    expect(plain.config).toBeUndefined();
    expect(plain.warnings[0]).toContain('no model config');
    const withCfg = decodeCheckpoint(stBytes, { config });
    expect(withCfg.config).toBe(config);
    expect(withCfg.growth!['sequential.3.mlp']).toEqual({ tokens: 48, scaleTokens: 48 });
    const t = fixture();
    t.get('sequential.5.norm.weight')!.data[3] = NaN;
    expect(decodeCheckpoint(writeSafetensors(t), { config }).warnings).toEqual(['tensor "sequential.5.norm.weight" has 1 NaN and 0 infinite values out of 32']);
  });

  it('rejects malformed metadata of our own keys', async () => {
    const t = fixture();
    const metas: Record<string, string>[] = [{ config: '{' }, { growth: '[1]' }, { step: '-1' }, { config: JSON.stringify({ tokenformer_lab: { model: { arch: 'x' } } }) }, { config: '{"num_layers": 2}' }];
    for (const meta of metas) {
      expect(await code(() => decodeCheckpoint(writeSafetensors(t, meta))), JSON.stringify(meta)).toBe('bad-metadata');
    }
  });
});

describe('loadAnyCheckpoint', () => {
  it('sniffs formats by magic bytes', () => {
    expect(sniffCheckpoint(stBytes.subarray(0, 16))).toBe('safetensors');
    expect(sniffCheckpoint(binBytes.subarray(0, 16))).toBe('torch-zip');
    expect(sniffCheckpoint(new Uint8Array([0x80, 2, 0x8a]))).toBe('torch-legacy');
    expect(sniffCheckpoint(new TextEncoder().encode('{"a": 1}'))).toBeUndefined();
  });

  it('says what is wrong instead of "not a checkpoint" when it can', async () => {
    const message = async (bytes: Uint8Array | string, name = 'f.safetensors') =>
      (await loadAnyCheckpoint(typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes, name).then(() => '', (e: Error) => e.message));
    // A safetensors header length past the end of the file is a safetensors problem, so it is named as one.
    const cut = stBytes.slice(0, 100);
    expect(await message(cut)).toMatch(/^f\.safetensors: safetensors header runs past the end of the file \(\d+ > 100 bytes\)/);
    const huge = stBytes.slice(0, 100);
    new DataView(huge.buffer).setUint32(4, 1, true);
    expect(await message(huge)).toMatch(/header claims 42949\d{5} bytes \(limit 100000000\)/);
    expect(await message(new Uint8Array(0))).toBe('f.safetensors: the file is empty');
    expect(await message('{"num_layers": 2}')).toMatch(/looks like JSON text \(a config file\?\)/);
    expect(await message('<!DOCTYPE html><html>')).toMatch(/looks like HTML/);
    expect(await message(new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]))).toMatch(/gzip-compressed/);
    expect(await message(new Uint8Array([1, 2, 3]))).toMatch(/starts with 01 02 03\): 3 bytes is too short/);
  });

  it('refuses tensors the model does not have before reading any tensor', async () => {
    const extra = new Map(fixture());
    extra.set('evil.payload', { shape: [1000], data: new Float32Array(1000) });
    const bytes = writeSafetensors(extra, {});
    // A source that fails the test if anything past the header is read.
    const headerEnd = 8 + Number(new DataView(bytes.buffer).getBigUint64(0, true));
    const source = { size: bytes.length, read: async (o: number, n: number) => {
      expect(o + n).toBeLessThanOrEqual(headerEnd);
      return bytes.subarray(o, o + n);
    } };
    await expect(loadAnyCheckpoint(source, 'x.safetensors', { config })).rejects.toMatchObject({ code: 'unexpected-tensor', message: expect.stringContaining('"evil.payload"') });
    // The same from a torch zip: refused once the pickle is parsed, before its storages are read.
    const zip = torchZip(torchStatePickle(extra), extra);
    await expect(loadAnyCheckpoint(zip, 'x.bin', { config })).rejects.toMatchObject({ code: 'unexpected-tensor' });
    // Missing ones too.
    const fewer = new Map(fixture());
    fewer.delete('sequential.2.mlp.key_param_tokens');
    await expect(loadAnyCheckpoint(writeSafetensors(fewer, {}), 'y.safetensors', { config })).rejects.toMatchObject({ code: 'missing-tensor' });
  });

  it('loads model.bin and model.safetensors to the same tensors, with the reference config inferring the rest', async () => {
    const referenceConfig = readReferenceConfig(configText.replace('"vocab_size": 64,', ''), 'config.json');
    const a = await loadAnyCheckpoint(binBytes, 'model.bin', { referenceConfig });
    const b = await loadAnyCheckpoint(bytesSource(stBytes), 'model.safetensors', { referenceConfig });
    expect(a.format).toBe('torch-zip');
    expect(b.format).toBe('safetensors');
    expect(a.config).toEqual(config);
    expect(b.config).toEqual(config);
    expect(a.warnings).toEqual([]);
    for (const [n, t] of b.tensors) expect(a.tensors.get(n)).toEqual(t);
  });

  it('loads our own checkpoint with its metadata, a wrapped state dict, and a pipeline layer file', async () => {
    const ours = await loadAnyCheckpoint(encodeCheckpoint(input()), 'run.safetensors');
    expect(ours.step).toBe(1234);
    expect(ours.optimizer?.step).toBe(1230);
    const layer = toPipelineLayers(fixture()).get('layer_05-model_00-model_states.pt')!;
    const pipe = await loadAnyCheckpoint(torchZip(torchStatePickle(layer), layer), 'ckpt/layer_05-model_00-model_states.pt');
    expect([...pipe.tensors.keys()].sort()).toEqual(['sequential.5.norm.bias', 'sequential.5.norm.weight']);
    const wrapped = new Map([...fixture()].map(([n, t]) => [`module.${n}`, t]));
    const w = await loadAnyCheckpoint(torchZip(torchStatePickle(wrapped), wrapped), 'mp_rank_00_model_states.pt', { config });
    expect(w.tensors.has('sequential.0.word_embeddings.weight')).toBe(true);
  });

  it('fails with typed errors naming the file', async () => {
    await expect(loadAnyCheckpoint(new TextEncoder().encode('not a checkpoint'), 'notes.txt')).rejects.toMatchObject({ code: 'unknown-format', message: expect.stringContaining('notes.txt') });
    await expect(loadAnyCheckpoint(binBytes, 'model.bin', { config: { ...config, hiddenSize: 16, numHeads: 4 } })).rejects.toMatchObject({ code: 'shape-mismatch' });
    await expect(loadAnyCheckpoint(binBytes.subarray(0, 5000), 'cut.bin')).rejects.toMatchObject({ code: 'bad-zip' });
  });
});
