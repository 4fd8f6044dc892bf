// Runs the browser tests: Chromium present, app built if stale, one `next start` on a free port, Playwright, shutdown.
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, CHROMIUM, ensureBuild, ensureChromium, startServer } from './next-server.mjs';

async function main() {
  ensureChromium();
  ensureBuild();
  const server = await startServer();
  console.log(`e2e: next start at ${server.url}`);
  const onSignal = (sig) => {
    void server.stop().then(() => process.exit(sig === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  // Chromium's profile and crash files go here rather than into a shared /tmp.
  const tmp = join(ROOT, '.tmp', 'e2e');
  mkdirSync(tmp, { recursive: true });
  const code = await new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, 'node_modules/@playwright/test/cli.js'), 'test', ...process.argv.slice(2)], {
      cwd: ROOT,
      stdio: 'inherit',
      env: { ...process.env, E2E_BASE_URL: server.url, TMPDIR: tmp, CHROMIUM_PATH: CHROMIUM, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1' },
    });
    child.on('exit', (c, sig) => resolve(c ?? (sig ? 1 : 0)));
  });
  await server.stop();
  if (code !== 0) console.log(`e2e: playwright exited with ${code}; screenshots are in test-results/`);
  process.exit(code);
}

main().catch((e) => {
  console.error(`e2e: ${e instanceof Error ? e.message : e}`);
  process.exit(1);
});
