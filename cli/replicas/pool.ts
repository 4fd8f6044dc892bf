// The Node shard runner: replicas on node:worker_threads, each with its own tfjs instance, fed through shared
// memory (one weights buffer all replicas read, one gradients buffer per replica).
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { MAX_THREADS, type ShardRequest, type ShardResult, type ShardRunner } from '../../lib/train/dataParallel';
import type { Layout, ReplicaWorkerData, ReplyMessage, StepMessage } from './protocol';

interface Replica {
  worker: Worker;
  /** The structure (as JSON) this replica's model was last built from; null until its first step. */
  built: string | null;
  pending: { id: number; resolve: (loss: number) => void; reject: (e: Error) => void } | null;
  /** Why it stopped (set once it exited): a later run replaces it. */
  dead: string | null;
  grads: SharedArrayBuffer;
}

/** `--threads`: a count, or `auto` for this machine's available parallelism. */
export function resolveThreads(flag: unknown, what = '--threads'): number {
  if (flag === undefined || flag === 'auto') return Math.max(1, Math.min(MAX_THREADS, availableParallelism()));
  const n = typeof flag === 'number' ? flag : /^\s*\d+\s*$/.test(String(flag)) ? Number(flag) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > MAX_THREADS) throw new Error(`${what} must be auto or an integer from 1 to ${MAX_THREADS}, got ${String(flag)}`);
  return n;
}

/** A runner of `replicas` worker threads on `backend`, started at the first step; pass to the Engine's `shardRunner`. */
export function workerShardRunner(replicas: number, backend: 'wasm' | 'cpu'): WorkerShardRunner {
  return new WorkerShardRunner(replicas, backend);
}

export class WorkerShardRunner implements ShardRunner {
  private readonly pool: (Replica | null)[];
  private weights = new SharedArrayBuffer(0);
  private nextId = 1;
  private disposed = false;

  constructor(
    readonly replicas: number,
    private readonly backend: 'wasm' | 'cpu',
  ) {
    if (!Number.isInteger(replicas) || replicas < 1 || replicas >= MAX_THREADS) throw new Error(`replicas must be an integer from 1 to ${MAX_THREADS - 1}, got ${replicas}`);
    this.pool = Array.from({ length: replicas }, () => null);
  }

  /** Replicas whose thread is running now (for tests and diagnostics). */
  get alive(): number {
    return this.pool.filter((r) => r && !r.dead).length;
  }

  /** The worker of replica `i`, if started (tests stop one to check that a step fails cleanly). */
  workerOf(i: number): Worker | undefined {
    return this.pool[i]?.worker;
  }

  async run(req: ShardRequest): Promise<ShardResult[]> {
    if (this.disposed) throw new Error('the replicas were stopped (engine disposed)');
    if (req.shards.length > this.replicas) throw new Error(`${req.shards.length} shards for ${this.replicas} replicas`);
    const layout: Layout = [];
    let floats = 0;
    for (const [name, w] of req.weights) {
      layout.push([name, floats, [...w.shape]]);
      floats += w.data.length;
    }
    if (this.weights.byteLength !== floats * 4) this.weights = new SharedArrayBuffer(floats * 4);
    const all = new Float32Array(this.weights);
    for (const [name, offset] of layout) all.set(req.weights.get(name)!.data, offset);
    const gradFloats = req.names.reduce((n, name) => n + (req.weights.get(name)?.data.length ?? NaN), 0);
    if (!Number.isFinite(gradFloats)) throw new Error('a gradient was asked for a parameter without weights');
    const structure = JSON.stringify(req.structure);
    const jobs = req.shards.map((shard, i) => {
      const r = this.replica(i, gradFloats * 4);
      const message: StepMessage = {
        kind: 'step',
        id: this.nextId++,
        structure: r.built === structure ? undefined : req.structure,
        layout,
        weights: this.weights,
        grads: r.grads,
        names: [...req.names],
        ids: shard.ids.slice(),
        rows: shard.rows,
        seqLen: shard.seqLen,
      };
      return this.send(i, r, message).then((loss) => {
        r.built = structure;
        return loss;
      });
    });
    // Every replica finishes with the shared buffers before the run settles, even when one has failed: the next run
    // rewrites them.
    const settled = await Promise.allSettled(jobs);
    const failed = settled.findIndex((s) => s.status === 'rejected');
    if (failed >= 0) {
      // A replica that failed mid-step may hold a half-updated model: rebuild it at its next step.
      settled.forEach((s, i) => s.status === 'rejected' && this.pool[i] && (this.pool[i]!.built = null));
      throw new Error(`replica ${failed + 1} of ${this.replicas}: ${((settled[failed] as PromiseRejectedResult).reason as Error).message}`);
    }
    let offset = 0;
    const spans = req.names.map((name) => {
      const n = req.weights.get(name)!.data.length;
      return [(offset += n) - n, n] as const;
    });
    return settled.map((s, i) => ({
      loss: (s as PromiseFulfilledResult<number>).value,
      grads: spans.map(([at, n]) => new Float32Array(this.pool[i]!.grads, at * 4, n)),
    }));
  }

  private replica(i: number, gradBytes: number): Replica {
    let r = this.pool[i];
    if (!r || r.dead) {
      const data: ReplicaWorkerData = { entry: new URL('./worker.ts', import.meta.url).href, backend: this.backend };
      const worker = new Worker(new URL('./boot.mjs', import.meta.url), { workerData: data, name: `tokenformer replica ${i + 1}` });
      const replica: Replica = { worker, built: null, pending: null, dead: null, grads: new SharedArrayBuffer(gradBytes) };
      worker.on('message', (m: ReplyMessage) => {
        const p = replica.pending;
        if (!p || p.id !== m.id) return;
        replica.pending = null;
        worker.unref();
        if (m.kind === 'done') p.resolve(m.loss);
        else p.reject(new Error(m.message));
      });
      const stop = (why: string) => {
        if (replica.dead) return;
        replica.dead = why;
        replica.pending?.reject(new Error(why));
        replica.pending = null;
      };
      worker.on('error', (e) => stop(`the worker thread failed: ${e.message}`));
      worker.on('exit', (code) => stop(`the worker thread stopped (exit code ${code})`));
      worker.unref();
      this.pool[i] = r = replica;
    }
    if (r.grads.byteLength !== gradBytes) r.grads = new SharedArrayBuffer(gradBytes);
    return r;
  }

  private send(i: number, r: Replica, message: StepMessage): Promise<number> {
    if (r.pending) return Promise.reject(new Error(`replica ${i + 1} is still busy with another step`));
    return new Promise<number>((resolve, reject) => {
      r.pending = { id: message.id, resolve, reject };
      // Held only while a step is out: an idle pool never keeps the process alive.
      r.worker.ref();
      r.worker.postMessage(message);
    });
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    const running = this.pool.filter((r): r is Replica => !!r && !r.dead);
    this.pool.fill(null);
    await Promise.all(running.map((r) => r.worker.terminate()));
  }
}
