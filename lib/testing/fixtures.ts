// Loads the reference fixtures (../shared/fixtures beside the repository) for parity tests.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readSafetensors, type NamedTensor } from '../io/safetensors';
import { fromReferenceConfig, type ModelConfig, type NormActivation } from '../tokenformer/config';

/** The repository sits at X/main (or any X/<clone>) with the fixtures at X/shared/fixtures. */
export const FIXTURES_DIR = fileURLToPath(new URL('../../../shared/fixtures/', import.meta.url));

export interface NormExpectation {
  /** [B, T, vocab] */
  logits: number[][][];
  loss: number;
  grad_norms: Record<string, number>;
  grown_zero_8_max_abs_logit_change: number;
}

export interface ReferenceSmall {
  referenceConfig: Record<string, unknown>;
  config: ModelConfig;
  model: Map<string, NamedTensor>;
  pattention: Map<string, NamedTensor>;
  ids: number[][];
  byNorm: Record<NormActivation, NormExpectation>;
}

export function loadReferenceSmall(): ReferenceSmall {
  const dir = `${FIXTURES_DIR}reference-small/`;
  const referenceConfig = JSON.parse(readFileSync(`${dir}config.json`, 'utf8')) as Record<string, unknown>;
  const expected = JSON.parse(readFileSync(`${dir}expected.json`, 'utf8'));
  return {
    referenceConfig,
    config: fromReferenceConfig(referenceConfig),
    model: readSafetensors(new Uint8Array(readFileSync(`${dir}model.safetensors`))).tensors,
    pattention: readSafetensors(new Uint8Array(readFileSync(`${dir}pattention.safetensors`))).tensors,
    ids: expected.ids,
    byNorm: expected.by_norm,
  };
}

export { maxAbsDiff } from '../train/numeric';
