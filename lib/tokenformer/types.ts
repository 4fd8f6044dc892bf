// Growth and attention-map types shared by the model, the engine and the UI (plain data, no tensors).

export type GrowTarget = 'all' | 'qkv' | 'q' | 'k' | 'v' | 'proj' | 'ffn';
export type GrowMode = 'preserve' | 'zero' | 'official';
/** Every Pattention of a block, in checkpoint order: the one list the model, io, engine and panels share. */
export const PATTENTION_KINDS = ['query', 'key', 'value', 'proj', 'ffn'] as const;
export type PattentionKind = (typeof PATTENTION_KINDS)[number];

export interface GrowOptions {
  /** Tokens to append to each chosen Pattention (or use `factor`). */
  add?: number;
  /** Multiply each chosen Pattention's token count by this (rounded). */
  factor?: number;
  target?: GrowTarget;
  /** Restrict to these layer indices (default: all layers). */
  layers?: number[];
  mode?: GrowMode;
  seed?: number;
}

export interface GrowthEvent {
  step: number;
  mode: GrowMode;
  /** Pattention name (reference prefix, e.g. `sequential.2.attention.query`) -> [tokens before, after]. */
  changes: Record<string, [number, number]>;
  paramsBefore: number;
  paramsAfter: number;
}

/** Per-Pattention growth state, stored in checkpoints. `scaleTokens` is the n used in the normalisation. */
export interface PattentionState {
  tokens: number;
  scaleTokens: number;
}
export type GrowthState = Record<string, PattentionState>;

/** Token-to-parameter attention for one text, all layers and Pattentions from one forward pass. */
export interface AttentionMaps {
  /** The input token ids (rows). */
  ids: number[];
  /** Display label of each row when the ids are not bytes (BPE pieces such as `␣the`). */
  labels?: string[];
  layers: {
    /** kind -> normalised weights f(X K^T), [T, n] row-major, n = that Pattention's token count. */
    pattention: Record<PattentionKind, { n: number; weights: Float32Array }>;
    /** Causal token-to-token attention per head, [H, T, T] row-major. */
    heads: Float32Array;
  }[];
}
