// Browser tests against the static export: `npm run export` under a sub-path (E2E_BASE_PATH, default /lab/sub), served
// by scripts/static-server.mjs (a plain static host: no server code, no COOP/COEP headers), then Playwright with
// E2E_EXPORT=1 (the specs in e2e/export/ and e2e/share.spec.ts). Extra arguments go to Playwright.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, CHROMIUM, ensureChromium } from './next-server.mjs';
import { serveStatic } from './static-server.mjs';

const BASE = (process.env.E2E_BASE_PATH ?? '/lab/sub').replace(/\/+$/, '');

function newestMtime(path) {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const name of readdirSync(path)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    newest = Math.max(newest, newestMtime(join(path, name)));
  }
  return newest;
}

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
  const tmp = join(ROOT, '.tmp', 'e2e');
  mkdirSync(tmp, { recursive: true });
  const code = await new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, 'node_modules/@playwright/test/cli.js'), 'test', ...process.argv.slice(2)], {
      cwd: ROOT,
      stdio: 'inherit',
      env: { ...process.env, E2E_EXPORT: '1', E2E_BASE_URL: server.url, TMPDIR: tmp, CHROMIUM_PATH: CHROMIUM, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1' },
    });
    child.on('exit', (c, sig) => resolve(c ?? (sig ? 1 : 0)));
  });
  await server.close();
  if (code !== 0) console.log(`e2e-export: playwright exited with ${code}; screenshots are in test-results/`);
  process.exit(code);
}

main().catch((e) => {
  console.error(`e2e-export: ${e instanceof Error ? e.message : e}`);
  process.exit(1);
});
