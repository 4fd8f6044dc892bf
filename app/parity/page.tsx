// /parity: reference-fixture parity and a few training steps on one backend (e2e/webgpu-parity.spec.ts drives it).
import { Suspense } from 'react';
import { ParityPanel } from '@/components/panels/ParityPanel';

export default function ParityPage() {
  return (
    <Suspense fallback={<p>Loading…</p>}>
      <ParityPanel />
    </Suspense>
  );
}
