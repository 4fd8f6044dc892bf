// Shared by the e2e and browser-bench scripts: Chromium present, app built, `next start` on a free port, clean shutdown.
/* global fetch, AbortSignal */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout } from 'node:timers';

export const ROOT = new URL('..', import.meta.url).pathname;
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/** Whether the dynamic linker knows `lib` (e.g. libvulkan.so.1). */
function hasLibrary(lib) {
  const r = spawnSync('ldconfig', ['-p'], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.includes(lib);
}

/**
 * Installs the Debian packages the tests need when they are missing and we are root: chromium (browser tests, and
 * its SwiftShader for WebGPU under Node) and libvulkan1 (the loader Dawn needs to reach SwiftShader). Playwright's
 * own browsers are never downloaded.
 */
export function ensureChromium() {
  const packages = [...(existsSync(CHROMIUM) ? [] : ['chromium']), ...(hasLibrary('libvulkan.so.1') ? [] : ['libvulkan1'])];
  if (!packages.length) return;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot) throw new Error(`${packages.join(' and ')} missing; install (apt-get install -y ${packages.join(' ')}) or set CHROMIUM_PATH`);
  console.log(`tests: installing ${packages.join(' ')} with apt-get`);
  let r = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', ...packages], { stdio: 'inherit' });
  if (r.status !== 0) {
    spawnSync('apt-get', ['update'], { stdio: 'inherit' });
    r = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', ...packages], { stdio: 'inherit' });
  }
  if (r.status !== 0 || !existsSync(CHROMIUM)) throw new Error(`could not install ${packages.join(' ')}`);
}

/** The newest modification time under `path` (node_modules and dot folders left out), for staleness checks. */
export function newestMtime(path) {
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

/** Builds unless .next holds a build newer than every source it depends on (E2E_BUILD=always|never overrides). */
export function ensureBuild() {
  const mode = process.env.E2E_BUILD || 'auto';
  const buildId = join(ROOT, '.next', 'BUILD_ID');
  if (mode === 'never') return;
  if (mode !== 'always' && existsSync(buildId)) {
    const built = statSync(buildId).mtimeMs;
    const sources = ['app', 'components', 'lib', 'notebooks', 'public', 'next.config.mjs', 'package.json', 'tsconfig.json'];
    if (sources.every((s) => newestMtime(join(ROOT, s)) <= built)) {
      console.log('e2e: build is up to date');
      return;
    }
  }
  console.log('e2e: building the app (npm run build)');
  const r = spawnSync('npm', ['run', '-s', 'build'], { cwd: ROOT, stdio: 'inherit', env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' } });
  if (r.status !== 0) throw new Error(`build failed (exit ${r.status})`);
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Starts `next start` and resolves once it answers; `stop()` ends it and its children. */
export async function startServer({ timeoutMs = 120_000 } = {}) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [join(ROOT, 'node_modules/next/dist/bin/next'), 'start', '-p', String(port), '-H', '127.0.0.1'], {
    cwd: ROOT,
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1', PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, so stop() reaches any worker processes next spawns.
    detached: true,
  });
  let log = '';
  child.stdout.on('data', (d) => (log += d));
  child.stderr.on('data', (d) => (log += d));
  let exited = null;
  child.on('exit', (code) => (exited = code));

  const stop = () =>
    new Promise((resolve) => {
      if (exited !== null) return resolve();
      child.once('exit', () => resolve());
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        resolve();
      }
      setTimeout(() => {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }, 5000).unref();
    });

  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited !== null) throw new Error(`next start exited with ${exited}:\n${log}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`next start did not answer within ${timeoutMs} ms:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  return { url, port, stop, log: () => log };
}

/**
 * Runs Playwright (`args` as given on the command line) against `baseUrl` with Debian's Chromium and a temp folder
 * inside the checkout (Chromium leaves profiles behind when killed); resolves with its exit code.
 */
export function runPlaywright(baseUrl, args, env = {}) {
  const tmp = join(ROOT, '.tmp', 'e2e');
  mkdirSync(tmp, { recursive: true });
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, 'node_modules/@playwright/test/cli.js'), 'test', ...args], {
      cwd: ROOT,
      stdio: 'inherit',
      env: { ...process.env, ...env, E2E_BASE_URL: baseUrl, TMPDIR: tmp, CHROMIUM_PATH: CHROMIUM, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1' },
    });
    child.on('exit', (c, sig) => resolve(c ?? (sig ? 1 : 0)));
  });
}
