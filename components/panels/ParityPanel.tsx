'use client';
// The /parity page's body: reference-fixture parity and a few training steps on the backend from the URL, as JSON.
import * as tf from '@tensorflow/tfjs-core';
import { useSearchParams } from 'next/navigation';
import { useEffect, useState } from 'react';
import { isBackendName, selectBackend } from '@/lib/engine/backend';
import { WASM_PATH } from '@/lib/engine/basePath';
import type { BackendInfo } from '@/lib/engine/types';
import { FIXTURE_URL, loadParityFixture, runParity, type NormParity } from './parity';

export interface ParityReport extends BackendInfo {
  results: NormParity[];
  /** Errors the WebGPU device reported without throwing (e.g. an invalid pipeline), in order. */
  gpuErrors: string[];
  /** All of them, including those past the first few kept in `gpuErrors`. */
  gpuErrorCount: number;
  userAgent: string;
}

type GpuDevice = EventTarget & { lost?: Promise<unknown> };

// One run per page load (tfjs state is global; a second concurrent run would share it).
let running: Promise<ParityReport | null> | null = null;

async function run(requested: string | null, steps: number): Promise<ParityReport | null> {
  const fx = await loadParityFixture();
  if (!fx) return null;
  const info = await selectBackend({ backend: isBackendName(requested) ? requested : undefined, wasmPath: WASM_PATH });
  const gpuErrors: string[] = [];
  // tfjs-backend-webgpu keeps its GPUDevice as `device`; an uncaptured error there is otherwise only a console line.
  const device = tf.backend() as unknown as { device?: GpuDevice };
  let gpuErrorCount = 0;
  const onError = (e: Event) => {
    // The first few say what went wrong; one invalid pipeline can repeat on every step.
    if (gpuErrorCount++ < 8) gpuErrors.push(String((e as Event & { error?: { message?: string } }).error?.message ?? e.type));
  };
  device.device?.addEventListener?.('uncapturederror', onError);
  try {
    const results = await runParity(fx, { trainSteps: steps });
    return { ...info, results, gpuErrors, gpuErrorCount, userAgent: navigator.userAgent };
  } finally {
    device.device?.removeEventListener?.('uncapturederror', onError);
  }
}

export function ParityPanel() {
  const params = useSearchParams();
  const [missing, setMissing] = useState(false);
  const [report, setReport] = useState<ParityReport | null>(null);
  const [error, setError] = useState<string | null>(null);
  const backend = params.get('backend');
  const steps = Math.min(20, Math.max(2, Number(params.get('steps')) || 5));

  useEffect(() => {
    running ??= run(backend, steps);
    let cancelled = false;
    running
      .then((r) => {
        if (cancelled) return;
        if (r) setReport(r);
        else setMissing(true);
      })
      .catch((e: unknown) => !cancelled && setError(e instanceof Error ? (e.stack ?? e.message) : String(e)));
    return () => {
      cancelled = true;
    };
  }, [backend, steps]);

  return (
    <div className="panel">
      <h1>Reference parity</h1>
      <p className="muted">Query: backend (webgpu|webgl|wasm|cpu), steps. Fixture: {FIXTURE_URL}</p>
      {error ? (
        <pre className="cell-error" data-testid="parity-error">
          {error}
        </pre>
      ) : report ? (
        <pre data-testid="parity-result">{JSON.stringify(report, null, 2)}</pre>
      ) : missing ? (
        <p data-testid="parity-missing">No fixtures at {FIXTURE_URL}: the build copies ../shared/fixtures/reference-small there when it exists.</p>
      ) : (
        <p data-testid="parity-status">running…</p>
      )}
    </div>
  );
}
