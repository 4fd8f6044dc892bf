// Text through the model with any tokenizer: per-token losses (windows over long texts, read back as [T] only, never
// the [T, V] logits), loss / perplexity / bits per byte, and the text piece behind each token for drawing.
import * as tf from '@tensorflow/tfjs-core';
import { byteTokenizer, loadBpeTokenizer, padVocab, type Tokenizer } from '../data';
import type { LanguageModel } from '../tokenformer/model';
import { readBack } from '../tokenformer/readBack';

/** What `setTokenizer` reports. */
export interface TokenizerInfo {
  kind: 'byte' | 'bpe';
  name: string;
  /** Ids the tokenizer produces (added tokens included). */
  vocabSize: number;
  /** That size padded as GPT-NeoX does (multiple of 128): the logits' width of a model trained with it. */
  paddedVocab: number;
  specialTokens: { id: number; content: string }[];
}

export interface TextLoss {
  ids: number[];
  /** Display piece of each token (␣ for a space, ⏎ for a newline). */
  pieces: string[];
  /** The text each token adds when decoding left to right ('' for a token inside a multi-byte character). */
  texts: string[];
  /** Loss in nats of each token given the ones before it; NaN for the first token (nothing predicts it). */
  losses: Float32Array;
  /** Mean over the predicted tokens. */
  loss: number;
  perplexity: number;
  /** Total bits over the UTF-8 bytes of the predicted tokens. */
  bpb: number;
  tokens: number;
  bytes: number;
}

/** Longest text `textLoss` tokenizes at once; longer files are cut (the CLI says so). */
export const MAX_TEXT_LOSS_TOKENS = 1 << 16;

export function tokenizerInfo(t: Tokenizer): TokenizerInfo {
  return { kind: t.kind, name: t.name, vocabSize: t.vocabSize, paddedVocab: padVocab(t.vocabSize), specialTokens: [...t.specialTokens] };
}

/** The tokenizer for `setTokenizer`'s argument: null/'byte' is the byte vocabulary, anything else a tokenizer.json. */
export function makeTokenizer(source: null | 'byte' | { json: string | Uint8Array; name?: string }): Tokenizer {
  if (source === null || source === 'byte') return byteTokenizer;
  return loadBpeTokenizer(source.json, source.name ?? 'tokenizer.json');
}

/** Refuses a tokenizer whose ids the model has no rows for. */
export function tokenizerFitError(t: Tokenizer, vocabRows: number): string | null {
  if (t.vocabSize <= vocabRows) return null;
  return `the tokenizer ${t.name} has ${t.vocabSize} ids but the model only ${vocabRows} embedding rows: they do not belong together`;
}

/** Per-token text for drawing: ids grouped until their bytes decode to whole characters, the text on the group's last id. */
export function tokenTexts(t: Tokenizer, ids: readonly number[]): string[] {
  const out: string[] = new Array(ids.length).fill('');
  let from = 0;
  for (let i = 0; i < ids.length; i++) {
    const s = t.decode(ids.slice(from, i + 1));
    // A partial character decodes to U+FFFD: wait for its other bytes (at most 4 tokens).
    if (s.endsWith('\ufffd') && i - from < 3 && i + 1 < ids.length) continue;
    out[i] = s;
    from = i + 1;
  }
  return out;
}

/**
 * Loss of every token of `ids` under the model: windows of `window` tokens overlapping by one, so every token after
 * the first is predicted exactly once, each with as much context as its window gives.
 */
export async function tokenLosses(model: LanguageModel, ids: readonly number[], window = 256): Promise<Float32Array> {
  const W = Math.max(2, Math.min(window, model.config.maxSeqLen));
  const out = new Float32Array(ids.length).fill(NaN);
  for (let s = 0; s + 1 < ids.length; s += W - 1) {
    const chunk = ids.slice(s, s + W);
    const T = chunk.length;
    const picked = tf.tidy(() => {
      const x = tf.tensor2d(chunk, [1, T], 'int32'); // [1, T]
      const logp = tf.logSoftmax(tf.reshape(model.logits(x), [T, -1]) as tf.Tensor2D); // [T, V]
      const at = tf.tensor2d(Array.from({ length: T - 1 }, (_, t) => [t, chunk[t + 1]]).flat(), [T - 1, 2], 'int32'); // [T-1, 2]
      return tf.neg(tf.gatherND(logp, at)) as tf.Tensor1D; // [T-1]
    });
    try {
      out.set(await readBack(picked), s + 1);
    } finally {
      picked.dispose();
    }
  }
  return out;
}

export async function textLoss(model: LanguageModel, t: Tokenizer, text: string, o: { window?: number; maxTokens?: number } = {}): Promise<TextLoss> {
  const all = t.encode(text);
  const ids = all.slice(0, Math.min(o.maxTokens ?? MAX_TEXT_LOSS_TOKENS, MAX_TEXT_LOSS_TOKENS));
  if (ids.length < 2) throw new Error(`the text has ${ids.length} token${ids.length === 1 ? '' : 's'}; a loss needs at least 2`);
  const V = model.config.vocabSize;
  const bad = ids.find((id) => id >= V);
  if (bad !== undefined) throw new Error(`token id ${bad} is outside the model's vocabulary [0, ${V}): is this the model's tokenizer?`);
  const losses = await tokenLosses(model, ids, o.window);
  let sum = 0;
  for (let i = 1; i < ids.length; i++) sum += losses[i];
  const texts = tokenTexts(t, ids);
  const bytes = new TextEncoder().encode(texts.slice(1).join('')).length;
  const loss = sum / (ids.length - 1);
  return {
    ids,
    pieces: ids.map((id) => t.piece(id)),
    texts,
    losses,
    loss,
    perplexity: Math.exp(loss),
    bpb: sum / Math.LN2 / Math.max(1, bytes),
    tokens: ids.length - 1,
    bytes,
  };
}
