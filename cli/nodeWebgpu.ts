// WebGPU under Node: Dawn's Node binding (the `webgpu` package) installed as `navigator.gpu`, so tfjs-backend-webgpu
// runs outside a browser for the CLI, kernel tests and GPU benchmarks. On a machine without a GPU driver, Debian's
// Chromium ships SwiftShader's Vulkan driver, which Dawn can use (software: for correctness, not speed).
import { existsSync } from 'node:fs';

/** Chromium's SwiftShader Vulkan driver, used when no Vulkan driver is configured. */
export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

let installed: Promise<string | null> | null = null;

/**
 * Makes `navigator.gpu` available in Node. Resolves to null once an adapter answers, else to why not (no `webgpu`
 * package, no Vulkan loader, no adapter). `software: true` points Vulkan at SwiftShader even when another driver
 * exists; without it SwiftShader is only the fallback when VK_ICD_FILENAMES is unset and no adapter answers.
 */
export function installNodeWebGPU(opts: { software?: boolean } = {}): Promise<string | null> {
  installed ??= install(opts.software ?? false);
  return installed;
}

async function install(software: boolean): Promise<string | null> {
  if (typeof navigator !== 'undefined' && (navigator as { gpu?: unknown }).gpu) return null;
  // The Vulkan loader reads this when Dawn first loads it, so it must be set before create().
  if (software && existsSync(SWIFTSHADER_ICD)) process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  // Vulkan's loader warns on every start when this is unset; any writable folder silences it.
  process.env.XDG_RUNTIME_DIR ??= '/tmp';
  let webgpu: typeof import('webgpu');
  try {
    webgpu = await import('webgpu');
  } catch (e) {
    return `the webgpu package could not load: ${(e as Error).message}`;
  }
  const tryCreate = async () => {
    const gpu = webgpu.create([]);
    const adapter = await gpu.requestAdapter().catch(() => null);
    return adapter ? gpu : null;
  };
  let gpu = await tryCreate().catch(() => null);
  if (!gpu && !software && !process.env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER_ICD)) {
    process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
    gpu = await tryCreate().catch(() => null);
  }
  if (!gpu) return 'no WebGPU adapter from Dawn (no Vulkan driver; install libvulkan1, or chromium for SwiftShader)';
  Object.assign(globalThis, webgpu.globals);
  const nav = (globalThis as { navigator?: object }).navigator;
  if (nav) Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true });
  else Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  await registerWebGPUBackend(gpu);
  return null;
}

type Adapter = { limits: Record<string, number>; features: Set<string>; info?: unknown; requestDevice(d: object): Promise<unknown> };

/**
 * tfjs-webgpu registers its backend when it is imported, and only if navigator.gpu exists then; the engine (and so
 * that import) usually loads before this runs. Registers the same backend (WebGPUBackend on a device with the
 * adapter's limits, as tfjs asks for them) when that registration was skipped.
 */
async function registerWebGPUBackend(gpu: { requestAdapter(o?: object): Promise<unknown> }): Promise<void> {
  const tf = await import('@tensorflow/tfjs-core');
  if (tf.findBackendFactory('webgpu')) return;
  const { WebGPUBackend } = await import('@tensorflow/tfjs-backend-webgpu');
  if (tf.findBackendFactory('webgpu')) return; // the import just registered it (navigator.gpu exists now)
  tf.registerBackend(
    'webgpu',
    async () => {
      const adapter = (await gpu.requestAdapter({ powerPreference: 'high-performance' })) as Adapter;
      const limits = ['maxComputeWorkgroupStorageSize', 'maxComputeWorkgroupsPerDimension', 'maxStorageBufferBindingSize', 'maxBufferSize', 'maxComputeWorkgroupSizeX', 'maxComputeInvocationsPerWorkgroup'];
      const device = await adapter.requestDevice({
        requiredFeatures: adapter.features.has('timestamp-query') ? ['timestamp-query'] : [],
        requiredLimits: Object.fromEntries(limits.map((k) => [k, adapter.limits[k]])),
      });
      return new WebGPUBackend(device as ConstructorParameters<typeof WebGPUBackend>[0], adapter.info as ConstructorParameters<typeof WebGPUBackend>[1]);
    },
    3,
  );
}
