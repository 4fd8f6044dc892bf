// Playwright: Debian's Chromium (no downloaded browsers), one worker against one `next start` (scripts/e2e.mjs starts it).
import { defineConfig } from '@playwright/test';
import { mkdirSync } from 'node:fs';
import path from 'node:path';

// Browser profiles and temp files stay inside the checkout, not in a /tmp shared with other jobs.
const tmp = path.resolve('.tmp/e2e');
mkdirSync(tmp, { recursive: true });
process.env.TMPDIR = tmp;

const baseURL = process.env.E2E_BASE_URL;
// scripts/e2e-export.mjs: the static export under a sub-path (e2e/export/, plus the share specs, which run on both).
const exportSuite = process.env.E2E_EXPORT === '1';

export default defineConfig({
  testDir: 'e2e',
  ...(exportSuite ? { testMatch: ['export/**/*.spec.ts', 'share.spec.ts'] } : { testIgnore: ['export/**'] }),
  outputDir: 'test-results',
  // The machine is shared: one worker, generous timeouts, no retries hiding flakiness.
  workers: 1,
  fullyParallel: false,
  retries: 0,
  timeout: 90_000,
  expect: { timeout: 20_000 },
  reporter: [['list']],
  use: {
    baseURL: baseURL ?? 'http://127.0.0.1:3100',
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic',
        '--enable-unsafe-webgpu',
      ],
    },
  },
  // Run directly (npx playwright test) without scripts/e2e.mjs: start the built app ourselves.
  webServer: baseURL
    ? undefined
    : { command: 'npx next start -p 3100 -H 127.0.0.1', url: 'http://127.0.0.1:3100', reuseExistingServer: true, timeout: 120_000 },
});
