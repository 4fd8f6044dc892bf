// The checkpoints widget's scale-out actions, apart from its DOM: the engine's model as a zip of the folder the
// official TokenFormer trainer runs (export-neox's), and a dropped zip or folder of a DeepSpeed checkpoint back into the engine.
import { zipSync } from 'fflate';
import type { EngineApi } from '@/lib/engine/api';
import type { ModelInfo } from '@/lib/engine/types';
import { blobSource } from '@/lib/io/byteSource';
import { decodeCheckpoint, encodeCheckpoint } from '@/lib/io/checkpoint';
import { exportNeox } from '@/lib/io/neoxExport';
import { importNeox, zipFileSet, type NeoxFileSet } from '@/lib/io/neoxImport';
import { folderFileSet, readFolder, type FolderInput } from './folderDrop';

/** Defaults of the lab trainer (the checkpoint does not record the run's settings); the CLI takes flags for each. */
const LAB_TRAINING = { steps: 1000, lr: 1e-3, minLr: 1e-4, warmupSteps: 100, batchSize: 16, weightDecay: 0.1, gradClip: 1, beta1: 0.9, beta2: 0.95, eps: 1e-8, precision: 'fp16', checkpointEvery: 1000 } as const;

/** The folder as a zip under `<root>/`, and what the export says about it. */
export async function clusterExportZip(api: EngineApi, root = 'tokenformer-neox'): Promise<{ blob: Blob; filename: string; summary: string[] }> {
  const ck = decodeCheckpoint(await api.saveCheckpoint());
  if (!ck.config || !ck.growth) throw new Error('the model has no config to export');
  const result = await exportNeox({
    tensors: ck.tensors,
    config: ck.config,
    growth: ck.growth,
    step: ck.step ?? 0,
    training: { ...LAB_TRAINING, seqLen: ck.config.maxSeqLen },
    root,
  });
  const summary = [...result.summary];
  if (result.growth?.changed.length) summary.push('growth: the logit change is not measured in the browser: run the CLI export-neox to measure it');
  const enc = new TextEncoder();
  const entries = Object.fromEntries([...result.files].map(([p, v]) => [`${root}/${p}`, typeof v === 'string' ? enc.encode(v) : v]));
  // Weights and token data barely compress; storing them keeps the zip quick to make.
  const zip = zipSync(entries, { level: 0 });
  return { blob: new Blob([zip as BlobPart], { type: 'application/zip' }), filename: `${root}.zip`, summary };
}

/** Loads a zip of a checkpoints folder or of one global_stepN folder into the engine. */
export async function loadClusterZip(api: EngineApi, file: Blob, filename: string): Promise<{ info: ModelInfo; notes: string[] }> {
  return loadClusterSet(api, await zipFileSet(blobSource(file)), filename.replace(/\.zip$/i, ''), filename);
}

/** Loads a dropped or picked folder (a checkpoints folder or one global_stepN folder) into the engine. */
export async function loadClusterFolder(api: EngineApi, input: FolderInput): Promise<{ info: ModelInfo; notes: string[] }> {
  const folder = await readFolder(input);
  return loadClusterSet(api, folderFileSet(folder), folder.name, `${folder.name}/`);
}

/** The engine checks the whole checkpoint before it replaces its model, so a failed import changes nothing. */
async function loadClusterSet(api: EngineApi, set: NeoxFileSet, stem: string, label: string): Promise<{ info: ModelInfo; notes: string[] }> {
  const ck = await importNeox(set);
  const bytes = encodeCheckpoint({ tensors: ck.tensors, config: ck.config!, growth: ck.growth!, step: ck.step });
  const info = await api.loadCheckpoint(bytes, `${stem}-${ck.tag}.safetensors`, { name: `${label} (${ck.tag})` });
  return { info, notes: ck.notes };
}
