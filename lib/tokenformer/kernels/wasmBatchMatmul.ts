// Batched matmul for the wasm backend as one XNNPACK 2-D product per batch entry, on aliases into the operands.
//
// tfjs-backend-wasm sends any batched (or transposed) product to a plain C++ loop at ~3 GFLOP/s, while its
// unbatched path uses XNNPACK at ~35 GFLOP/s. Attention is batched over B·H small matrices, so this kernel
// registers, for each batch entry, temporary tensor ids that point into the operands' memory (no copies) and
// calls the backend's own BatchMatMul export on them with batch 1, which takes the XNNPACK path. It relies on
// backend internals (dataIdMap, wasm.tfjs.registerTensor/disposeData, cwrap) of tfjs-backend-wasm 4.x; if they
// are missing it falls back to the backend's stock kernel.
import * as tf from '@tensorflow/tfjs-core';

export const BATCH_MATMUL_XNN = 'TokenformerBatchMatMulXnn';

type WasmFn = (aId: number, aShape: Uint8Array, aRank: number, bId: number, bShape: Uint8Array, bRank: number, ta: number, tb: number, outId: number) => void;
const wrapped = new WeakMap<object, WasmFn>();

function shapeBytes(shape: number[]): Uint8Array {
  return new Uint8Array(new Int32Array(shape).buffer);
}

function usable(be: any): boolean {
  return typeof be?.wasm?.cwrap === 'function' && typeof be?.wasm?.tfjs?.registerTensor === 'function' && typeof be?.wasm?.tfjs?.disposeData === 'function' && typeof be?.makeOutput === 'function';
}

if (!tf.getKernel(BATCH_MATMUL_XNN, 'wasm')) {
  tf.registerKernel({
    kernelName: BATCH_MATMUL_XNN,
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend }) => {
      const { a, b } = inputs as unknown as { a: tf.TensorInfo; b: tf.TensorInfo };
      const be = backend as any;
      const [nb, m, k] = a.shape;
      const [nb2, k2, n] = b.shape;
      if (a.shape.length !== 3 || b.shape.length !== 3 || nb !== nb2 || k !== k2) {
        throw new Error(`${BATCH_MATMUL_XNN}: shapes [${a.shape}] x [${b.shape}] are not [n, m, k] x [n, k, p]`);
      }
      if (!usable(be) || a.dtype !== 'float32' || b.dtype !== 'float32') {
        const stock = tf.getKernel('BatchMatMul', 'wasm')!;
        return stock.kernelFunc({ inputs: { a, b } as any, backend, attrs: { transposeA: false, transposeB: false } as any }) as tf.TensorInfo;
      }
      let fn = wrapped.get(be);
      if (!fn) {
        fn = be.wasm.cwrap('BatchMatMul', null, ['number', 'array', 'number', 'number', 'array', 'number', 'number', 'number', 'number']) as WasmFn;
        wrapped.set(be, fn);
      }
      const out = be.makeOutput([nb, m, n], 'float32');
      const aOff = be.dataIdMap.get(a.dataId).memoryOffset as number;
      const bOff = be.dataIdMap.get(b.dataId).memoryOffset as number;
      const oOff = be.dataIdMap.get(out.dataId).memoryOffset as number;
      const aShape = shapeBytes([1, m, k]);
      const bShape = shapeBytes([1, k, n]);
      const reg = be.wasm.tfjs;
      for (let i = 0; i < nb; i++) {
        const ia = be.dataIdNextNumber++;
        const ib = be.dataIdNextNumber++;
        const io = be.dataIdNextNumber++;
        reg.registerTensor(ia, m * k, aOff + i * m * k * 4);
        reg.registerTensor(ib, k * n, bOff + i * k * n * 4);
        reg.registerTensor(io, m * n, oOff + i * m * n * 4);
        try {
          fn(ia, aShape, 3, ib, bShape, 3, 0, 0, io);
        } finally {
          // Only the ids go: the memory belongs to the real tensors. Disposing also drops XNNPACK's cached
          // operator for `ib`, so a later tensor that reuses the memory is never multiplied by stale weights.
          reg.disposeData(ia);
          reg.disposeData(ib);
          reg.disposeData(io);
        }
      }
      return out;
    },
  });
}
