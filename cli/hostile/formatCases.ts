// Hostile checkpoint and corpus files (zip bombs, lying sizes, pickle bombs, safetensors header lies...), each
// with the command that reads it. Generated, not stored: most are a few bytes of intent and megabytes of output.
import { preset } from '../../lib/tokenformer/config';
import { crc32 } from '../../lib/zip';
import {
  Bytes,
  deflated,
  microCheckpoint,
  Pickle,
  safetensors,
  stateDictPickle,
  stored,
  torchZip,
  writeZip,
  zeroBomb,
  zerosCrc,
  type RawZipEntry,
} from './builders';
import type { HostileCase } from './types';

const GiB = 2 ** 30;
const EMB = 'sequential.0.word_embeddings.weight';

/** `convert --reference` writes whatever loads, so a file that should have been refused exits 0, not 1. */
const convert = (file: string): string[] => ['convert', '--in', file, '--out', 'out.safetensors', '--reference'];
const logits = (file: string): string[] => ['logits', '--checkpoint', file, '--ids', 'ids.json', '--out', 'out.json'];

/** A deflated entry of `matches * 258 + 1` zeros (~1 GiB by default) from ~1 MB, declaring `declared` bytes. */
function bombEntry(name: string, declared?: number, matches = Math.floor((GiB - 1) / 258)): RawZipEntry {
  const b = zeroBomb(matches);
  return { name, data: b.data, method: 8, crc: zerosCrc(b.size), size: declared ?? b.size };
}

/** A one-tensor state dict on storage "0" of `numel` floats. */
const onePickle = (numel = 4, shape = [2, 2]) => stateDictPickle([[EMB, '0', numel, shape]]);
const floats = (n: number) => new Uint8Array(new Float32Array(n).fill(0.5).buffer);

function zipCases(): HostileCase[] {
  const good = torchZip(onePickle(), [stored('archive/data/0', floats(4))]);
  const cases: HostileCase[] = [
    { name: 'torch zip: storage entry inflates to 1 GiB (declared honestly)', files: { 'm.bin': torchZip(onePickle(), [bombEntry('archive/data/0')]) }, argv: convert('m.bin') },
    { name: 'torch zip: storage declares 16 bytes, inflates to 1 GiB', files: { 'm.bin': torchZip(onePickle(), [bombEntry('archive/data/0', 16)]) }, argv: convert('m.bin') },
    {
      name: 'torch zip: storage of 256 MiB the pickle asks for, from a 260 KB ratio bomb',
      files: { 'm.bin': torchZip(onePickle(2 ** 26, [1]), [bombEntry('archive/data/0', undefined, 2 ** 28 / 258)]) },
      argv: convert('m.bin'),
    },
    { name: 'torch zip: data.pkl is a 1 GiB deflate bomb', files: { 'm.bin': writeZip([bombEntry('archive/data.pkl')]) }, argv: convert('m.bin') },
    {
      name: 'torch zip: zip64 storage size of 1 TiB',
      files: { 'm.bin': torchZip(onePickle(), [{ ...stored('archive/data/0', floats(4)), zip64: { size: 2 ** 40, compressedSize: 16 } }]) },
      argv: convert('m.bin'),
    },
    {
      name: 'torch zip: zip64 compressed size past the end of the file',
      files: { 'm.bin': torchZip(onePickle(), [{ ...stored('archive/data/0', floats(4)), zip64: { size: 16, compressedSize: 2 ** 45 } }]) },
      argv: convert('m.bin'),
    },
    { name: 'torch zip: CRC error in a storage', files: { 'm.bin': torchZip(onePickle(), [{ ...stored('archive/data/0', floats(4)), crc: 1234 }]) }, argv: convert('m.bin') },
    {
      name: 'torch zip: CRC error in data.pkl',
      files: { 'm.bin': writeZip([{ ...stored('archive/data.pkl', onePickle()), crc: 99 }, stored('archive/data/0', floats(4))]) },
      argv: convert('m.bin'),
    },
    { name: 'torch zip: end record claims 65,535 entries', files: { 'm.bin': writeZip([stored('archive/data.pkl', onePickle())], { eocdCount: 0xffff - 1 }) }, argv: convert('m.bin') },
    { name: 'torch zip: central directory offset past the end', files: { 'm.bin': writeZip([stored('archive/data.pkl', onePickle())], { cdOffsetDelta: 1 << 30 }) }, argv: convert('m.bin') },
    {
      name: 'torch zip: overlapping entries share one 1 GiB stream',
      files: { 'm.bin': torchZip(stateDictPickle([[EMB, '0', 4, [2, 2]], ['x', '1', 4, [4]]]), [bombEntry('archive/data/0'), { ...bombEntry('archive/data/1'), offset: 0 }]) },
      argv: convert('m.bin'),
    },
    { name: 'torch zip: storage compressed with method 12 (bzip2)', files: { 'm.bin': torchZip(onePickle(), [{ ...stored('archive/data/0', floats(4)), method: 12 as 0 }]) }, argv: convert('m.bin') },
    { name: 'torch zip: no data.pkl', files: { 'm.bin': writeZip([stored('archive/data/0', floats(4))]) }, argv: convert('m.bin') },
    {
      name: 'torch zip: 60,000 entries, none of them data.pkl',
      files: { 'm.bin': writeZip(Array.from({ length: 60_000 }, (_, i) => stored(`a/${i}`, ''))) },
      argv: convert('m.bin'),
    },
    { name: 'torch zip: storage the pickle names is missing', files: { 'm.bin': torchZip(onePickle()) }, argv: convert('m.bin') },
    { name: 'torch zip: stored storage declares more bytes than it holds', files: { 'm.bin': torchZip(onePickle(), [{ ...stored('archive/data/0', floats(4)), size: 1 << 30 }]) }, argv: convert('m.bin') },
  ];
  for (const f of [0.05, 0.2, 0.4, 0.6, 0.8, 0.95, 0.999]) {
    cases.push({ name: `torch zip: truncated at ${f * 100}%`, files: { 'm.bin': good.subarray(0, Math.floor(good.length * f)) }, argv: convert('m.bin') });
  }
  return cases;
}

/** A torch zip whose data.pkl is `pkl` (stored, so the pickle VM sees every byte). */
const pickleCase = (name: string, pkl: Uint8Array): HostileCase => ({ name: `pickle: ${name}`, files: { 'm.bin': torchZip(pkl) }, argv: convert('m.bin') });

function pickleCases(): HostileCase[] {
  const p = () => new Pickle().proto(2);
  const repeat = (pk: Pickle, n: number, ...ops: string[]) => {
    for (let i = 0; i < n; i++) pk.op(...ops);
    return pk;
  };
  // A list of 10,000 ints in memo 0, then each REDUCE copies it again: quadratic through an allowed callable.
  const amplify = (fn: [string, string], arg: (pk: Pickle) => void, n: number) => {
    const pk = p();
    arg(pk);
    pk.u8(0x71, 0).op('0'); // BINPUT 0, POP
    pk.global(...fn).u8(0x71, 1).op('0');
    for (let i = 0; i < n; i++) pk.u8(0x68, 1, 0x68, 0).op('\x85', 'R', '0'); // f(memo0) and drop it
    return pk.op('}', '.').done();
  };
  const tenThousand = (pk: Pickle) => {
    pk.op(']', '(');
    for (let i = 0; i < 10_000; i++) pk.u8(0x4b, i & 0xff);
    pk.op('e');
  };
  const shapeOf = (shape: (pk: Pickle) => void) => {
    // A tensor whose size argument is the hostile value: its error message must stay short and cheap.
    const pk = p().op('}', '(').str(EMB).global('torch._utils', '_rebuild_tensor_v2').op('(');
    pk.op('(').str('storage').global('torch', 'FloatStorage').str('0').str('cpu').int(4).op('t', 'Q').int(0);
    shape(pk);
    return pk.op(')', '\x89').global('collections', 'OrderedDict').op(')', 'R', 't', 'R', 'u', '.').done();
  };
  return [
    pickleCase('175 KB of DUP opcodes', repeat(p().op('N'), 175_000, '2').op('.').done()),
    pickleCase('DUP + TUPLE2 doubling 40 times, printed in an error', shapeOf((pk) => repeat(pk.op(')'), 40, '2', '\x86'))),
    pickleCase('1,000,000 nested TUPLE1s, printed in an error', shapeOf((pk) => repeat(pk.op(')'), 1_000_000, '\x85'))),
    pickleCase('2,000,000 MEMOIZEs', repeat(p().op('N'), 2_000_000, '\x94').op('.').done()),
    pickleCase('LONG_BINPUT at 400,000 scattered indices', (() => {
      const pk = p().op('N');
      for (let i = 0; i < 400_000; i++) pk.u8(0x72).u32((i * 2654435761) >>> 0);
      return pk.op('.').done();
    })()),
    pickleCase('1,000,000 nested MARKs', repeat(p(), 1_000_000, '(').op('.').done()),
    pickleCase('2,000,000 NONEs on the stack', repeat(p(), 2_000_000, 'N').op('.').done()),
    pickleCase('LONG4 integer of 100 MB claimed', p().u8(0x8b).u32(100_000_000).op('.').done()),
    pickleCase('100,000 LONG1 integers of 255 bytes', (() => {
      const pk = p().op(']', '(');
      for (let i = 0; i < 100_000; i++) pk.u8(0x8a, 255).bytes(new Uint8Array(255).fill(0x7f));
      return pk.op('e', '.').done();
    })()),
    pickleCase('text INT of 100,000 digits', p().bytes(`I${'9'.repeat(100_000)}\n`).op('.').done()),
    pickleCase('BINUNICODE claiming 4 GB', p().u8(0x58).u32(0xffffffff).op('.').done()),
    pickleCase('BINUNICODE8 claiming 2^60 bytes', p().u8(0x8d).u32(0).u32(2 ** 28).op('.').done()),
    pickleCase('FRAME claiming 2^50 bytes', p().u8(0x95).u32(0).u32(2 ** 18).op('N', '.').done()),
    pickleCase('string that is not UTF-8', p().u8(0x8c, 4, 0xff, 0xfe, 0xc3, 0x28).op('.').done()),
    pickleCase('global os.system', p().global('os', 'system').str('echo pwned').op('\x85', 'R', '.').done()),
    pickleCase('STACK_GLOBAL builtins.eval', p().str('builtins').str('eval').op('\x93').str('1+1').op('\x85', 'R', '.').done()),
    pickleCase('EXT1 copyreg code', p().u8(0x82, 1).op('.').done()),
    pickleCase('torch.Size copied 20,000 times from a 10,000-element list', amplify(['torch', 'Size'], tenThousand, 20_000)),
    pickleCase('OrderedDict built 20,000 times from 5,000 pairs', amplify(['collections', 'OrderedDict'], (pk) => {
      pk.op(']', '(');
      for (let i = 0; i < 5000; i++) pk.u8(0x4b, i & 0xff).op('N', '\x86');
      pk.op('e');
    }, 20_000)),
    pickleCase('_codecs.encode of a 100 KB string, 20,000 times', (() => {
      const pk = p().str('x'.repeat(100_000)).u8(0x71, 0).op('0').global('_codecs', 'encode').u8(0x71, 1).op('0');
      for (let i = 0; i < 20_000; i++) pk.u8(0x68, 1, 0x68, 0).str('latin1').op('\x86', 'R', '0');
      return pk.op('}', '.').done();
    })()),
    pickleCase('unknown opcode', p().u8(0xff).done()),
    pickleCase('no STOP', repeat(p(), 1000, 'N').done()),
    {
      name: 'pickle: legacy file whose 8 MB pickle never stops',
      files: { 'm.pt': repeat(new Pickle().proto(2), 8_000_000, 'N').done() },
      argv: convert('m.pt'),
    },
    {
      name: 'pickle: legacy file whose storage count is 2^50',
      files: { 'm.pt': legacyWithCount(2 ** 50) },
      argv: convert('m.pt'),
    },
  ];
}

/** A legacy torch.save file with one 4-float storage whose element count field says `count`. */
function legacyWithCount(count: number): Uint8Array {
  const w = new Bytes();
  // magic (LONG1 of the 10-byte magic number), protocol 1001, sys info
  w.u8(0x80, 2, 0x8a, 10).bytes(new Uint8Array([0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19])).u8(0x2e);
  w.u8(0x80, 2).u8(0x4d).u16(1001).u8(0x2e);
  w.bytes(new Pickle().proto(2).op('}').str('little_endian').u8(0x88).op('s', '.').done());
  const main = new Pickle().proto(2).op('}', '(').str(EMB).global('torch._utils', '_rebuild_tensor_v2').op('(');
  main.op('(').str('storage').global('torch', 'FloatStorage').str('0').str('cpu').int(4).op('N', 't', 'Q');
  main.int(0).op('(').int(4).op('t', '(').int(1).op('t', '\x89').global('collections', 'OrderedDict').op(')', 'R', 't', 'R', 'u', '.');
  w.bytes(main.done());
  w.bytes(new Pickle().proto(2).op(']').str('0').op('a', '.').done());
  return w.u64(count).bytes(floats(4)).done();
}

function safetensorsCases(): HostileCase[] {
  const t = (n: number) => ({ dtype: 'F32', shape: [n], data_offsets: [0, 4 * n] });
  const manyEmpty = (n: number) => {
    const parts = ['{'];
    for (let i = 0; i < n; i++) parts.push(`${i ? ',' : ''}"t${i}":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}`);
    parts.push('}');
    return safetensors(parts.join(''));
  };
  const manyTiny = (n: number) => {
    const parts = ['{'];
    for (let i = 0; i < n; i++) parts.push(`${i ? ',' : ''}"t${i}":{"dtype":"F32","shape":[1],"data_offsets":[${4 * i},${4 * i + 4}]}`);
    parts.push('}');
    return safetensors(parts.join(''), new Uint8Array(4 * n));
  };
  const good = microCheckpoint();
  const lengthOnly = (n: number, hi = 0) => new Bytes().u32(n).u32(hi).bytes('{"a":1}').done();
  const cases: HostileCase[] = [
    { name: 'safetensors: header length past the end of the file', files: { 'm.safetensors': lengthOnly(1000) }, argv: convert('m.safetensors') },
    { name: 'safetensors: header length of 2^40', files: { 'm.safetensors': lengthOnly(0, 256) }, argv: convert('m.safetensors') },
    { name: 'safetensors: header length of 200 MB', files: { 'm.safetensors': lengthOnly(200_000_000) }, argv: convert('m.safetensors') },
    { name: 'safetensors: a million empty tensors', files: { 'm.safetensors': manyEmpty(1_000_000) }, argv: convert('m.safetensors') },
    { name: 'safetensors: 200,000 one-float tensors', files: { 'm.safetensors': manyTiny(200_000) }, argv: convert('m.safetensors') },
    { name: 'safetensors: header is not UTF-8', files: { 'm.safetensors': safetensors(new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d])) }, argv: convert('m.safetensors') },
    { name: 'safetensors: header is not JSON', files: { 'm.safetensors': safetensors('{"a": [1, 2,') }, argv: convert('m.safetensors') },
    { name: 'safetensors: header is a JSON array', files: { 'm.safetensors': safetensors('[{}]') }, argv: convert('m.safetensors') },
    { name: 'safetensors: header nested 5,000,000 deep', files: { 'm.safetensors': safetensors(`{"a":${'['.repeat(5_000_000)}${']'.repeat(5_000_000)}}`) }, argv: convert('m.safetensors') },
    { name: 'safetensors: overlapping tensors', files: { 'm.safetensors': safetensors({ a: t(4), b: t(4) }, new Uint8Array(16)) }, argv: convert('m.safetensors') },
    { name: 'safetensors: offsets of 2^53', files: { 'm.safetensors': safetensors({ a: { dtype: 'F32', shape: [2 ** 51], data_offsets: [0, 2 ** 53] } }) }, argv: convert('m.safetensors') },
    { name: 'safetensors: shape overflows', files: { 'm.safetensors': safetensors({ a: { dtype: 'F32', shape: [2 ** 30, 2 ** 30, 2 ** 30], data_offsets: [0, 0] } }) }, argv: convert('m.safetensors') },
    { name: 'safetensors: unknown dtype', files: { 'm.safetensors': safetensors({ a: { dtype: 'F4', shape: [1], data_offsets: [0, 1] } }, new Uint8Array(1)) }, argv: convert('m.safetensors') },
    { name: 'safetensors: duplicate tensor name', files: { 'm.safetensors': safetensors(`{"a":${JSON.stringify(t(1))},"a":${JSON.stringify(t(1))}}`, new Uint8Array(4)) }, argv: convert('m.safetensors') },
    { name: 'safetensors: __metadata__ value not a string', files: { 'm.safetensors': safetensors({ __metadata__: { config: 3 } }) }, argv: convert('m.safetensors') },
    { name: 'safetensors: data section longer than the tensors', files: { 'm.safetensors': safetensors({ a: t(1) }, new Uint8Array(1 << 20)) }, argv: convert('m.safetensors') },
    {
      name: 'safetensors: checkpoint with an unexpected 16 MB tensor',
      files: { 'm.safetensors': microCheckpoint(preset('micro'), new Map([['evil.payload', { shape: [4 << 20], data: new Float32Array(4 << 20) }]])) },
      argv: convert('m.safetensors'),
    },
    {
      name: 'safetensors: checkpoint whose config names 3 layers but the file has 2',
      files: { 'm.safetensors': relabel(good, '\\"num_layers\\":2', '\\"num_layers\\":3', '\\"numLayers\\":2', '\\"numLayers\\":3') },
      argv: convert('m.safetensors'),
    },
    { name: 'safetensors: truncated inside a tensor (engine path)', files: { 'm.safetensors': good.subarray(0, good.length - 100), 'ids.json': '[[1,2,3]]' }, argv: logits('m.safetensors') },
    { name: 'safetensors: header cut in half (engine path)', files: { 'm.safetensors': good.subarray(0, 300), 'ids.json': '[[1,2,3]]' }, argv: logits('m.safetensors') },
  ];
  return cases;
}

/** Replaces text in a safetensors header, keeping its length (padding with spaces) so the offsets stay valid. */
function relabel(file: Uint8Array, ...pairs: string[]): Uint8Array {
  const n = Number(new DataView(file.buffer, file.byteOffset).getBigUint64(0, true));
  let text = new TextDecoder().decode(file.subarray(8, 8 + n));
  for (let i = 0; i < pairs.length; i += 2) text = text.split(pairs[i]).join(pairs[i + 1]);
  const out = file.slice();
  out.set(new TextEncoder().encode(text.trimEnd().padEnd(n, ' ')), 8);
  return out;
}

function sniffCases(): HostileCase[] {
  return [
    { name: 'sniff: empty file', files: { 'm.bin': new Uint8Array(0) }, argv: convert('m.bin') },
    { name: 'sniff: five bytes', files: { 'm.bin': new Uint8Array([1, 2, 3, 4, 5]) }, argv: convert('m.bin') },
    { name: 'sniff: a JSON config given as the checkpoint', files: { 'm.safetensors': JSON.stringify({ num_layers: 2, hidden_size: 32 }) }, argv: convert('m.safetensors') },
    { name: 'sniff: an HTML error page saved as .bin', files: { 'm.bin': '<!DOCTYPE html><html><body>404</body></html>' }, argv: convert('m.bin') },
    { name: 'sniff: a gzip file', files: { 'm.bin': new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3]) }, argv: convert('m.bin') },
  ];
}

function corpusCases(): HostileCase[] {
  const bomb = writeZip([bombEntry('enwik8')]);
  const lying = writeZip([bombEntry('enwik8', 100_000_000)]);
  const storedLie = writeZip([{ ...stored('enwik8', 'x'.repeat(1000)), size: 100_000_000 }]);
  const text = 'the quick brown fox '.repeat(2000);
  const real = writeZip([deflated('enwik8', text)]);
  const badCrc = writeZip([{ ...deflated('enwik8', text), crc: crc32(new TextEncoder().encode(text)) ^ 1 }]);
  const train = (file: string, extra: string[] = []) => ['train', '--data', file, '--steps', '1', '--preset', 'micro', '--batch', '2', '--seq', '16', ...extra];
  return [
    { name: 'enwik8: zip inflating to 1 GiB (data info)', files: { 'enwik8.zip': bomb }, argv: ['data', 'info', '--data', 'enwik8.zip'] },
    { name: 'enwik8: zip inflating to 1 GiB (data info --max-bytes)', files: { 'enwik8.zip': bomb }, argv: ['data', 'info', '--data', 'enwik8.zip', '--max-bytes', '100000'] },
    { name: 'enwik8: zip declaring 100 MB, inflating to 1 GiB (data info)', files: { 'enwik8.zip': lying }, argv: ['data', 'info', '--data', 'enwik8.zip'] },
    { name: 'enwik8: zip inflating to 1 GiB (train --data --max-bytes)', files: { 'enwik8.zip': bomb }, argv: train('enwik8.zip', ['--max-bytes', '100000']) },
    { name: 'enwik8: zip declaring 100 MB, inflating to 1 GiB (train --data)', files: { 'enwik8.zip': lying }, argv: train('enwik8.zip') },
    { name: 'enwik8: stored entry declaring 100 MB, holding 1 KB', files: { 'enwik8.zip': storedLie }, argv: ['data', 'info', '--data', 'enwik8.zip'] },
    { name: 'enwik8: CRC error (data info --max-bytes past the end)', files: { 'enwik8.zip': badCrc }, argv: ['data', 'info', '--data', 'enwik8.zip', '--max-bytes', '20000000'] },
    { name: 'enwik8: zip cut in half', files: { 'enwik8.zip': real.subarray(0, real.length >> 1) }, argv: ['data', 'info', '--data', 'enwik8.zip'] },
    { name: 'enwik8: zip with no enwik8 entry', files: { 'enwik8.zip': writeZip([deflated('readme.txt', text)]) }, argv: ['data', 'info', '--data', 'enwik8.zip'] },
  ];
}

/** Every hostile file of the checkpoint and corpus readers, with the command that reads it. */
export function buildFormatCases(): HostileCase[] {
  return [...zipCases(), ...pickleCases(), ...safetensorsCases(), ...sniffCases(), ...corpusCases()];
}

export const formatCases: HostileCase[] = buildFormatCases();
