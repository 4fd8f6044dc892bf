// Data loading for the engine: a DataSpec becomes a Corpus, with progress reported in the engine's terms.
import { loadCorpus, type Corpus } from '../data';
import type { Progress } from './api';
import type { DataSpec } from './types';

export type { Corpus };

const LABELS = { download: 'downloading', unzip: 'unzipping', verify: 'verifying' } as const;

export async function buildCorpus(spec: DataSpec, onProgress?: (p: Progress) => void): Promise<Corpus> {
  return loadCorpus(spec, {
    onProgress: onProgress && ((p) => onProgress({ label: `${LABELS[p.phase]} ${'name' in spec && spec.name ? spec.name : spec.kind}`, done: p.done, total: p.total ?? 0 })),
  });
}
