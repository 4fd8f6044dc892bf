// Test and bench helper: registers the tfjs backends usable in Node (cpu, wasm) and selects one.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';

export type NodeBackend = 'cpu' | 'wasm';
export const NODE_BACKENDS: readonly NodeBackend[] = ['cpu', 'wasm'];

/** Selects `name` (default: $TF_BACKEND, else cpu) and waits until it is ready; throws if it cannot start. */
export async function useBackend(name?: NodeBackend): Promise<NodeBackend> {
  const chosen = name ?? ((process.env.TF_BACKEND as NodeBackend | undefined) || 'cpu');
  if (!NODE_BACKENDS.includes(chosen)) throw new Error(`unknown backend "${chosen}" (expected ${NODE_BACKENDS.join(' or ')})`);
  // PROD only silences tfjs warnings (the cpu backend's "install tfjs-node" banner); IS_TEST would instead turn
  // on a leak check that misreads tensors kept by customGrad's save() as leaks.
  tf.env().set('PROD', true);
  if (!(await tf.setBackend(chosen))) throw new Error(`tfjs backend "${chosen}" failed to initialise`);
  await tf.ready();
  return chosen;
}
