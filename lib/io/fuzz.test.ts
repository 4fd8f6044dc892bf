// Seeded fuzzing of every reader: each mutated input must parse or throw FormatError/ConfigError, quickly and
// without outputs larger than the input allows. A failure prints the case (seed, index) to replay it.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, fromReferenceConfig } from '../tokenformer/config';
import { decodeCheckpoint, encodeCheckpoint } from './checkpoint';
import { modelConfigFromReference, readReferenceConfig } from './configReader';
import { FormatError } from './errors';
import { unpickle } from './pickle';
import { readSafetensors, writeSafetensors, type NamedTensor } from './safetensors';
import { PY_PICKLES } from './testdata/pyPickles';
import { randomTensor, rng, torchStatePickle, torchZip } from './testUtils';
import { findTorchGlobal } from './torchGlobals';
import { readTorchBin } from './torchBin';

type Rand = () => number;
const int = (next: Rand, n: number) => Math.floor(next() * n);
const INTERESTING = [0, 1, 0x7f, 0x80, 0xff, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff, 2 ** 32 + 8, 2 ** 53 - 1];

/** One random structural or byte-level change; `hot` is a byte range mutations prefer (a header, a directory). */
function mutate(src: Uint8Array, next: Rand, hot: [number, number] = [0, src.length]): Uint8Array {
  const pos = () => (next() < 0.6 && hot[1] > hot[0] ? hot[0] + int(next, hot[1] - hot[0]) : int(next, Math.max(1, src.length)));
  const b = src.slice();
  switch (int(next, 6)) {
    case 0: // bit flips
      for (let i = 0, n = 1 + int(next, 4); i < n && b.length; i++) b[pos() % b.length] ^= 1 << int(next, 8);
      return b;
    case 1: // interesting bytes
      for (let i = 0, n = 1 + int(next, 3); i < n && b.length; i++) b[pos() % b.length] = [0, 0xff, 0x7f, 0x80, 0x7b, 0x2e][int(next, 6)];
      return b;
    case 2: // truncation
      return b.subarray(0, int(next, b.length + 1));
    case 3: { // insertion
      const at = pos() % (b.length + 1);
      const ins = Uint8Array.from({ length: 1 + int(next, 16) }, () => int(next, 256));
      return new Uint8Array([...b.subarray(0, at), ...ins, ...b.subarray(at)]);
    }
    case 4: { // deletion
      const at = pos() % (b.length + 1);
      return new Uint8Array([...b.subarray(0, at), ...b.subarray(at + 1 + int(next, 32))]);
    }
    default: { // a length/offset-sized integer overwritten with an interesting value
      const at = pos();
      const v = INTERESTING[int(next, INTERESTING.length)];
      const width = next() < 0.5 ? 4 : 8;
      if (at + width > b.length) return b;
      const dv = new DataView(b.buffer, b.byteOffset + at, width);
      if (width === 4) dv.setUint32(0, v >>> 0, true);
      else dv.setBigUint64(0, BigInt(v), true);
      return b;
    }
  }
}

/** Runs one case: success or a typed error only; anything else fails the test with the case named. */
async function expectTyped(label: string, f: () => unknown | Promise<unknown>, codes?: Map<string, number>): Promise<'ok' | 'error'> {
  const t0 = performance.now();
  let outcome: 'ok' | 'error' = 'ok';
  try {
    await f();
  } catch (e) {
    if (!(e instanceof FormatError || e instanceof ConfigError)) throw new Error(`${label}: untyped ${(e as Error)?.name}: ${(e as Error)?.message}`, { cause: e });
    const c = e instanceof FormatError ? e.code : 'config';
    codes?.set(c, (codes.get(c) ?? 0) + 1);
    outcome = 'error';
  }
  // A case that needs seconds on a ~1 KB input is a hang in the making (quadratic loop, giant allocation).
  const ms = performance.now() - t0;
  if (ms > 2000) throw new Error(`${label}: took ${Math.round(ms)} ms`);
  return outcome;
}

const floats = (m: Map<string, NamedTensor>) => [...m.values()].reduce((a, t) => a + t.data.length, 0);

function smallTensors(seed: number): Map<string, NamedTensor> {
  const next = rng(seed);
  return new Map([
    ['sequential.0.word_embeddings.weight', randomTensor([4, 3], next)],
    ['b', randomTensor([5], next)],
    ['c.weight', randomTensor([2, 2, 2], next)],
  ]);
}

describe('fuzz', () => {
  it('safetensors: 2000 mutated files (bytes, header JSON, lengths) parse or fail typed', async () => {
    const base = writeSafetensors(smallTensors(1), { note: 'x', config: '{}' });
    const headerEnd = 8 + new DataView(base.buffer).getUint32(0, true);
    const next = rng(101);
    const outcomes = { ok: 0, error: 0 };
    for (let i = 0; i < 2000; i++) {
      let bytes: Uint8Array;
      if (i % 4 === 3) {
        // Header-level edit: rewrite one field of one entry with a hostile value, keep the length consistent.
        const header = JSON.parse(new TextDecoder().decode(base.subarray(8, headerEnd)));
        const names = Object.keys(header);
        const entry = header[names[int(next, names.length)]];
        const hostile = [-1, 1.5, 2 ** 53, 2 ** 31, 'F16', 'BF16', 'I64', 'x', null, [], [0, 2 ** 60], [8, 4], [0, 0], [2 ** 40, 2 ** 40], { a: 1 }];
        const field = ['dtype', 'shape', 'data_offsets', 'extra'][int(next, 4)];
        if (entry && typeof entry === 'object') entry[field] = hostile[int(next, hostile.length)];
        const json = new TextEncoder().encode(JSON.stringify(header));
        bytes = new Uint8Array(8 + json.length + base.length - headerEnd);
        new DataView(bytes.buffer).setUint32(0, json.length, true);
        bytes.set(json, 8);
        bytes.set(base.subarray(headerEnd), 8 + json.length);
      } else bytes = mutate(base, next, [0, headerEnd]);
      outcomes[await expectTyped(`safetensors case ${i}`, () => {
        const r = readSafetensors(bytes, { unsupported: 'skip' });
        // F16/BF16 widen 2x; nothing can grow beyond that.
        expect(floats(r.tensors) * 4).toBeLessThanOrEqual(2 * bytes.length);
      })]++;
    }
    expect(outcomes.error).toBeGreaterThan(500);
    expect(outcomes.ok).toBeGreaterThan(50);
  });

  it('checkpoints: 500 mutated checkpoint files decode or fail typed', async () => {
    const fixture = '/work/shared/fixtures/reference-small';
    const config = fromReferenceConfig(JSON.parse(readFileSync(`${fixture}/config.json`, 'utf8')));
    const tensors = readSafetensors(new Uint8Array(readFileSync(`${fixture}/model.safetensors`))).tensors;
    const base = encodeCheckpoint({ tensors, config, growth: { 'sequential.2.mlp': { tokens: 48, scaleTokens: 48 } }, step: 5, training: { a: 1 } });
    const headerEnd = 8 + new DataView(base.buffer).getUint32(0, true);
    const next = rng(202);
    for (let i = 0; i < 500; i++) {
      const bytes = mutate(base, next, [8, headerEnd]);
      await expectTyped(`checkpoint case ${i}`, () => decodeCheckpoint(bytes));
    }
  });

  it('torch zip: 1500 mutated archives and re-zipped mutated pickles load or fail typed', async () => {
    const tensors = smallTensors(2);
    const pkl = torchStatePickle(tensors);
    const base = torchZip(pkl, tensors);
    const next = rng(303);
    const outcomes = { ok: 0, error: 0 };
    const codes = new Map<string, number>();
    for (let i = 0; i < 1500; i++) {
      // Half the cases change data.pkl and re-zip it, so the CRC passes and the pickle VM sees the damage.
      const bytes = i % 2 ? torchZip(mutate(pkl, next), tensors) : mutate(base, next, [base.length - 400, base.length]);
      outcomes[await expectTyped(`zip case ${i}`, async () => {
        const r = await readTorchBin(bytes);
        expect(floats(r.tensors) * 4).toBeLessThanOrEqual(4 * bytes.length + (1 << 16));
      }, codes)]++;
    }
    // The damage must reach every layer: zip structure, the pickle VM, and tensor bounds.
    for (const c of ['bad-zip', 'bad-pickle', 'truncated']) expect(codes.get(c), c).toBeGreaterThan(10);
    expect(outcomes.error).toBeGreaterThan(300);
    expect(outcomes.ok).toBeGreaterThan(50);
  });

  it('torch legacy and the reference model.bin: 800 mutated files load or fail typed', async () => {
    const legacy = new Uint8Array(readFileSync(new URL('./testdata/legacy.pt', import.meta.url)));
    const ref = new Uint8Array(readFileSync('/work/shared/fixtures/reference-small/model.bin'));
    const next = rng(404);
    const codes = new Map<string, number>();
    for (let i = 0; i < 800; i++) {
      const base = i % 4 === 0 ? ref : legacy;
      const bytes = mutate(base, next, base === ref ? [0, 2600] : [0, base.length]);
      await expectTyped(`legacy/ref case ${i}`, async () => {
        const r = await readTorchBin(bytes);
        expect(floats(r.tensors) * 4).toBeLessThanOrEqual(4 * bytes.length + (1 << 16));
      }, codes);
    }
    for (const c of ['bad-pickle', 'truncated', 'bad-offsets']) expect(codes.get(c), c).toBeGreaterThan(5);
  });

  it('pickle VM: 1500 mutated CPython pickles and random byte strings run or fail typed', async () => {
    const hex = (h: string) => new Uint8Array(h.match(/../g)!.map((b) => parseInt(b, 16)));
    const bases = PY_PICKLES.map(hex);
    const next = rng(505);
    const hooks = { findGlobal: (m: string, n: string) => findTorchGlobal(m, n), persistentLoad: (pid: unknown) => pid };
    for (let i = 0; i < 1500; i++) {
      const bytes = i % 5 === 0 ? Uint8Array.from({ length: int(next, 64) }, () => int(next, 256)) : mutate(bases[i % bases.length], next);
      await expectTyped(`pickle case ${i}`, () => unpickle(bytes, hooks));
    }
  });

  it('config files: 1500 mutated JSON and NeoX YAML texts read or fail typed', async () => {
    const json = readFileSync('/work/shared/fixtures/reference-small/config.json', 'utf8');
    const yaml = `# model\n{\n  "num_layers": 2, # layers\n  "hidden_size": 32,\n  "num_attention_heads": 4,\n  "qkv_slot_num": 24,\n  "ffn_slot_num": 48,\n  "vocab_size": 64,\n  "flag": True,\n  "none": None,\n  "opt": { "betas": [0.9, 0.95], },\n}\n`;
    const alphabet = '{}[]:,"\'#\n -&*!|>%@`?TrueFalseNone0123456789.eE\\\t';
    const next = rng(606);
    for (let i = 0; i < 1500; i++) {
      const yml = i % 2 === 0;
      let text = yml ? yaml : json;
      for (let k = 0, n = 1 + int(next, 4); k < n; k++) {
        const at = int(next, text.length + 1);
        const op = int(next, 3);
        const ch = alphabet[int(next, alphabet.length)].repeat(next() < 0.1 ? 50 : 1);
        text = op === 0 ? text.slice(0, at) + ch + text.slice(at) : op === 1 ? text.slice(0, at) + text.slice(at + 1 + int(next, 8)) : text.slice(0, at) + ch + text.slice(at + 1);
      }
      await expectTyped(`config case ${i}: ${JSON.stringify(text.slice(0, 60))}`, () => modelConfigFromReference(readReferenceConfig(text, yml ? 'c.yml' : 'c.json')));
    }
  });
});
