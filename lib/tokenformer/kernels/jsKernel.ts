// Registers kernels written in plain JS for the backends whose tensors live in JS-visible memory (cpu, wasm).
import * as tf from '@tensorflow/tfjs-core';

/** Backends whose float32 tensor data a JS kernel can read and write in place. */
export const JS_KERNEL_BACKENDS = ['cpu', 'wasm'] as const;
export type JsKernelBackend = (typeof JS_KERNEL_BACKENDS)[number];

type Info = tf.TensorInfo;
type Attrs = Record<string, unknown>;

export interface JsKernelSpec {
  name: string;
  /** Output shapes from the input shapes and attributes. */
  outputShapes(inputs: Info[], attrs: Attrs): number[][];
  /**
   * Fills the outputs; the arrays are views on the backend's memory (no copies). Float inputs arrive in
   * `inputNames` order, int32 ones in `int32Inputs` order; `inputShapes` follows `inputNames`.
   */
  run(inputs: Float32Array[], outputs: Float32Array[], inputShapes: number[][], attrs: Attrs, ints: Int32Array[]): void;
  /** Float32 input names in the order `run` receives them. */
  inputNames: string[];
  /** Int32 input names (e.g. token ids), passed to `run` separately. */
  int32Inputs?: string[];
  /** Inputs that may be absent (they reach `run` as undefined and are left out of the shapes). */
  optionalInputs?: string[];
  /** Register for these backends only (default: all of JS_KERNEL_BACKENDS). */
  backends?: readonly JsKernelBackend[];
}

/**
 * Registers `spec` for cpu and wasm. On wasm all outputs are allocated before any view is taken, because an
 * allocation can grow (and so detach) the heap.
 */
export function registerJsKernel(spec: JsKernelSpec): void {
  for (const backendName of spec.backends ?? JS_KERNEL_BACKENDS) {
    if (tf.getKernel(spec.name, backendName)) continue;
    tf.registerKernel({
      kernelName: spec.name,
      backendName,
      kernelFunc: ({ inputs, backend, attrs }) => {
        const named = inputs as Record<string, Info | undefined>;
        for (const n of [...spec.inputNames, ...(spec.int32Inputs ?? [])]) {
          if (!named[n] && !spec.optionalInputs?.includes(n)) throw new Error(`${spec.name}: missing input "${n}"`);
        }
        const floats = spec.inputNames.map((n) => named[n]);
        const ints = (spec.int32Inputs ?? []).map((n) => named[n]!);
        for (const t of floats) if (t && t.dtype !== 'float32') throw new Error(`${spec.name}: input dtype ${t.dtype} is not float32`);
        for (const t of ints) if (t.dtype !== 'int32') throw new Error(`${spec.name}: input dtype ${t.dtype} is not int32`);
        const present = floats.filter((t): t is Info => t != null);
        const shapes = spec.outputShapes(present, attrs as Attrs);
        const be = backend as any;
        let outInfos: Info[];
        const view = (t: Info | undefined) => (t == null ? undefined : backendName === 'wasm' ? be.typedArrayFromHeap(t) : be.data.get(t.dataId).values);
        let outViews: Float32Array[];
        if (backendName === 'wasm') {
          outInfos = shapes.map((s) => be.makeOutput(s, 'float32'));
          outViews = outInfos.map((t) => be.typedArrayFromHeap(t));
        } else {
          outViews = shapes.map((s) => new Float32Array(tf.util.sizeFromShape(s)));
          outInfos = shapes.map((s, i) => be.makeTensorInfo(s, 'float32', outViews[i]));
        }
        // Views are taken after every allocation; absent optional inputs reach `run` as undefined.
        spec.run(floats.map(view) as Float32Array[], outViews, floats.map((t) => t?.shape ?? []), attrs as Attrs, ints.map(view) as Int32Array[]);
        return outInfos.length === 1 ? outInfos[0] : outInfos;
      },
    });
  }
}

let enabled = true;

/** Turns the custom kernels off (callers then compose standard ops): for A/B tests and profiling. */
export function setCustomKernelsEnabled(on: boolean): void {
  enabled = on;
}

/** Whether the active backend has a kernel registered under `name` (else callers compose standard ops). */
export function hasKernel(name: string): boolean {
  return enabled && tf.getKernel(name, tf.getBackend()) != null;
}

export function runKernel<T extends tf.Tensor | tf.Tensor[]>(name: string, inputs: Record<string, tf.Tensor>, attrs: Attrs = {}): T {
  return tf.engine().runKernel(name, inputs as unknown as tf.NamedTensorMap, attrs as any) as unknown as T;
}
