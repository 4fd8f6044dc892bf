// Test and bench helper: tfjs-backend-webgpu under Node (Dawn, on SwiftShader when there is no GPU driver) with the
// project's WGSL kernels registered, selected as the active backend.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { existsSync } from 'node:fs';
import { installNodeWebGPU, SWIFTSHADER_ICD } from '../../cli/nodeWebgpu';

/** Whether a WebGPU test can run here (Chromium's SwiftShader is present; CI installs it). */
export const HAS_NODE_WEBGPU = existsSync(SWIFTSHADER_ICD);

/** Selects webgpu (software adapter unless `software` is false); throws with the reason when it cannot start. */
export async function useWebGPU(opts: { software?: boolean } = {}): Promise<void> {
  const reason = await installNodeWebGPU({ software: opts.software ?? true });
  if (reason) throw new Error(reason);
  await import('@tensorflow/tfjs-backend-webgpu');
  await import('../tokenformer/kernels/webgpu');
  tf.env().set('PROD', true);
  if (!(await tf.setBackend('webgpu'))) throw new Error('the webgpu backend did not start');
  await tf.ready();
}
