// Browser training benchmark: serves the built app, opens /bench in Chromium once per backend, prints and saves the results.
// Usage: npm run bench:browser -- [--backends=webgpu,webgl,wasm] [--preset=tiny] [--steps=20] [--batch=8] [--seq=N] [--out=file.json]
import { chromium } from '@playwright/test';
import { URLSearchParams } from 'node:url';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CHROMIUM, ROOT, ensureBuild, ensureChromium, startServer } from './next-server.mjs';

const args = Object.fromEntries(
  process.argv.slice(2).map((a) => {
    const m = /^--([^=]+)(?:=(.*))?$/.exec(a);
    if (!m) throw new Error(`bad argument ${a}`);
    return [m[1], m[2] ?? 'true'];
  }),
);
const backends = (args.backends ?? 'webgpu,webgl,wasm').split(',');
const query = (backend) => {
  const q = new URLSearchParams({ backend, preset: args.preset ?? 'tiny', steps: args.steps ?? '20', batch: args.batch ?? '8' });
  if (args.seq) q.set('seq', args.seq);
  return q.toString();
};
// JSON turns NaN into null: a diverged or unread loss prints as NaN rather than crashing the report.
const fmt = (x) => (typeof x === 'number' && Number.isFinite(x) ? x.toFixed(3) : 'NaN');
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
      console.log(`bench: ${url}`);
      await page.goto(url);
      const done = page.locator('[data-testid="bench-result"], [data-testid="bench-error"]');
      await done.first().waitFor({ timeout: Number(args.timeout ?? 600_000) });
      const error = await page.locator('[data-testid="bench-error"]').count();
      const text = await done.first().textContent();
      if (error) {
        results.push({ requested: backend, error: text });
        console.log(`  ${backend}: error: ${text}`);
      } else {
        const r = JSON.parse(text);
        results.push({ requested: backend, ...r });
        const fell = r.backend !== backend ? ` (fell back: ${r.fallbacks.map((f) => `${f.backend}: ${f.reason}`).join('; ')})` : '';
        console.log(`  ${backend} -> ${r.backend}${r.adapter ? ` [${r.adapter}]` : ''}${fell}: ${fmt(r.msPerStep)} ms/step, ${Math.round(r.tokensPerSec)} tokens/s, ${r.params} params, loss ${fmt(r.finalLoss)}`);
      }
      await page.close();
    }
  } finally {
    await browser.close();
    await server.stop();
  }
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), results }, null, 2) + '\n');
  console.log(`bench: results in ${out}`);
  process.exit(results.some((r) => r.error) ? 1 : 0);
}

main().catch((e) => {
  console.error(`bench: ${e instanceof Error ? e.message : e}`);
  process.exit(1);
});
