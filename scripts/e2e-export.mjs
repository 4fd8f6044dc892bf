// Browser tests against the static export: `npm run export` under a sub-path (E2E_BASE_PATH, default /lab/sub), served
// by scripts/static-server.mjs (a plain static host: no server code, no COOP/COEP headers), then Playwright with
// E2E_EXPORT=1 (the specs in e2e/export/ and e2e/share.spec.ts). Extra arguments go to Playwright.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, ensureChromium, newestMtime, runPlaywright } from './next-server.mjs';
import { serveStatic } from './static-server.mjs';

const BASE = (process.env.E2E_BASE_PATH ?? '/lab/sub').replace(/\/+$/, '');

/** Exports unless out/ holds an export for this base path newer than every source (E2E_BUILD=always|never overrides). */
function ensureExport() {
  const mode = process.env.E2E_BUILD || 'auto';
  const manifest = join(ROOT, 'out', 'precache.json');
  if (mode === 'never') return;
  if (mode !== 'always' && existsSync(manifest)) {
    const { base } = JSON.parse(readFileSync(manifest, 'utf8'));
    const built = statSync(manifest).mtimeMs;
    const sources = ['app', 'components', 'lib', 'notebooks', 'public', 'next.config.mjs', 'package.json', 'tsconfig.json', 'scripts/export.mjs'];
    if (base === BASE && sources.every((s) => newestMtime(join(ROOT, s)) <= built)) {
      console.log(`e2e-export: out/ is up to date for ${BASE}`);
      return;
    }
  }
  console.log(`e2e-export: exporting the site for ${BASE} (npm run export)`);
  const r = spawnSync('npm', ['run', '-s', 'export'], { cwd: ROOT, stdio: 'inherit', env: { ...process.env, BASE_PATH: BASE, NEXT_TELEMETRY_DISABLED: '1' } });
  if (r.status !== 0) throw new Error(`export failed (exit ${r.status})`);
}

async function main() {
  ensureChromium();
  ensureExport();
  const server = await serveStatic(join(ROOT, 'out'), BASE);
  console.log(`e2e-export: static site at ${server.url}`);
  const code = await runPlaywright(server.url, process.argv.slice(2), { E2E_EXPORT: '1' });
  await server.close();
  if (code !== 0) console.log(`e2e-export: playwright exited with ${code}; screenshots are in test-results/`);
  process.exit(code);
}

main().catch((e) => {
  console.error(`e2e-export: ${e instanceof Error ? e.message : e}`);
  process.exit(1);
});
