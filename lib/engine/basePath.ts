// The URL path the app is served under ('' at the root, '/lab' under a sub-path), fixed at build time by
// next.config.mjs (BASE_PATH); URLs built by hand (wasm binaries, fixtures) start with it.
export const BASE_PATH: string = process.env.NEXT_PUBLIC_BASE_PATH ?? '';

/** Where the browser fetches the tfjs wasm binaries (scripts/copy-wasm.mjs puts them in public/tfjs-wasm/). */
export const WASM_PATH = `${BASE_PATH}/tfjs-wasm/`;
