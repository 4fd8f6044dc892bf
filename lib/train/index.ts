// Public surface of the training library: optimizer, schedule, clipping, train/eval step, sampling.
export { AdamW, type AdamWOptions } from './adamw';
export { learningRate, type CosineSchedule } from './schedule';
export { clipByGlobalNorm, clipScale, globalNorm } from './clip';
export { trainStep, type TrainStepOptions } from './train_step';
export { evaluate, bitsPerByte, type Evaluation } from './evaluate';
export { generate, sampleToken, type SampleOptions } from './sample';
