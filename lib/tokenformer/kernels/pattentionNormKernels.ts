// Fused JS kernels for the Pattention normalisations and GELU on cpu and wasm (one pass per row, no temporaries).
import type { NormActivation } from '../config';
import { registerJsKernel } from './jsKernel';
import { geluBackward, geluForward, normBackward, normForward } from './normMath';

export const PATTENTION_NORM = 'TokenformerPattentionNorm';
export const PATTENTION_NORM_GRAD = 'TokenformerPattentionNormGrad';
export const GELU = 'TokenformerGelu';
export const GELU_GRAD = 'TokenformerGeluGrad';

const rowsAndCols = (shape: number[]) => {
  const n = shape[shape.length - 1];
  return [shape.reduce((a, b) => a * b, 1) / n, n];
};

/** Outputs f, plus the backward factor (see normForward) when attrs.withGrad and the norm is a GELU form. */
export const normHasGradFactor = (norm: NormActivation) => norm !== 'softmax';

registerJsKernel({
  name: PATTENTION_NORM,
  inputNames: ['s'],
  outputShapes: ([s], attrs) => (attrs.withGrad && normHasGradFactor(attrs.norm as NormActivation) ? [s.shape, s.shape] : [s.shape]),
  run: ([s], [f, grad], [shape], attrs) => {
    const [rows, n] = rowsAndCols(shape);
    normForward(s, f, rows, n, attrs.norm as NormActivation, attrs.scaleTokens as number, grad);
  },
});

/** Inputs s, f, df and, for the GELU forms, the forward's factor as `g`. */
registerJsKernel({
  name: PATTENTION_NORM_GRAD,
  inputNames: ['s', 'f', 'df', 'g'],
  optionalInputs: ['g'],
  outputShapes: ([s]) => [s.shape],
  run: ([s, f, df, grad], [ds], [shape], attrs) => {
    const [rows, n] = rowsAndCols(shape);
    normBackward(s, f, grad ?? null, df, ds, rows, n, attrs.norm as NormActivation, attrs.scaleTokens as number);
  },
});

registerJsKernel({
  name: GELU,
  inputNames: ['x'],
  outputShapes: ([x]) => [x.shape],
  run: ([x], [y]) => geluForward(x, y),
});

registerJsKernel({
  name: GELU_GRAD,
  inputNames: ['x', 'dy'],
  outputShapes: ([x]) => [x.shape],
  run: ([x, dy], [dx]) => geluBackward(x, dy, dx),
});
