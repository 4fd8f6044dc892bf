// Copies tfjs-backend-wasm's .wasm binaries into public/tfjs-wasm/ so the app serves them itself (offline).
import { cpSync, mkdirSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const distDir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')) + '/dist';
const outDir = new URL('../public/tfjs-wasm/', import.meta.url).pathname;
mkdirSync(outDir, { recursive: true });
const files = readdirSync(distDir).filter((f) => f.endsWith('.wasm'));
for (const f of files) cpSync(join(distDir, f), join(outDir, f));
console.log(`copy-wasm: ${files.length} files -> public/tfjs-wasm/`);
