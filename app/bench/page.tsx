// /bench: the browser training benchmark that scripts/bench-browser.mjs drives (and a person can open by hand).
import { Suspense } from 'react';
import { BenchPanel } from '@/components/panels/BenchPanel';

export default function BenchPage() {
  return (
    <Suspense fallback={<p>Loading…</p>}>
      <BenchPanel />
    </Suspense>
  );
}
