// Kernel names of the fused LayerNorm (registered for webgpu in webgpu/layerNormKernels.ts; cpu and wasm compose
// tf.moments and elementwise ops, which their backends already run in a few fast passes).

/** x [N, d] -> y [N, d] = (x − mean)·rstd and rstd [N, 1] = 1/√(var + eps), per row; attrs { eps }. */
export const LAYER_NORM = 'TokenformerLayerNorm';
/** dy, y [N, d], rstd [N, 1] -> dx = rstd·(dy − mean(dy) − y·mean(dy·y)). */
export const LAYER_NORM_GRAD = 'TokenformerLayerNormGrad';
