// Public surface of the model library: configs, the model interface for both architectures, growth and sizing.
export * from './config';
export type * from './types';
export { createModel, modelFromTensors, assertGrowthState, type LanguageModel, type NamedTensor } from './model';
export { growModel, assertGrown, planGrowth, selectPattentions, type GrowHooks, type GrowthPlan, type StagedChange } from './growth';
export { countParams, forwardFlopsPerToken, matchedTransformer, matchedTokenformer } from './size';
export { estimateMemory, stateMemory, type EstimateOptions, type MemoryEstimate, type StepShape } from './memory';
export { paramSpecs, initialGrowth, pattentionSlots, pattentionPrefix, EMBEDDING, PATTENTION_KINDS, type ParamSpec, type PattentionSlot } from './params';
export { createNormalRng, type NormalRng } from '../data/rng';
export { setCustomKernelsEnabled } from './kernels/jsKernel';
