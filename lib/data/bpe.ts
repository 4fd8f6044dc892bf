// BPE tokenizers read from a Hugging Face `tokenizer.json` (the GPT-NeoX-20B format: byte-level BPE with added
// tokens), run by @huggingface/tokenizers. The file is hostile input: its size, counts and shapes are checked
// before the library builds its tables, and no pattern from the file is ever compiled (regex denial of service).
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { DataError } from './errors';
import { displayPiece, type SpecialToken, type Tokenizer } from './tokenizers';

const utf8 = new TextEncoder();

/** GPT-NeoX-20B's file is 2.1 MB; the largest common tokenizer.json files are ~20 MB. */
export const MAX_TOKENIZER_BYTES = 32 * 1024 * 1024;
export const MAX_VOCAB_ENTRIES = 1 << 18;
export const MAX_MERGES = 1 << 18;
export const MAX_ADDED_TOKENS = 4096;
export const MAX_TOKEN_CHARS = 1024;

const fail = (name: string, msg: string): never => {
  throw new DataError('bad-tokenizer', `${name}: ${msg}`);
};

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** GPT-2's byte <-> printable character table (the ByteLevel alphabet), as char -> byte. */
function byteOfChar(): Map<string, number> {
  const keep = (b: number) => (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
  const out = new Map<string, number>();
  let extra = 256;
  for (let b = 0; b < 256; b++) out.set(String.fromCodePoint(keep(b) ? b : extra++), b);
  return out;
}

/** Refuses any component carrying a regular expression from the file: none is needed for byte-level BPE. */
function checkNoRegex(name: string, v: unknown, where: string, depth = 0): void {
  if (depth > 16) fail(name, `${where} is nested too deeply`);
  if (Array.isArray(v)) {
    if (v.length > 64) fail(name, `${where} has ${v.length} parts (at most 64)`);
    v.forEach((x, i) => checkNoRegex(name, x, `${where}[${i}]`, depth + 1));
  } else if (isRecord(v)) {
    if ('Regex' in v) fail(name, `${where} holds a regular expression; the lab does not run patterns from files (byte-level BPE needs none)`);
    for (const [k, x] of Object.entries(v)) checkNoRegex(name, x, `${where}.${k}`, depth + 1);
  }
}

interface Checked {
  json: Record<string, unknown>;
  /** id -> token string of the BPE vocabulary. */
  vocab: Map<number, string>;
  added: { id: number; content: string; special: boolean }[];
}

function check(name: string, text: string): Checked {
  if (text.length > MAX_TOKENIZER_BYTES) fail(name, `${text.length.toLocaleString('en-US')} characters is larger than any tokenizer.json the lab reads (${MAX_TOKENIZER_BYTES / 2 ** 20} MiB)`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    fail(name, `not a tokenizer.json (not JSON: ${(e as Error).message.split('\n')[0]})`);
  }
  if (!isRecord(json)) return fail(name, 'not a tokenizer.json (expected an object at the top level)');
  const model = json.model;
  if (!isRecord(model)) return fail(name, 'not a tokenizer.json (no "model" object)');
  if (model.type !== undefined && model.type !== 'BPE') fail(name, `a ${String(model.type)} tokenizer; the lab runs BPE tokenizers (such as GPT-NeoX-20B's)`);
  if (!isRecord(model.vocab)) fail(name, 'model.vocab is not an object of token -> id');
  const entries = Object.entries(model.vocab as Record<string, unknown>);
  if (entries.length > MAX_VOCAB_ENTRIES) fail(name, `${entries.length} vocabulary entries (at most ${MAX_VOCAB_ENTRIES})`);
  const limit = MAX_VOCAB_ENTRIES + MAX_ADDED_TOKENS;
  const vocab = new Map<number, string>();
  for (const [tok, id] of entries) {
    if (!Number.isInteger(id) || (id as number) < 0 || (id as number) >= limit) fail(name, `token ${JSON.stringify(tok.slice(0, 40))} has id ${JSON.stringify(id)} (expected an integer in [0, ${limit}))`);
    if (tok.length > MAX_TOKEN_CHARS) fail(name, `a token of ${tok.length} characters (at most ${MAX_TOKEN_CHARS})`);
    if (vocab.has(id as number)) fail(name, `id ${id} is given to two tokens`);
    vocab.set(id as number, tok);
  }
  const merges = model.merges;
  if (!Array.isArray(merges)) return fail(name, 'model.merges is not a list');
  if (merges.length > MAX_MERGES) fail(name, `${merges.length} merges (at most ${MAX_MERGES})`);
  // One format for the whole list (the library looks at the first entry to pick): "a b" strings or [a, b] pairs.
  const pairs = Array.isArray(merges[0]);
  merges.forEach((m, i) => {
    const ok = pairs ? Array.isArray(m) && m.length === 2 && m.every((p) => typeof p === 'string' && p.length <= MAX_TOKEN_CHARS) : typeof m === 'string' && m.length <= 2 * MAX_TOKEN_CHARS + 1 && m.indexOf(' ') > 0;
    if (!ok) fail(name, `merge ${i} is ${JSON.stringify(m)?.slice(0, 60)}, not ${pairs ? 'a pair of tokens' : 'a string "left right"'}`);
  });
  const rawAdded = json.added_tokens ?? [];
  if (!Array.isArray(rawAdded)) return fail(name, 'added_tokens is not a list');
  if (rawAdded.length > MAX_ADDED_TOKENS) fail(name, `${rawAdded.length} added tokens (at most ${MAX_ADDED_TOKENS})`);
  const added = rawAdded.map((t, i) => {
    if (!isRecord(t) || !Number.isInteger(t.id) || (t.id as number) < 0 || (t.id as number) >= limit || typeof t.content !== 'string' || !t.content.length || t.content.length > MAX_TOKEN_CHARS) {
      return fail(name, `added token ${i} is not {"id": n, "content": "..."} with an id in [0, ${limit})`);
    }
    return { id: t.id as number, content: t.content, special: t.special === true };
  });
  for (const key of ['normalizer', 'pre_tokenizer', 'post_processor', 'decoder'] as const) checkNoRegex(name, json[key], key);
  return { json, vocab, added };
}

/**
 * A BPE tokenizer from the text (or bytes) of a `tokenizer.json`. Throws DataError('bad-tokenizer') with a
 * one-line message naming the file for anything it will not run.
 */
export function loadBpeTokenizer(input: string | Uint8Array, name = 'tokenizer.json'): Tokenizer {
  if (typeof input !== 'string' && input.length > MAX_TOKENIZER_BYTES) fail(name, `${input.length.toLocaleString('en-US')} bytes is larger than any tokenizer.json the lab reads (${MAX_TOKENIZER_BYTES / 2 ** 20} MiB)`);
  const text = typeof input === 'string' ? input : new TextDecoder('utf-8', { fatal: false }).decode(input);
  const { json, vocab, added } = check(name, text);
  let hf: HfTokenizer;
  try {
    hf = new HfTokenizer(json, { clean_up_tokenization_spaces: false });
  } catch (e) {
    return fail(name, `cannot be used: ${(e as Error).message.split('\n')[0]}`);
  }
  const addedById = new Map(added.map((t) => [t.id, t]));
  let maxId = -1;
  for (const id of vocab.keys()) maxId = Math.max(maxId, id);
  for (const id of addedById.keys()) maxId = Math.max(maxId, id);
  if (maxId < 0) fail(name, 'the vocabulary is empty');
  const vocabSize = maxId + 1;
  const specialTokens: SpecialToken[] = added.filter((t) => t.special).map(({ id, content }) => ({ id, content }));
  const eos = specialTokens.find((t) => t.content === '<|endoftext|>')?.id ?? specialTokens[0]?.id ?? null;
  const byteLevel = JSON.stringify(json.decoder ?? null).includes('"ByteLevel"');
  const charByte = byteOfChar();
  const pieceCache = new Map<number, string>();
  const byteLengths = new Int32Array(vocabSize).fill(-1); // filled on first use of each id

  const byteLengthOf = (id: number): number => {
    const a = addedById.get(id);
    if (a) return utf8.encode(a.content).length;
    const tok = vocab.get(id);
    if (tok === undefined) return 0;
    const chars = Array.from(tok);
    // Byte-level vocabularies spell each byte as one character.
    return byteLevel && chars.every((c) => charByte.has(c)) ? chars.length : utf8.encode(tok).length;
  };

  const pieceOf = (id: number): string => {
    const a = addedById.get(id);
    if (a) return a.special ? a.content : displayPiece(a.content);
    const tok = vocab.get(id);
    if (tok === undefined) return `<unused ${id}>`;
    if (!byteLevel) return displayPiece(tok);
    const chars = Array.from(tok);
    const bytes = chars.map((c) => charByte.get(c));
    if (bytes.some((b) => b === undefined)) return displayPiece(tok);
    const raw = Uint8Array.from(bytes as number[]);
    try {
      return displayPiece(new TextDecoder('utf-8', { fatal: true }).decode(raw));
    } catch {
      // Part of a multi-byte character: no glyph of its own, so show the bytes.
      return Array.from(raw, (b) => (b < 0x80 ? displayPiece(String.fromCharCode(b)) : `\\x${b.toString(16).padStart(2, '0')}`)).join('');
    }
  };

  return {
    kind: 'bpe',
    name,
    vocabSize,
    specialTokens,
    eos,
    encode: (t) => hf.encode(t, { add_special_tokens: false }).ids,
    decode: (ids) => {
      // Ids past the tokenizer (padded embedding rows) have no text; the library would throw on them.
      const known = Array.from(ids, (id) => (vocab.has(id) || addedById.has(id) ? id : -1));
      let out = '';
      let run: number[] = [];
      const flush = () => {
        if (run.length) out += hf.decode(run, { clean_up_tokenization_spaces: false });
        run = [];
      };
      for (const id of known) {
        if (id >= 0) run.push(id);
        else {
          flush();
          out += '\ufffd';
        }
      }
      flush();
      return out;
    },
    byteLength: (id) => {
      if (!Number.isInteger(id) || id < 0 || id >= vocabSize) return 0;
      if (byteLengths[id] < 0) byteLengths[id] = byteLengthOf(id);
      return byteLengths[id];
    },
    piece: (id) => {
      let p = pieceCache.get(id);
      if (p === undefined) {
        p = pieceOf(id);
        if (pieceCache.size < 1 << 16) pieceCache.set(id, p);
      }
      return p;
    },
  };
}
