// Registers the fused WGSL kernels for the webgpu backend under the names the ops look up with hasKernel, so on
// WebGPU the Pattention norms, GELU, LayerNorm, attention softmax, embedding, cross-entropy and AdamW each run as one to three
// dispatches instead of chains of stock kernels. Import once, after '@tensorflow/tfjs-backend-webgpu'.
import './normKernels';
import './embeddingKernels';
import './softmaxKernels';
import './adamwKernel';
import './layerNormKernels';
// Barrier-free matmul, reductions and softmax for software adapters (SwiftShader), wrapping tfjs's own kernels.
import './barrierFree';
