// `npm run export`: the static site in out/ (BASE_PATH=/sub/path for hosting under a sub-path).
// Next builds an export into .next as well; the server build there (what `npm start` and the e2e suite use) is moved
// aside for the export build and put back afterwards, so neither build clobbers the other.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const ROOT = new URL('..', import.meta.url).pathname;
const SERVER = join(ROOT, '.next');
const KEPT = join(ROOT, '.next-server');
const EXPORT_BUILD = join(ROOT, '.next-export');

// A previous export that was killed midway left the server build in .next-server: that is the real one.
if (existsSync(KEPT)) {
  rmSync(SERVER, { recursive: true, force: true });
  renameSync(KEPT, SERVER);
}
if (existsSync(SERVER)) renameSync(SERVER, KEPT);
if (existsSync(EXPORT_BUILD)) renameSync(EXPORT_BUILD, SERVER);
let status = 1;
try {
  const copy = spawnSync(process.execPath, [join(ROOT, 'scripts/copy-wasm.mjs')], { cwd: ROOT, stdio: 'inherit' });
  if (copy.status !== 0) throw new Error('copy-wasm failed');
  rmSync(join(ROOT, 'out'), { recursive: true, force: true });
  const r = spawnSync(process.execPath, [join(ROOT, 'node_modules/next/dist/bin/next'), 'build'], {
    cwd: ROOT,
    stdio: 'inherit',
    env: { ...process.env, NEXT_EXPORT: '1', NEXT_TELEMETRY_DISABLED: '1' },
  });
  status = r.status ?? 1;
} finally {
  // The export's build cache is kept for the next export; the server build goes back where `next start` reads it.
  rmSync(EXPORT_BUILD, { recursive: true, force: true });
  if (existsSync(SERVER)) renameSync(SERVER, EXPORT_BUILD);
  if (existsSync(KEPT)) renameSync(KEPT, SERVER);
}
if (status !== 0) {
  console.error(`export: next build failed (exit ${status})`);
  process.exit(status);
}
writePrecache(join(ROOT, 'out'));
// GitHub Pages runs Jekyll unless told not to, and Jekyll drops folders starting with "_" (all of _next/).
writeFileSync(join(ROOT, 'out', '.nojekyll'), '');

/** Lists every file for public/sw.js to cache (pages by their directory URL) and stamps the worker with their hash. */
function writePrecache(out) {
  const files = [];
  const walk = (dir) => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else files.push(relative(out, p).split('\\').join('/'));
    }
  };
  walk(out);
  const hash = createHash('sha256');
  const listed = [];
  for (const f of files) {
    if (f === 'sw.js' || f === 'precache.json') continue;
    hash.update(f).update(readFileSync(join(out, f)));
    // A page is asked for as "notebooks/welcome/", not ".../index.html"; the site root is "".
    listed.push(f === 'index.html' ? '' : f.endsWith('/index.html') ? f.slice(0, -'index.html'.length) : f);
  }
  const version = hash.digest('hex').slice(0, 16);
  writeFileSync(join(out, 'precache.json'), JSON.stringify({ version, base: process.env.BASE_PATH?.replace(/\/+$/, '') ?? '', files: listed }));
  const sw = join(out, 'sw.js');
  writeFileSync(sw, readFileSync(sw, 'utf8').replace("'__PRECACHE_VERSION__'", JSON.stringify(version)));
  console.log(`export: ${listed.length} files for the offline copy (version ${version})`);
}
console.log(`export: static site in out/${process.env.BASE_PATH ? ` for ${process.env.BASE_PATH}` : ''}`);
