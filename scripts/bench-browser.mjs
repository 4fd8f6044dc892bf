// Browser training benchmark: serves the built app, opens /bench in Chromium once per backend, prints one JSON line per backend and saves them.
// Usage: npm run bench:browser -- [--backends=webgpu,webgl,wasm] [--preset=tiny] [--seconds=30] [--steps=N (a cap)] [--batch=8] [--seq=N]
//        [--warmup=3] [--log=5] [--ui=trainer|none] [--threads=N (wasm; 1: single-threaded)] [--out=file.json] [--timeout=ms]
// Measures per backend: tokens/s (steady state), time to first step (from the bench start: worker, backend, model, data, first step
// with its compilation) and the longest main-thread task while training (training runs in the worker; target: none over 50 ms).
// JSON lines go to stdout, progress to stderr.
import { chromium } from '@playwright/test';
import { URLSearchParams } from 'node:url';
import { parseArgs } from 'node:util';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CHROMIUM, ROOT, ensureBuild, ensureChromium, startServer } from './next-server.mjs';

const OPTIONS = ['backends', 'preset', 'seconds', 'steps', 'batch', 'seq', 'warmup', 'log', 'ui', 'threads', 'out', 'timeout'];
let args;
try {
  ({ values: args } = parseArgs({ options: Object.fromEntries(OPTIONS.map((k) => [k, { type: 'string' }])), strict: true }));
} catch (e) {
  process.stderr.write(`bench: ${e.message}\n(options: ${OPTIONS.map((k) => `--${k}=...`).join(' ')})\n`);
  process.exit(2);
}
const backends = (args.backends ?? 'webgpu,webgl,wasm').split(',');
const seconds = Number(args.seconds ?? 30);
const log = (s) => process.stderr.write(`${s}\n`);
if (!(seconds > 0)) {
  log(`bench: --seconds must be a positive number, got ${args.seconds}`);
  process.exit(2);
}
const query = (backend) => {
  const q = new URLSearchParams({ backend, preset: args.preset ?? 'tiny', seconds: String(seconds), batch: args.batch ?? '8' });
  for (const k of ['steps', 'seq', 'warmup', 'log', 'ui', 'threads']) if (args[k]) q.set(k, args[k]);
  return q.toString();
};
// JSON turns NaN into null: a diverged or unread loss prints as NaN rather than crashing the report.
const fmt = (x, d = 3) => (typeof x === 'number' && Number.isFinite(x) ? x.toFixed(d) : 'NaN');
const out = args.out ?? join(ROOT, 'test-results', 'bench-browser.json');

async function main() {
  ensureChromium();
  ensureBuild();
  const tmp = join(ROOT, '.tmp', 'bench');
  mkdirSync(tmp, { recursive: true });
  process.env.TMPDIR = tmp;
  const server = await startServer();
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic', '--enable-unsafe-webgpu'],
  });
  const results = [];
  try {
    for (const backend of backends) {
      const page = await browser.newPage();
      const url = `${server.url}/bench?${query(backend)}`;
      log(`bench: ${url}`);
      await page.goto(url);
      const done = page.locator('[data-testid="bench-result"], [data-testid="bench-error"]');
      await done.first().waitFor({ timeout: Number(args.timeout ?? Math.max(600_000, (seconds + 300) * 1000)) });
      const error = await page.locator('[data-testid="bench-error"]').count();
      const text = await done.first().textContent();
      let r;
      if (error) {
        r = { requested: backend, error: text };
        log(`  ${backend}: error: ${text}`);
      } else {
        r = { requested: backend, ...JSON.parse(text) };
        const fell = r.backend !== backend ? ` (fell back: ${r.fallbacks.map((f) => `${f.backend}: ${f.reason}`).join('; ')})` : '';
        const tasks = r.longestTaskMs === null ? 'long tasks not reported' : `longest main-thread task ${r.longestTaskMs} ms (${r.longTasks} over 50 ms)`;
        log(
          `  ${backend} -> ${r.backend}${r.adapter ? ` [${r.adapter}]` : ''}${fell}: ${Math.round(r.tokensPerSec)} tokens/s, ${fmt(r.msPerStep, 1)} ms/step, ` +
            `first step after ${(r.timeToFirstStepMs / 1000).toFixed(1)} s, ${r.steps} steps in ${(r.trainMs / 1000).toFixed(1)} s, ${tasks}, loss ${fmt(r.finalLoss)}`,
        );
      }
      results.push(r);
      console.log(JSON.stringify(r));
      await page.close();
    }
  } finally {
    await browser.close();
    await server.stop();
  }
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), args, results }, null, 2) + '\n');
  log(`bench: results in ${out}`);
  process.exit(results.some((r) => r.error) ? 1 : 0);
}

main().catch((e) => {
  log(`bench: ${e instanceof Error ? e.message : e}`);
  process.exit(1);
});
