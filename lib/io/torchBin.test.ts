// PyTorch .bin reader: the reference fixture, CPython-written legacy and protocol-4 files, views, and refusals.
import { readFileSync } from 'node:fs';
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { bytesSource } from './byteSource';
import { f32Bytes } from './dtype';
import { readSafetensors, type NamedTensor } from './safetensors';
import { PickleWriter, randomTensor, rng, torchStatePickle, torchZip, code } from './testUtils';
import { readTorchBin } from './torchBin';

const REF = '/work/shared/fixtures/reference-small';
const here = (f: string) => new URL(`./testdata/${f}`, import.meta.url);
const EXPECTED = JSON.parse(readFileSync(here('expected.json'), 'utf8')) as Record<string, { shape: number[]; data: number[] }>;

function checkExpected(tensors: Map<string, NamedTensor>) {
  expect([...tensors.keys()]).toEqual(Object.keys(EXPECTED));
  for (const [name, e] of Object.entries(EXPECTED)) {
    expect(tensors.get(name)!.shape, name).toEqual(e.shape);
    expect([...tensors.get(name)!.data], name).toEqual(e.data);
  }
}

/** A legacy (pre-zip) checkpoint around a main pickle whose persistent ids name storages `keys`. */
function legacyFile(main: Uint8Array, storages: [string, Float32Array][]): Uint8Array {
  const magic = new PickleWriter().proto(2).op(0x8a, 10, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19).stop().bytes();
  const proto = new PickleWriter().proto(2).int(1001).stop().bytes();
  const sys = new PickleWriter().proto(2).emptyDict().str('little_endian').op(0x88, 0x73).stop().bytes();
  const keys = new PickleWriter().proto(2).op(0x5d).mark();
  storages.forEach(([k]) => keys.str(k));
  const parts = [magic, proto, sys, main, keys.op(0x65).stop().bytes()];
  for (const [, data] of storages) {
    const count = new Uint8Array(8);
    new DataView(count.buffer).setUint32(0, data.length, true);
    parts.push(count, f32Bytes(data));
  }
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  parts.reduce((o, p) => (out.set(p, o), o + p.length), 0);
  return out;
}

describe('readTorchBin', () => {
  it('reads the reference model.bin: every tensor equals model.safetensors exactly', async () => {
    const bin = await readTorchBin(new Uint8Array(readFileSync(`${REF}/model.bin`)));
    const st = readSafetensors(new Uint8Array(readFileSync(`${REF}/model.safetensors`))).tensors;
    expect([...bin.tensors.keys()].sort()).toEqual([...st.keys()].sort());
    for (const [name, t] of st) {
      expect(bin.tensors.get(name)!.shape, name).toEqual(t.shape);
      expect(bin.tensors.get(name)!.data, name).toEqual(t.data);
    }
    expect(bin.warnings).toEqual([]);
  });

  it('reads a CPython-written legacy checkpoint: strides, offsets, F16, Parameter, scalar, empty', async () => {
    const r = await readTorchBin(new Uint8Array(readFileSync(here('legacy.pt'))));
    checkExpected(r.tensors);
    expect(r.warnings.join('\n')).toContain('"count" has dtype I64');
  });

  it('reads a protocol-4 pickle in a deflated zip, from a random-access source', async () => {
    const r = await readTorchBin(bytesSource(new Uint8Array(readFileSync(here('proto4-deflate.pt')))));
    checkExpected(r.tensors);
  });

  it('round-trips random tensors through torch.save-style zips, stored and deflated', async () => {
    const next = rng(7);
    const tensors = new Map<string, NamedTensor>([
      ['a.weight', randomTensor([3, 5], next)],
      ['b', randomTensor([7], next)],
      ['c', randomTensor([2, 1, 3], next)],
    ]);
    for (const deflate of [false, true]) {
      const r = await readTorchBin(torchZip(torchStatePickle(tensors), tensors, { deflate, archive: 'my_model' }));
      for (const [n, t] of tensors) expect(r.tensors.get(n)).toEqual(t);
    }
  });

  it('finds the state dict nested under "state_dict" / "module"', async () => {
    const t = new Map([['w', randomTensor([2, 2], rng(1))]]);
    const inner = torchStatePickle(t);
    // Wrap: {"module": <inner dict>, "epoch": 3}
    const w = new PickleWriter().proto(2).emptyDict().mark().str('module');
    const outer = new Uint8Array([...w.bytes(), ...inner.subarray(2, -1), ...new PickleWriter().str('epoch').int(3).setitems().stop().bytes()]);
    const r = await readTorchBin(torchZip(outer, t));
    expect(r.tensors.get('w')).toEqual(t.get('w'));
    expect(r.warnings[0]).toContain('"module"');
  });

  it('grows its read window for legacy pickles larger than the first chunk', async () => {
    const data = new Float32Array([1, 2, 3]);
    const big = 'x'.repeat(1_300_000);
    const main = new PickleWriter().proto(2).emptyDict().mark().str('note').str(big).str('w');
    main.global('torch._utils', '_rebuild_tensor_v2').mark().mark().str('storage').global('torch', 'FloatStorage').str('k0').str('cpu').int(3).op(0x4e).tuple().op(0x51);
    main.int(0).int(3).op(0x85).int(1).op(0x85).op(0x89).emptyDict().tuple().reduce().setitems().stop();
    const r = await readTorchBin(legacyFile(main.bytes(), [['k0', data]]));
    expect(r.tensors.get('w')).toEqual({ shape: [3], data });
  });
});

describe('readTorchBin refusals', () => {
  const t = new Map([['w', randomTensor([2, 3], rng(3))]]);

  it('refuses a zip whose data.pkl calls os.system, naming the global', async () => {
    const evil = new PickleWriter().proto(2).global('os', 'system').str('echo pwned').op(0x85).reduce().stop().bytes();
    await expect(readTorchBin(torchZip(evil, t))).rejects.toThrow(/refusing to load global os\.system/);
    await expect(readTorchBin(torchZip(evil, t))).rejects.toMatchObject({ code: 'unsafe-pickle' });
  });

  it('refuses a legacy file whose main pickle names a disallowed global (e.g. a whole nn.Module)', async () => {
    const main = new PickleWriter().proto(2).global('torch.nn.modules.linear', 'Linear').emptyTuple().reduce().stop().bytes();
    expect(await code(readTorchBin(legacyFile(main, [])))).toBe('unsafe-pickle');
  });

  it('can treat unknown globals as inert placeholders when asked (never called)', async () => {
    const inner = torchStatePickle(t);
    const w = new PickleWriter().proto(2).emptyDict().mark().str('args').global('argparse', 'Namespace').emptyTuple().reduce().emptyDict().op(0x62);
    const pkl = new Uint8Array([...w.bytes(), ...inner.subarray(4, -2), ...new PickleWriter().setitems().stop().bytes()]);
    expect(await code(readTorchBin(torchZip(pkl, t)))).toBe('unsafe-pickle');
    const r = await readTorchBin(torchZip(pkl, t), { allowUnknownGlobals: true });
    expect(r.tensors.get('w')).toEqual(t.get('w'));
  });

  it('rejects views outside their storage, too many views of one storage, and big-endian files', async () => {
    const big = new Map([['w', randomTensor([1000], rng(4))]]);
    const shape = (dims: number[], stride: number[], offset = 0, n = 1) => {
      const w = new PickleWriter().proto(2).emptyDict().mark();
      for (let i = 0; i < n; i++) {
        w.str(`t${i}`).global('torch._utils', '_rebuild_tensor_v2').mark().mark().str('storage').global('torch', 'FloatStorage').str('0').str('cpu').int(1000).tuple().op(0x51);
        w.int(offset).mark();
        dims.forEach((d) => w.int(d));
        w.tuple().mark();
        stride.forEach((d) => w.int(d));
        w.tuple().op(0x89).emptyDict().tuple().reduce();
      }
      return torchZip(w.setitems().stop().bytes(), big);
    };
    expect(await code(readTorchBin(shape([10, 100], [100, 1])))).toBe('ok');
    expect(await code(readTorchBin(shape([10, 100], [100, 1], 1)))).toBe('bad-offsets');
    expect(await code(readTorchBin(shape([100, 100], [1, 10])))).toBe('bad-offsets');
    // 2000 names for one 4 KB storage would need 8 MB from a ~130 KB file.
    expect(await code(readTorchBin(shape([10, 100], [100, 1], 0, 2000)))).toBe('bad-offsets');
    expect(await code(readTorchBin(shape([10, 100], [100, 1], 0, 20)))).toBe('ok');
    expect(await code(readTorchBin(shape([60000, 60000], [0, 0])))).toBe('bad-offsets');
    const files = { 'a/data.pkl': torchStatePickle(t), 'a/byteorder': new TextEncoder().encode('big'), 'a/data/0': f32Bytes(t.get('w')!.data).slice() };
    expect(await code(readTorchBin(zipSync(files, { level: 0 })))).toBe('unsupported');
  });

  it('rejects missing storages, short storages, non-dict roots and non-torch files', async () => {
    const pkl = torchStatePickle(t);
    expect(await code(readTorchBin(zipSync({ 'a/data.pkl': pkl }, { level: 0 })))).toBe('missing-tensor');
    expect(await code(readTorchBin(zipSync({ 'a/data.pkl': pkl, 'a/data/0': new Uint8Array(8) }, { level: 0 })))).toBe('truncated');
    expect(await code(readTorchBin(torchZip(new PickleWriter().proto(2).int(1).stop().bytes(), t)))).toBe('bad-pickle');
    expect(await code(readTorchBin(zipSync({ 'x.txt': new Uint8Array(1) })))).toBe('bad-zip');
    expect(await code(readTorchBin(new TextEncoder().encode('hello')))).toBe('unknown-format');
    expect(await code(readTorchBin(new PickleWriter().proto(2).int(5).stop().bytes()))).toBe('unknown-format');
  });
});
