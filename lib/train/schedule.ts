// Learning-rate schedule: linear warmup, then cosine decay to a floor.

export interface CosineSchedule {
  /** Peak learning rate, reached at the end of warmup. */
  lr: number;
  /** Floor at and after `totalSteps` (default lr/10). */
  minLr?: number;
  warmupSteps: number;
  totalSteps: number;
}

/** Learning rate for 0-based `step`: (step+1)/warmup·lr while warming up, then cosine from lr to minLr. */
export function learningRate(s: CosineSchedule, step: number): number {
  const minLr = s.minLr ?? s.lr / 10;
  if (step < s.warmupSteps) return (s.lr * (step + 1)) / s.warmupSteps;
  if (step >= s.totalSteps) return minLr;
  const progress = (step - s.warmupSteps) / Math.max(1, s.totalSteps - s.warmupSteps);
  return minLr + 0.5 * (s.lr - minLr) * (1 + Math.cos(Math.PI * progress));
}
