'use client';
// The /bench page's body: runs the training benchmark on the backend from the URL and prints the result as JSON.
import { useSearchParams } from 'next/navigation';
import { useEffect, useState } from 'react';
import { connectEngine } from '@/lib/engine/client';
import type { BackendName } from '@/lib/engine/types';
import { isPreset, runBench, type BenchResult } from './bench';

const BACKENDS: readonly string[] = ['webgpu', 'webgl', 'wasm', 'cpu'];
const int = (s: string | null, fallback: number) => (s && /^\d+$/.test(s) ? Number(s) : fallback);

export function BenchPanel() {
  const params = useSearchParams();
  const [status, setStatus] = useState('starting engine');
  const [result, setResult] = useState<BenchResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  const key = params.toString();

  useEffect(() => {
    const b = params.get('backend');
    const backend = b && BACKENDS.includes(b) ? (b as BackendName) : undefined;
    const preset = params.get('preset');
    let conn: Awaited<ReturnType<typeof connectEngine>> | null = null;
    let cancelled = false;
    (async () => {
      conn = await connectEngine({ backend });
      if (cancelled) return;
      const r = await runBench(
        conn.api,
        conn.info,
        { preset: isPreset(preset) ? preset : 'tiny', steps: int(params.get('steps'), 20), batchSize: int(params.get('batch'), 8), seqLen: int(params.get('seq'), 0) || undefined },
        (s) => !cancelled && setStatus(s),
      );
      if (!cancelled) setResult(r);
    })().catch((e: unknown) => !cancelled && setError(e instanceof Error ? e.message : String(e)));
    return () => {
      cancelled = true;
      conn?.terminate();
    };
    // The query string (key) is the whole input: rerun only when it changes.
  }, [key, params]);

  return (
    <div className="panel">
      <h1>Training benchmark</h1>
      <p className="muted">Query: backend (webgpu|webgl|wasm|cpu), preset (micro|tiny|small), steps, batch, seq.</p>
      {error ? (
        <pre className="cell-error" data-testid="bench-error">
          {error}
        </pre>
      ) : result ? (
        <pre data-testid="bench-result">{JSON.stringify(result, null, 2)}</pre>
      ) : (
        <p data-testid="bench-status">{status}…</p>
      )}
    </div>
  );
}
