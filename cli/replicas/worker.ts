// One replica: a worker thread with its own tfjs instance and a copy of the model's structure, which computes a
// shard's loss and gradients from the weights the main thread shares each step.
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { modelFromTensors, type LanguageModel, type NamedTensor } from '../../lib/tokenformer/model';
import { lossAndGradients } from '../../lib/train/trainStep';
import type { ReplicaWorkerData, ReplyMessage, StepMessage } from './protocol';

const { backend } = workerData as ReplicaWorkerData;
let model: LanguageModel | null = null;

async function start(): Promise<void> {
  if (backend === 'wasm') {
    await import('@tensorflow/tfjs-backend-wasm');
    // As on the main thread (lib/engine/backend.ts): one wasm thread per replica, the replicas are the threads.
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  }
  if (!(await tf.setBackend(backend))) throw new Error(`the ${backend} backend did not start in a replica`);
  await tf.ready();
}

const view = (buf: SharedArrayBuffer, offset: number, shape: number[]) => new Float32Array(buf, offset * 4, tf.util.sizeFromShape(shape));

// The cpu backend keeps a Float32Array it is given as the tensor's storage: copy, or the main thread's next write
// would change this replica's weights under it. wasm copies into its heap anyway.
const own = (a: Float32Array) => (backend === 'cpu' ? a.slice() : a);

function loadWeights(m: StepMessage): LanguageModel {
  if (m.structure) {
    model?.dispose();
    model = null;
    const tensors = new Map<string, NamedTensor>(m.layout.map(([name, offset, shape]) => [name, { shape, data: own(view(m.weights, offset, shape)) }]));
    model = modelFromTensors(m.structure.config, tensors, m.structure.growth);
    return model;
  }
  if (!model) throw new Error('the replica has no model yet and the step carries no structure');
  for (const [name, offset, shape] of m.layout) {
    const v = model.params.get(name);
    if (!v || !tf.util.arraysEqual(v.shape, shape)) throw new Error(`the replica's model has no parameter "${name}" of shape [${shape}] (structure out of date)`);
    tf.tidy(() => v.assign(tf.tensor(own(view(m.weights, offset, shape)), shape, 'float32')));
  }
  return model;
}

async function step(m: StepMessage): Promise<number> {
  const replica = loadWeights(m);
  const ids = tf.tensor2d(m.ids, [m.rows, m.seqLen], 'int32'); // [b, T]
  let out: ReturnType<typeof lossAndGradients> | undefined;
  try {
    out = lossAndGradients(replica, ids, m.names);
    let offset = 0;
    for (const n of m.names) {
      const g = out.grads.get(n)!;
      const dst = new Float32Array(m.grads, offset * 4, g.size);
      dst.set((await g.data()) as Float32Array);
      offset += g.size;
    }
    return (await out.loss.data())[0];
  } finally {
    ids.dispose();
    if (out) tf.dispose([out.loss, ...out.grads.values()]);
  }
}

const ready = start();
// A failed start is answered to each step (below); unhandled, it would take the thread down without saying why.
ready.catch(() => {});
parentPort!.on('message', (m: StepMessage) => {
  const reply = (r: ReplyMessage) => parentPort!.postMessage(r);
  ready
    .then(() => step(m))
    .then(
      (loss) => reply({ kind: 'done', id: m.id, loss }),
      (e: Error) => reply({ kind: 'error', id: m.id, message: e?.message || String(e) }),
    );
});
