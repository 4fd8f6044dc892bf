// Copies tfjs-backend-wasm's .wasm binaries into public/tfjs-wasm/ so the app serves them itself (offline), with the
// threaded build's unminified factory script that its pthread workers load (lib/engine/wasmThreads.ts), and the
// reference fixtures (../shared/fixtures/reference-small, beside the checkout, when present) into
// public/fixtures/reference-small/ for the /parity page. Both targets are build outputs (git-ignored).
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const distDir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')) + '/dist';
const outDir = new URL('../public/tfjs-wasm/', import.meta.url).pathname;
mkdirSync(outDir, { recursive: true });
const files = readdirSync(distDir).filter((f) => f.endsWith('.wasm'));
// Timestamps kept, so a copy does not make every earlier build (server or export) look stale to the e2e scripts.
for (const f of files) cpSync(join(distDir, f), join(outDir, f), { preserveTimestamps: true });
// The same package version as the bundled backend, so script and binary always match.
const threadedFactory = 'tfjs-backend-wasm-threaded-simd.js';
cpSync(join(distDir, '..', 'wasm-out', threadedFactory), join(outDir, threadedFactory), { preserveTimestamps: true });
console.log(`copy-wasm: ${files.length + 1} files -> public/tfjs-wasm/`);

// Only what the browser parity check reads (model.bin is the same weights in PyTorch's format).
const fixturesDir = new URL('../../shared/fixtures/reference-small/', import.meta.url).pathname;
const fixturesOut = new URL('../public/fixtures/reference-small/', import.meta.url).pathname;
const fixtureFiles = ['config.json', 'expected.json', 'model.safetensors'];
if (fixtureFiles.every((f) => existsSync(join(fixturesDir, f)))) {
  mkdirSync(fixturesOut, { recursive: true });
  for (const f of fixtureFiles) {
    // The sources may be read-only; a copy keeps that mode, so replace rather than overwrite.
    rmSync(join(fixturesOut, f), { force: true });
    cpSync(join(fixturesDir, f), join(fixturesOut, f), { preserveTimestamps: true });
  }
  console.log(`copy-wasm: reference fixtures -> public/fixtures/reference-small/`);
} else {
  rmSync(fixturesOut, { recursive: true, force: true });
  console.log('copy-wasm: no ../shared/fixtures/reference-small; /parity will report the fixtures missing');
}
