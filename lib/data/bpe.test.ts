import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadBpeTokenizer, MAX_TOKENIZER_BYTES } from './bpe';
import { DataError } from './errors';
import { byteTokenizer, padVocab, predictedBytes } from './tokenizers';

const FILE = new URL('./testdata/tiny-neox-tokenizer.json', import.meta.url);
const TEXT = readFileSync(FILE, 'utf8');
const JSON_ = JSON.parse(TEXT) as {
  added_tokens: { id: number; content: string; special: boolean; normalized: boolean }[];
  model: { vocab: Record<string, number>; merges: string[] };
};

/**
 * A minimal reference encoder written from the format's definition, sharing nothing with the library:
 * added tokens split out first (leftmost, longest; special ones on the raw text, normalized ones after NFC),
 * GPT-2 pre-tokenizer pattern, bytes to the printable alphabet, then merges by rank until none applies.
 */
function referenceEncode(text: string): number[] {
  const alphabet: string[] = [];
  let next = 256;
  for (let b = 0; b < 256; b++) {
    const printable = (b > 32 && b < 127) || (b > 160 && b < 173) || b > 173;
    alphabet.push(String.fromCodePoint(printable ? b : next++));
  }
  const rank = new Map(JSON_.model.merges.map((m, i) => [m, i]));
  const split = (s: string, contents: string[]): string[] => {
    const out: string[] = [];
    let buf = '';
    for (let i = 0; i < s.length; ) {
      const hit = contents.filter((c) => s.startsWith(c, i)).sort((a, b) => b.length - a.length)[0];
      if (hit) {
        if (buf) out.push(buf);
        out.push(hit);
        buf = '';
        i += hit.length;
      } else buf += s[i++];
    }
    if (buf) out.push(buf);
    return out;
  };
  const byContent = new Map(JSON_.added_tokens.map((t) => [t.content, t.id]));
  const raw = JSON_.added_tokens.filter((t) => !t.normalized).map((t) => t.content);
  const norm = JSON_.added_tokens.filter((t) => t.normalized).map((t) => t.content);
  const ids: number[] = [];
  for (const section of split(text, raw)) {
    if (raw.includes(section)) {
      ids.push(byContent.get(section)!);
      continue;
    }
    for (const part of split(section.normalize('NFC'), norm)) {
      if (norm.includes(part)) {
        ids.push(byContent.get(part)!);
        continue;
      }
      const words = part.match(/'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu) ?? [];
      for (const w of words) {
        let syms = Array.from(new TextEncoder().encode(w), (b) => alphabet[b]);
        for (;;) {
          let best = -1;
          let at = -1;
          for (let i = 0; i + 1 < syms.length; i++) {
            const r = rank.get(`${syms[i]} ${syms[i + 1]}`);
            if (r !== undefined && (best < 0 || r < best)) [best, at] = [r, i];
          }
          if (best < 0) break;
          const [a, b] = [syms[at], syms[at + 1]];
          const merged: string[] = [];
          for (let i = 0; i < syms.length; i++) {
            if (i + 1 < syms.length && syms[i] === a && syms[i + 1] === b) {
              merged.push(a + b);
              i++;
            } else merged.push(syms[i]);
          }
          syms = merged;
        }
        for (const s of syms) ids.push(JSON_.model.vocab[s]);
      }
    }
  }
  return ids;
}

const TRICKY = [
  'The question people bring to this lab',
  ' leading space',
  '   three leading spaces',
  '    return self.norm(x)',
  'a  b   c                              d',
  'line one\nline two\n\n\nend\n',
  'tabs\tand\r\nCRLF',
  "It's what they're saying: we've seen it, I'm sure, you'll see, he'd know.",
  'Café, naïve, résumé, Zürich',
  'e\u0301 (e + combining acute, composed by NFC)',
  'emoji 🙂🙂 and 👩‍👩‍👧 and 中文字符',
  'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
  'the the the the the the the the the the the the',
  '<|endoftext|>The end<|padding|>',
  'mid<|endoftext|>text',
  '12345 67.89 1,000,000',
  '!!!??? ... ---',
];

describe('BPE tokenizer (GPT-NeoX format)', () => {
  const tok = loadBpeTokenizer(TEXT, 'tiny-neox-tokenizer.json');

  it('reports the layout of the file: special tokens first, space runs last', () => {
    expect(tok.kind).toBe('bpe');
    expect(tok.vocabSize).toBe(581);
    expect(tok.eos).toBe(0);
    expect(tok.specialTokens).toEqual([{ id: 0, content: '<|endoftext|>' }, { id: 1, content: '<|padding|>' }]);
    expect(padVocab(tok.vocabSize)).toBe(640);
    expect(padVocab(50277)).toBe(50304);
    expect(padVocab(50277, 128, 2)).toBe(50432);
  });

  it.each(TRICKY)('ids of %j equal the reference encoder', (s) => {
    expect(tok.encode(s)).toEqual(referenceEncode(s));
  });

  it('matches space runs as added tokens before splitting ("    return" -> [4 spaces, return])', () => {
    const ids = tok.encode('    return');
    expect(ids[0]).toBe(JSON_.added_tokens.find((t) => t.content === '    ')!.id);
    expect(tok.decode(ids.slice(1))).toBe('return');
  });

  it.each(TRICKY)('decoding %j round-trips (up to NFC)', (s) => {
    expect(tok.decode(tok.encode(s))).toBe(s.normalize('NFC'));
  });

  it('encodes long repeats quickly', () => {
    const s = 'ab'.repeat(20000);
    const t0 = Date.now();
    expect(tok.decode(tok.encode(s))).toBe(s);
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('shows pieces as text, with whitespace visible and partial characters as bytes', () => {
    const ids = tok.encode('    return x\n🙂');
    const shown = ids.map((id) => tok.piece(id));
    expect(shown[0]).toBe('␣×4');
    expect(shown.join('')).toContain('␣x');
    expect(shown).toContain('⏎');
    expect(shown.slice(-4).every((p) => /^\\x[0-9a-f]{2}$/.test(p))).toBe(true);
    expect(tok.piece(0)).toBe('<|endoftext|>');
    expect(tok.piece(600)).toBe('<unused 600>');
  });

  it('decodes padded ids (no token) and empty input without throwing', () => {
    expect(tok.decode([])).toBe('');
    expect(tok.decode([...tok.encode('ab'), 630, ...tok.encode('c')])).toBe('ab\ufffdc');
  });

  it('knows the bytes of text behind every id, also for pieces of one character split over tokens', () => {
    const utf8 = (s: string) => new TextEncoder().encode(s).length;
    for (const s of TRICKY) {
      const ids = tok.encode(s);
      // The text the ids stand for (NFC-normalised), byte for byte.
      expect(ids.reduce((a, id) => a + tok.byteLength(id), 0), s).toBe(utf8(tok.decode(ids)));
    }
    const emoji = tok.encode('🙂');
    expect(emoji.length).toBeGreaterThan(1);
    expect(emoji.map((id) => tok.byteLength(id)).reduce((a, b) => a + b)).toBe(4);
    expect([630, -1, 1.5].map((id) => tok.byteLength(id))).toEqual([0, 0, 0]);
    expect(byteTokenizer.byteLength(200)).toBe(1);
    // Row starts are not predicted: only positions 1.. of each row count.
    const ids = [...tok.encode('ab'), ...tok.encode('🙂')];
    const rows = [ids, ids].flat();
    expect(predictedBytes(tok, rows, ids.length)).toBe(2 * (utf8('ab🙂') - tok.byteLength(ids[0])));
  });
});

describe('hostile tokenizer.json', () => {
  const bad = (text: string | Uint8Array, re: RegExp) => {
    let err: unknown;
    try {
      loadBpeTokenizer(text, 'evil.json');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DataError);
    expect((err as DataError).code).toBe('bad-tokenizer');
    expect((err as Error).message).toMatch(/^evil\.json: /);
    expect((err as Error).message).toMatch(re);
  };
  const withModel = (model: Record<string, unknown>, extra: Record<string, unknown> = {}) => JSON.stringify({ ...JSON.parse(TEXT), ...extra, model: { ...JSON_.model, ...model } });

  it('refuses oversized input before parsing', () => {
    bad(new Uint8Array(MAX_TOKENIZER_BYTES + 1), /larger than/);
  });
  it('refuses non-JSON and non-tokenizer JSON', () => {
    bad('{"model": ', /not JSON/);
    bad('[1, 2]', /top level/);
    bad('{"version": "1.0"}', /no "model"/);
  });
  it('refuses other model kinds', () => bad(withModel({ type: 'Unigram' }), /Unigram tokenizer/));
  it('refuses bad ids and duplicate ids', () => {
    bad(withModel({ vocab: { a: -1 } }), /id -1/);
    bad(withModel({ vocab: { a: 1e9 } }), /id 1000000000/);
    bad(withModel({ vocab: { a: 3, b: 3 } }), /two tokens/);
  });
  it('refuses too many vocab entries or merges', () => {
    const vocab = Object.fromEntries(Array.from({ length: (1 << 18) + 1 }, (_, i) => [`t${i}`, i]));
    bad(withModel({ vocab }), /vocabulary entries/);
    bad(withModel({ merges: Array.from({ length: (1 << 18) + 1 }, () => 'a b') }), /merges \(at most/);
  });
  it('refuses malformed merges and added tokens', () => {
    bad(withModel({ merges: ['ab'] }), /merge 0/);
    bad(withModel({}, { added_tokens: [{ id: 'x', content: 'a' }] }), /added token 0/);
  });
  it('refuses regular expressions from the file', () => {
    bad(withModel({}, { pre_tokenizer: { type: 'Split', pattern: { Regex: '(a+)+$' }, behavior: 'Isolated', invert: false } }), /regular expression/);
  });
});
