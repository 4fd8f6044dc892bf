// First step of `npm test`: the Debian packages the unit tests need too (Chromium's SwiftShader and the Vulkan
// loader run the WebGPU kernel tests under Node), installed when missing and we are root.
import { ensureChromium } from './next-server.mjs';

try {
  ensureChromium();
} catch (e) {
  process.stderr.write(`npm test: ${e.message}\n`);
  process.exit(1);
}
