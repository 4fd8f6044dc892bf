// Engine.parity on webgpu in Node (Dawn + SwiftShader): the reference fixture's logits, loss and gradient norms, and
// AdamW training that follows cpu, with the fused WGSL kernels on, counted so the check cannot pass on the composed
// fallback. The same report the /parity page produces in the browser's engine worker.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FIXTURES_DIR } from '../testing/fixtures';
import { countKernels, HAS_NODE_WEBGPU } from '../testing/webgpu';
import { installNodeWebGPU } from '../../cli/nodeWebgpu';
import { CAUSAL_SOFTMAX, SOFTMAX_GRAD } from '../tokenformer/kernels/causalSoftmaxKernels';
import { GATHER_ROWS, SCATTER_ADD_ROWS, SOFTMAX_XENT, SOFTMAX_XENT_GRAD } from '../tokenformer/kernels/embeddingKernels';
import { LAYER_NORM, LAYER_NORM_GRAD } from '../tokenformer/kernels/layerNormKernels';
import { PATTENTION_NORM, PATTENTION_NORM_GRAD } from '../tokenformer/kernels/pattentionNormKernels';
import { ADAMW_UPDATE } from '../train/adamwKernel';
import type { ParityFiles } from './parity';

const dir = `${FIXTURES_DIR}reference-small/`;
const files = (): ParityFiles => ({
  config: JSON.parse(readFileSync(`${dir}config.json`, 'utf8')),
  expected: JSON.parse(readFileSync(`${dir}expected.json`, 'utf8')),
  model: new Uint8Array(readFileSync(`${dir}model.safetensors`)),
});

const FUSED = [LAYER_NORM, LAYER_NORM_GRAD, PATTENTION_NORM, PATTENTION_NORM_GRAD, SOFTMAX_XENT, SOFTMAX_XENT_GRAD, GATHER_ROWS, SCATTER_ADD_ROWS, CAUSAL_SOFTMAX, SOFTMAX_GRAD, ADAMW_UPDATE];

describe.runIf(HAS_NODE_WEBGPU)('Engine.parity on webgpu (Node, SwiftShader)', () => {
  it('matches the reference with the WGSL kernels and trains like cpu', async () => {
    // tfjs-backend-webgpu registers itself only if navigator.gpu exists when it loads: install Dawn first.
    expect(await installNodeWebGPU({ software: true })).toBeNull();
    const { Engine } = await import('./engine');
    const engine = new Engine();
    const info = await engine.init({ backend: 'webgpu' });
    expect(info.backend, JSON.stringify(info.fallbacks)).toBe('webgpu');
    const tensors = (await engine.memory()).numTensors;
    const { result: report, counts } = await countKernels(() => engine.parity(files(), { trainSteps: 3 }));
    expect((await engine.memory()).numTensors, 'tensors left behind').toBe(tensors);
    expect(report.backend).toBe('webgpu');
    expect(report.gpuErrors).toEqual([]);
    for (const name of FUSED) expect(counts.get(name) ?? 0, name).toBeGreaterThan(0);
    // The report's own count, the one /parity shows from the browser's worker: every AdamW step ran the p program.
    expect(report.fusedKernelRuns.tfAdamW_p).toBe(counts.get(ADAMW_UPDATE));
    if (process.env.PARITY_PRINT) console.log(JSON.stringify({ counts: Object.fromEntries(FUSED.map((n) => [n, counts.get(n)])), results: report.results }));
    expect(report.results.map((r) => r.norm)).toEqual(['l2_norm_gelu', 'gelu_l2_norm', 'softmax']);
    for (const r of report.results) {
      expect(r.nonFinite, r.norm).toBe(0);
      expect(r.logitsMaxAbsDiff, r.norm).toBeLessThan(1e-4);
      expect(r.lossRelErr, r.norm).toBeLessThan(1e-5);
      expect(r.gradNormMaxRelErr, `${r.norm} ${r.gradNormWorst}`).toBeLessThan(1e-3);
      expect(r.trainLosses).toHaveLength(3);
      expect(r.trainLosses[2]).toBeLessThan(r.trainLosses[0]);
      expect(r.trainMaxRelDiff, r.norm).toBeLessThan(1e-3);
    }
    await engine.dispose();
  }, 300_000);
});
