// Writes tiny-neox-tokenizer.json: a real byte-level BPE tokenizer in the GPT-NeoX-20B layout (NFC normalizer,
// ByteLevel pre-tokenizer/post-processor/decoder without prefix space, `<|endoftext|>` = 0 and `<|padding|>` = 1
// first in the vocabulary, the 256 byte symbols next, learned merges after, and non-special added tokens for
// runs of 24 down to 2 spaces last), with merges learned here on a small built-in text so the file stays small.
// Run: npx tsx lib/data/testdata/makeBpeTokenizer.ts   (deterministic: same output every run)
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const MERGES = 300;

// English prose, code with indentation, numbers and a little non-ASCII: enough to learn the common pairs.
const TEXT = `The question people bring to this lab is what parameter tokens learn in a real TokenFormer.
A TokenFormer replaces every linear projection with attention between the input tokens and a set of
learnable parameter tokens, so the model can grow by adding tokens without retraining from scratch.
The model reads text as tokens. Each token is a piece of a word, a whole word, or a run of spaces.
We train the model on the Pile, then grow it and fine-tune it on the reader's own text.
def forward(self, x):
    for layer in self.layers:
        x = layer(x)
    return self.norm(x)

class Pattention:
    def __init__(self, n, d):
        self.keys = zeros(n, d)
        self.values = zeros(n, d)
        return None
In 2024 the models had 150M, 450M, 900M and 1.5B parameters; the smallest has 12 layers of 768 units.
Café, naïve, résumé, Zürich: words with accents are tokenized as bytes and merged like any other text.
The the the the, and and and, of of of, to to to: the most frequent words get their own tokens first.
It's what they're saying: we've seen it, I'm sure, you'll see, he'd know.
`;

/** GPT-2's byte -> printable character table, in byte order (its own derivation, not copied). */
function byteChars(): string[] {
  const keep = (b: number) => (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
  let extra = 256;
  return Array.from({ length: 256 }, (_, b) => String.fromCodePoint(keep(b) ? b : extra++));
}

// The GPT-2 pre-tokenizer pattern the ByteLevel pre-tokenizer uses (use_regex: true).
const SPLIT = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

function train(text: string): string[] {
  const chars = byteChars();
  const enc = new TextEncoder();
  const words = new Map<string, number>();
  for (const w of text.normalize('NFC').match(SPLIT) ?? []) {
    const key = Array.from(enc.encode(w), (b) => chars[b]).join('\u0000');
    words.set(key, (words.get(key) ?? 0) + 1);
  }
  let seqs = [...words].map(([k, n]) => ({ syms: k.split('\u0000'), n }));
  const merges: string[] = [];
  while (merges.length < MERGES) {
    const counts = new Map<string, number>();
    for (const { syms, n } of seqs) for (let i = 0; i + 1 < syms.length; i++) {
      const p = `${syms[i]} ${syms[i + 1]}`;
      counts.set(p, (counts.get(p) ?? 0) + n);
    }
    // Most frequent pair; ties by code-point order so the output never depends on map order.
    let best = '';
    let bestN = 0;
    for (const [p, n] of counts) if (n > bestN || (n === bestN && p < best)) [best, bestN] = [p, n];
    if (bestN < 1) break;
    merges.push(best);
    const [a, b] = best.split(' ');
    seqs = seqs.map(({ syms, n }) => {
      const out: string[] = [];
      for (let i = 0; i < syms.length; i++) {
        if (i + 1 < syms.length && syms[i] === a && syms[i + 1] === b) {
          out.push(a + b);
          i++;
        } else out.push(syms[i]);
      }
      return { syms: out, n };
    });
  }
  return merges;
}

const merges = train(TEXT);
const vocab: Record<string, number> = { '<|endoftext|>': 0, '<|padding|>': 1 };
for (const ch of byteChars().sort((x, y) => x.codePointAt(0)! - y.codePointAt(0)!)) vocab[ch] = Object.keys(vocab).length;
for (const m of merges) vocab[m.replace(' ', '')] ??= Object.keys(vocab).length;
const n = Object.keys(vocab).length;
const special = (id: number, content: string) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
const spaces = Array.from({ length: 23 }, (_, i) => ({ id: n + i, content: ' '.repeat(24 - i), single_word: false, lstrip: false, rstrip: false, normalized: true, special: false }));
const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true };
const json = {
  version: '1.0',
  truncation: null,
  padding: null,
  added_tokens: [special(0, '<|endoftext|>'), special(1, '<|padding|>'), ...spaces],
  normalizer: { type: 'NFC' },
  pre_tokenizer: byteLevel,
  post_processor: { ...byteLevel },
  decoder: { ...byteLevel },
  model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false, vocab, merges },
};
const out = join(dirname(fileURLToPath(import.meta.url)), 'tiny-neox-tokenizer.json');
writeFileSync(out, JSON.stringify(json) + '\n');
console.log(`${out}: ${n} vocab entries (${merges.length} merges) + ${spaces.length} added = ${n + spaces.length} ids`);
