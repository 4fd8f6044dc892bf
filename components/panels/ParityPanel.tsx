'use client';
// The /parity page's body: reference-fixture parity and a few training steps in an engine worker on the backend from
// the URL (the path users train on), as JSON. The check itself is lib/engine/parity.ts, run by Engine.parity.
import { useSearchParams } from 'next/navigation';
import { useEffect, useState } from 'react';
import { BASE_PATH } from '@/lib/engine/basePath';
import { isBackendName } from '@/lib/engine/backend';
import { connectEngine } from '@/lib/engine/client';
import type { ParityFiles, ParityReport } from '@/lib/engine/parity';

export const FIXTURE_URL = `${BASE_PATH}/fixtures/reference-small/`;

/** The fixture's files from `base`, or null when they are not served (the build copies them only where ../shared/fixtures exists). */
async function loadParityFiles(base = FIXTURE_URL): Promise<ParityFiles | null> {
  const get = async (name: string) => {
    const res = await fetch(base + name);
    return res.ok ? res : null;
  };
  const [config, expected, model] = await Promise.all([get('config.json'), get('expected.json'), get('model.safetensors')]);
  if (!config || !expected || !model) return null;
  return { config: await config.json(), expected: await expected.json(), model: new Uint8Array(await model.arrayBuffer()) };
}

// One run per page load: a second worker on the same GPU would only slow both down.
let running: Promise<(ParityReport & { userAgent: string }) | null> | null = null;

async function run(requested: string | null, steps: number): Promise<(ParityReport & { userAgent: string }) | null> {
  const files = await loadParityFiles();
  if (!files) return null;
  const conn = await connectEngine({ backend: isBackendName(requested) ? requested : undefined });
  try {
    return { ...(await conn.api.parity(files, { trainSteps: steps })), userAgent: navigator.userAgent };
  } finally {
    conn.terminate();
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
      <p className="muted">Query: backend (webgpu|webgl|wasm|cpu), steps. Runs in the engine worker. Fixture: {FIXTURE_URL}</p>
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
