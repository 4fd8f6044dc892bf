'use client';
// The /bench page's body: runs the training benchmark on the backend from the URL and prints the result as JSON.
import { useSearchParams } from 'next/navigation';
import { useEffect, useRef, useState } from 'react';
import { connectEngine } from '@/lib/engine/client';
import type { BackendName } from '@/lib/engine/types';
import { isPreset, runBench, watchMainThread, type BenchResult } from './bench';

const BACKENDS: readonly string[] = ['webgpu', 'webgl', 'wasm', 'cpu'];
const int = (s: string | null, fallback: number) => (s && /^\d+$/.test(s) ? Number(s) : fallback);
const positive = (s: string | null, fallback: number) => (s && /^\d+(\.\d+)?$/.test(s) && Number(s) > 0 ? Number(s) : fallback);

export function BenchPanel() {
  const params = useSearchParams();
  const [status, setStatus] = useState('starting engine');
  const [result, setResult] = useState<BenchResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  const host = useRef<HTMLDivElement>(null);
  const key = params.toString();

  useEffect(() => {
    // The clock starts before the worker does: time to first step includes the engine's start.
    const startedAt = performance.now();
    const watch = watchMainThread();
    const b = params.get('backend');
    const backend = b && BACKENDS.includes(b) ? (b as BackendName) : undefined;
    const preset = params.get('preset');
    let conn: Awaited<ReturnType<typeof connectEngine>> | null = null;
    let cancelled = false;
    (async () => {
      conn = await connectEngine({ backend });
      const engineMs = performance.now() - startedAt;
      if (cancelled) return;
      const r = await runBench(
        conn.api,
        conn.info,
        {
          preset: isPreset(preset) ? preset : 'tiny',
          seconds: positive(params.get('seconds'), 30),
          steps: int(params.get('steps'), 0) || undefined,
          batchSize: int(params.get('batch'), 8),
          seqLen: int(params.get('seq'), 0) || undefined,
          warmupSteps: int(params.get('warmup'), 3),
          logEvery: int(params.get('log'), 5) || 5,
          ui: params.get('ui') === 'none' ? 'none' : 'trainer',
        },
        { startedAt, engineMs, watch, host: host.current, onStatus: (s) => !cancelled && setStatus(s) },
      );
      if (!cancelled) setResult(r);
    })()
      .catch((e: unknown) => !cancelled && setError(e instanceof Error ? e.message : String(e)))
      .finally(() => watch.stop());
    return () => {
      cancelled = true;
      watch.stop();
      conn?.terminate();
    };
    // The query string (key) is the whole input: rerun only when it changes.
  }, [key, params]);

  return (
    <div className="panel">
      <h1>Training benchmark</h1>
      <p className="muted">
        Query: backend (webgpu|webgl|wasm|cpu), preset (micro|tiny|small), seconds (default 30), steps (a cap), batch, seq, warmup, log (loss readback
        interval), ui (trainer|none), threads (wasm; 1: single-threaded).
      </p>
      {error ? (
        <pre className="cell-error" data-testid="bench-error">
          {error}
        </pre>
      ) : result ? (
        <pre data-testid="bench-result">{JSON.stringify(result, null, 2)}</pre>
      ) : (
        <p data-testid="bench-status">{status}…</p>
      )}
      <div ref={host} data-testid="bench-trainer" />
    </div>
  );
}
