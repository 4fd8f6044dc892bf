// Runs the browser tests: Chromium present, app built if stale, one `next start` on a free port, Playwright, shutdown.
import { ensureBuild, ensureChromium, runPlaywright, startServer } from './next-server.mjs';

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

  const code = await runPlaywright(server.url, process.argv.slice(2));
  await server.stop();
  if (code !== 0) console.log(`e2e: playwright exited with ${code}; screenshots are in test-results/`);
  process.exit(code);
}

main().catch((e) => {
  console.error(`e2e: ${e instanceof Error ? e.message : e}`);
  process.exit(1);
});
