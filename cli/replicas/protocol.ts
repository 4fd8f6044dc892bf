// Messages between the main thread and a replica worker (cli/replicas/pool.ts <-> worker.ts).
import type { ReplicaStructure } from '../../lib/train/dataParallel';

/** Where each parameter lies in the shared weights buffer (float32 offsets), in the model's order. */
export type Layout = [name: string, offset: number, shape: number[]][];

export interface StepMessage {
  kind: 'step';
  id: number;
  /** Sent when the structure changed since this worker last built its model (and on its first step). */
  structure?: ReplicaStructure;
  layout: Layout;
  /** float32: every parameter's values at `layout`'s offsets. Read-only for workers. */
  weights: SharedArrayBuffer;
  /** The gradients of `names`, back to back in that order; this worker's own buffer. */
  grads: SharedArrayBuffer;
  names: string[];
  ids: Int32Array;
  rows: number;
  seqLen: number;
}

export type ReplyMessage = { kind: 'done'; id: number; loss: number } | { kind: 'error'; id: number; message: string };

export interface ReplicaWorkerData {
  entry: string;
  backend: 'wasm' | 'cpu';
}
