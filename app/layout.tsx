// Root layout: global styles (app, KaTeX, Observable Inputs) and the page frame.
import type { Metadata } from 'next';
import type { ReactNode } from 'react';
import 'katex/dist/katex.min.css';
import '@observablehq/inputs/dist/index.css';
import './globals.css';
import { AppShell } from '@/components/layout/AppShell';

export const metadata: Metadata = {
  title: 'TokenFormer Lab',
  description: 'Notebooks that train and grow TokenFormer language models in the browser.',
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <AppShell>{children}</AppShell>
      </body>
    </html>
  );
}
