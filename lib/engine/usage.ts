// Parameter-token usage over held-out windows: mean weight, top-k hits ("dead" tokens) and max-activating contexts.
import { PATTENTION_KINDS as KINDS, type PattentionKind } from '../tokenformer/types';
import type { PattentionUsage, TokenContext, UsageStats } from './api';
import { byteLabel, type TokenIds } from '../data';
import type { LanguageModel } from '../tokenformer/model';
import { topK } from '../train/numeric';

interface Acc {
  sum: Float64Array;
  hits: Int32Array;
  /** Per token: best (weight, window, position) triples, strongest first, at most `keep`. */
  best: { w: number; win: number; pos: number }[][];
}

function pushBest(list: { w: number; win: number; pos: number }[], item: { w: number; win: number; pos: number }, keep: number) {
  if (list.length === keep && item.w <= list[keep - 1].w) return;
  let i = list.length;
  while (i > 0 && list[i - 1].w < item.w) i--;
  list.splice(i, 0, item);
  if (list.length > keep) list.pop();
}

export async function computeUsage(
  model: LanguageModel,
  data: TokenIds,
  o: { windows?: number; seqLen?: number; k?: number; contexts?: number } = {},
  /** Display label of a token id: bytes by default, text pieces for BPE. */
  label: (id: number) => string = byteLabel,
): Promise<UsageStats> {
  const seqLen = Math.min(o.seqLen ?? model.config.maxSeqLen, model.config.maxSeqLen, data.length);
  const windows = Math.max(1, o.windows ?? 4);
  const k = Math.max(1, o.k ?? 4);
  const keep = Math.max(1, o.contexts ?? 5);
  const starts: number[] = [];
  const span = Math.max(0, data.length - seqLen);
  for (let i = 0; i < windows; i++) starts.push(Math.floor((span * i) / Math.max(1, windows - 1)));
  let accs: Record<PattentionKind, Acc>[] | null = null as Record<PattentionKind, Acc>[] | null;
  let positions = 0;
  // Every window's forward pass starts before the first read-back resolves (attentionMaps runs it synchronously),
  // so all windows see the same weights even if a training step runs meanwhile.
  const windowMaps = await Promise.all(starts.map((start) => model.attentionMaps(Array.from(data.subarray(start, start + seqLen)))));
  for (const [w, start] of starts.entries()) {
    const ids = Array.from(data.subarray(start, start + seqLen));
    const maps = windowMaps[w];
    accs ??= maps.layers.map((l) =>
      Object.fromEntries(KINDS.map((kind) => {
        const n = l.pattention[kind].n;
        const acc: Acc = { sum: new Float64Array(n), hits: new Int32Array(n), best: Array.from({ length: n }, () => []) };
        return [kind, acc];
      })) as unknown as Record<PattentionKind, Acc>,
    );
    maps.layers.forEach((layer, li) => {
      for (const kind of KINDS) {
        const { n, weights } = layer.pattention[kind];
        const acc = accs![li][kind];
        for (let t = 0; t < ids.length; t++) {
          for (let j = 0; j < n; j++) {
            const w = weights[t * n + j];
            acc.sum[j] += w;
            pushBest(acc.best[j], { w, win: start, pos: t }, keep);
          }
          for (const j of topK(weights.subarray(t * n, (t + 1) * n), 1, n, k)) if (j >= 0) acc.hits[j]++;
        }
      }
    });
    positions += ids.length;
  }
  // Labels make every byte (or token) visible; `focus` is the code-point index where the position's label starts.
  const wide = label !== byteLabel;
  const context = (start: number, pos: number): TokenContext => {
    const from = Math.max(0, start + pos - (wide ? 12 : 32));
    const to = Math.min(data.length, start + pos + (wide ? 4 : 9));
    const labels = Array.from(data.subarray(from, to), label);
    const before = labels.slice(0, start + pos - from).join('');
    if (!wide) return { text: labels.join(''), focus: before.length, weight: 0 };
    return { text: labels.join(''), focus: Array.from(before).length, focusLength: Array.from(labels[start + pos - from]).length, weight: 0 };
  };
  return {
    positions,
    k,
    layers: accs!.map((layer) =>
      Object.fromEntries(KINDS.map((kind) => {
        const a = layer[kind];
        const u: PattentionUsage = {
          mean: Float32Array.from(a.sum, (s) => s / positions),
          topkHits: a.hits,
          contexts: a.best.map((list) => list.map((b) => ({ ...context(b.win, b.pos), weight: b.w }))),
        };
        return [kind, u];
      })) as Record<PattentionKind, PattentionUsage>,
    ),
  };
}
