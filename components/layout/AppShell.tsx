// Page frame shared by every route: top bar with the way home, then the page.
import Link from 'next/link';
import type { ReactNode } from 'react';
import { ServiceWorker } from './ServiceWorker';

export function AppShell({ children }: { children: ReactNode }) {
  return (
    <>
      <nav className="topbar" aria-label="site">
        <Link href="/" className="brand">
          TokenFormer Lab
        </Link>
        <span className="topbar-hint">Esc: command mode · Enter: edit · Shift+Enter: run and advance · A/B: insert · D D: delete · Z: undo</span>
      </nav>
      <div className="page">{children}</div>
      <ServiceWorker />
    </>
  );
}
