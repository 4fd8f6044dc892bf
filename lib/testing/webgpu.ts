// Test and bench helper: tfjs-backend-webgpu under Node (Dawn, on SwiftShader when there is no GPU driver) with the
// project's WGSL kernels registered, selected as the active backend.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { existsSync } from 'node:fs';
import { installNodeWebGPU, SWIFTSHADER_ICD } from '../../cli/nodeWebgpu';

/** Whether a WebGPU test can run here (Chromium's SwiftShader is present; CI installs it). */
export const HAS_NODE_WEBGPU = existsSync(SWIFTSHADER_ICD);

const errors: string[] = [];

/**
 * Errors the device reported since the last call (an invalid shader or bind group is only an event, and the
 * dispatches batched with it then write nothing): tests assert this is empty.
 */
export function takeGpuErrors(): string[] {
  return errors.splice(0);
}

/** Selects webgpu (software adapter unless `software` is false); throws with the reason when it cannot start. */
export async function useWebGPU(opts: { software?: boolean } = {}): Promise<void> {
  const reason = await installNodeWebGPU({ software: opts.software ?? true });
  if (reason) throw new Error(reason);
  await import('@tensorflow/tfjs-backend-webgpu');
  await import('../tokenformer/kernels/webgpu');
  tf.env().set('PROD', true);
  if (!(await tf.setBackend('webgpu'))) throw new Error('the webgpu backend did not start');
  await tf.ready();
  const device = (tf.backend() as unknown as { device: EventTarget }).device;
  device.addEventListener('uncapturederror', (e) => errors.push(String((e as Event & { error?: { message?: string } }).error?.message ?? e.type)));
}

/**
 * Counts kernel calls on the webgpu backend by name while `fn` runs (tf.engine().runKernel: every custom kernel
 * goes through it); calls made while another backend is active (e.g. parity's cpu comparison) are not counted.
 */
export async function countKernels<T>(fn: () => Promise<T>): Promise<{ result: T; counts: Map<string, number> }> {
  const engine = tf.engine() as unknown as { runKernel: (name: string, ...rest: unknown[]) => unknown };
  const original = engine.runKernel;
  const counts = new Map<string, number>();
  engine.runKernel = function (this: unknown, name: string, ...rest: unknown[]) {
    if (tf.getBackend() === 'webgpu') counts.set(name, (counts.get(name) ?? 0) + 1);
    return original.call(this, name, ...rest);
  };
  try {
    return { result: await fn(), counts };
  } finally {
    engine.runKernel = original;
  }
}
