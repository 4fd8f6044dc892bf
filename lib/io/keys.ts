// GPT-NeoX tensor names: normalise what trainers and pipeline checkpoints write to the reference names, and back.
import { FormatError } from './errors';
import type { NamedTensor } from './safetensors';

// DeepSpeed wraps in `module.`, some exporters in `model.`, torch.compile in `_orig_mod.`.
const WRAPPER_PREFIX = /^(?:module\.|model\.|_orig_mod\.)+/;
// DeepSpeed pipeline checkpoints: one file per layer, names relative to that layer.
const PIPELINE_FILE = /(?:^|[\\/])layer_(\d+)-model_(\d+)-model_states\.pt$/;

/** The `sequential.` layer index a pipeline layer file holds, or undefined for other files. */
export function pipelineLayerIndex(filename: string): number | undefined {
  const m = PIPELINE_FILE.exec(filename);
  return m ? Number(m[1]) : undefined;
}

/** Name of the pipeline file that holds `sequential.<layer>.*` (tensor-parallel rank 0). */
export function pipelineLayerFile(layer: number): string {
  return `layer_${String(layer).padStart(2, '0')}-model_00-model_states.pt`;
}

/** One name to its reference form: wrappers stripped, the pipeline layer prefix added when a file names it. */
export function normaliseKey(name: string, layer?: number): string {
  const bare = name.replace(WRAPPER_PREFIX, '');
  return layer !== undefined && !bare.startsWith('sequential.') ? `sequential.${layer}.${bare}` : bare;
}

/**
 * Normalises every name of a loaded state dict. `filename` may be a pipeline layer file. A tied copy of the
 * embedding at a later layer is dropped (the model ties it to `sequential.0`). Two names that normalise to
 * the same reference name are an error, since either could be meant.
 */
export function normaliseKeys<T = NamedTensor>(tensors: ReadonlyMap<string, T>, filename?: string): { tensors: Map<string, T>; warnings: string[] } {
  const layer = filename === undefined ? undefined : pipelineLayerIndex(filename);
  const out = new Map<string, T>();
  const from = new Map<string, string>();
  const warnings: string[] = [];
  for (const [name, t] of tensors) {
    const ref = normaliseKey(name, layer);
    const prev = from.get(ref);
    if (prev !== undefined) throw new FormatError('duplicate-tensor', `"${prev}" and "${name}" both name tensor "${ref}"`);
    from.set(ref, name);
    out.set(ref, t);
  }
  for (const name of [...out.keys()]) {
    if (/^sequential\.([1-9]\d*)\.word_embeddings\.weight$/.test(name) && out.has('sequential.0.word_embeddings.weight')) {
      out.delete(name);
      warnings.push(`"${name}" dropped: the output embedding is tied to sequential.0.word_embeddings.weight`);
    }
  }
  return { tensors: out, warnings };
}

/** Joins the per-layer files of a DeepSpeed pipeline checkpoint into one reference-named state dict. */
export function mergePipelineLayers(files: { filename: string; tensors: Map<string, NamedTensor> }[]): { tensors: Map<string, NamedTensor>; warnings: string[] } {
  const merged = new Map<string, NamedTensor>();
  for (const f of files) {
    const layer = pipelineLayerIndex(f.filename);
    if (layer === undefined) throw new FormatError('unknown-format', `"${f.filename}" is not a pipeline layer file (layer_XX-model_YY-model_states.pt)`);
    if (!/-model_00-/.test(f.filename)) throw new FormatError('unsupported', `"${f.filename}" is a tensor-parallel shard; only model_00 (no tensor parallelism) is read`);
    for (const [name, t] of f.tensors) {
      const ref = normaliseKey(name, layer);
      if (merged.has(ref)) throw new FormatError('duplicate-tensor', `tensor "${ref}" appears in more than one layer file`);
      merged.set(ref, t);
    }
  }
  return normaliseKeys(merged);
}

/** The reverse: reference names split into pipeline layer files (names relative to their layer). */
export function toPipelineLayers(tensors: Map<string, NamedTensor>): Map<string, Map<string, NamedTensor>> {
  const files = new Map<string, Map<string, NamedTensor>>();
  for (const [name, t] of tensors) {
    const m = /^sequential\.(\d+)\.(.+)$/.exec(name);
    if (!m) throw new FormatError('unsupported', `tensor "${name}" is not under a sequential.<layer> name`);
    const file = pipelineLayerFile(Number(m[1]));
    if (!files.has(file)) files.set(file, new Map());
    files.get(file)!.set(m[2], t);
  }
  return files;
}
