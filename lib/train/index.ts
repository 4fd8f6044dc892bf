// Public surface of the training library: optimizer, schedule, clipping, train/eval step, divergence guard, sampling.
export { AdamW, type AdamWOptions } from './adamw';
export { learningRate, type CosineSchedule } from './schedule';
export { clipByGlobalNorm, clipScale, globalNorm } from './clip';
export { trainStep, computeGradients, applyGradients, type TrainStepOptions, type StepGradients } from './trainStep';
export { DivergenceGuard } from './guard';
export { nonFiniteReason, type NonFiniteRun } from './divergence';
export { evaluate, bitsPerByte, type Evaluation } from './evaluate';
export { generate, sampleToken, type SampleOptions } from './sample';
